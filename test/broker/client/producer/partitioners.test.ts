// The partitioners against the real kafkajs 2.2.4 ones: the same key must land on the same
// partition with either client (and so with the Java client, whose murmur2 kafkajs's default copies).

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { describe, it } from "node:test";
import type { Message, PartitionMetadata } from "../../../../broker/client/index.ts";
import { murmur2, Partitioners } from "../../../../broker/client/producer/index.ts";
import { partitionForKey } from "../../../../broker/client/producer/partitioners.ts";

const require = createRequire(import.meta.url);
const kafkajs = require("kafkajs") as typeof import("kafkajs");

const partitionMetadata = (count: number, leaderless: number[] = []): PartitionMetadata[] =>
  Array.from({ length: count }, (_, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader: leaderless.includes(partitionId) ? -1 : 0,
    replicas: [0],
    isr: [0],
  }));

/** 10,000 keys: random strings (ASCII and not), random binary Buffers of 0–40 bytes. */
function randomKeys(): (string | Buffer)[] {
  const keys: (string | Buffer)[] = [];
  for (let i = 0; i < 10_000; i++) {
    const bytes = randomBytes(i % 41);
    if (i % 4 === 0) keys.push(bytes);
    else if (i % 4 === 1) keys.push(bytes.toString("hex"));
    else if (i % 4 === 2) keys.push(bytes.toString("base64"));
    else keys.push(String.fromCodePoint(...Array.from(bytes, (b) => 0x20 + b * 97)));
  }
  return keys;
}

const edgeKeys: (string | Buffer)[] = [
  "",
  " ",
  "a",
  "ab",
  "abc",
  "abcd",
  "abcde",
  "key-1",
  "ключ",
  "鍵",
  "🔑🗝️",
  "é",
  "\u0000",
  "\uffff",
  "\ud800",
  "x".repeat(5000),
  "é".repeat(2000),
  Buffer.alloc(0),
  Buffer.from([0]),
  Buffer.from([0xff]),
  Buffer.from([0xff, 0xff, 0xff, 0xff]),
  Buffer.from([0x80, 0, 0, 0x80, 1]),
  randomBytes(4096),
  randomBytes(9000),
];

describe("DefaultPartitioner", () => {
  for (const count of [1, 3, 6, 24]) {
    it(`when 10,000 random keys and the edge keys go to ${count} partition(s), then each partition equals kafkajs's`, () => {
      const ours = Partitioners.DefaultPartitioner();
      const theirs = kafkajs.Partitioners.DefaultPartitioner();
      const metadata = partitionMetadata(count);
      const mismatches: string[] = [];
      for (const key of [...randomKeys(), ...edgeKeys]) {
        const message: Message = { key, value: "v" };
        const expected = theirs({ topic: "t", partitionMetadata: metadata, message });
        const actual = ours({ topic: "t", partitionMetadata: metadata, message });
        if (actual !== expected) mismatches.push(`${JSON.stringify(key)}: ${actual} ≠ ${expected}`);
      }
      assert.deepEqual(mismatches.slice(0, 5), []);
    });
  }

  it("when partitionForKey is asked for a key, then it names the partition the default partitioner sends it to", () => {
    const ours = Partitioners.DefaultPartitioner();
    for (const count of [1, 6, 9]) {
      for (const key of [...randomKeys().slice(0, 500), ...edgeKeys]) {
        if (typeof key !== "string" && !Buffer.isBuffer(key)) continue;
        const sent = ours({ topic: "t", partitionMetadata: partitionMetadata(count), message: { key, value: "v" } });
        assert.equal(partitionForKey(key, count), sent, `${JSON.stringify(key)} over ${count}`);
      }
    }
    assert.throws(() => partitionForKey("k", 0), RangeError);
  });

  it("when Java's murmur2 test vectors are hashed, then the results match Kafka's own unit test", () => {
    // The vectors of Kafka's UtilsTest.testMurmur2.
    const vectors: [string, number][] = [
      ["21", -973932308],
      ["foobar", -790332482],
      ["a-little-bit-long-string", -985981536],
      ["a-little-bit-longer-string", -1486304829],
      ["lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971],
      ["abc", 479470107],
    ];
    for (const [text, expected] of vectors) assert.equal(murmur2(Buffer.from(text)), expected, `murmur2(${text})`);
  });

  it("when a message names its partition, then that partition is used whatever the key", () => {
    const partitioner = Partitioners.DefaultPartitioner();
    assert.equal(
      partitioner({
        topic: "t",
        partitionMetadata: partitionMetadata(6),
        message: { key: "k", value: "v", partition: 4 },
      }),
      4,
    );
  });

  it("when keyless messages are sent, then they cycle through the partitions with a leader, as kafkajs's do", () => {
    const partitioner = Partitioners.DefaultPartitioner();
    const metadata = partitionMetadata(6, [2, 5]);
    const seen = Array.from({ length: 400 }, () =>
      partitioner({ topic: "t", partitionMetadata: metadata, message: { value: "v" } }),
    );
    for (let i = 1; i < seen.length; i++) {
      const cycle = [0, 1, 3, 4];
      assert.equal(
        cycle[(cycle.indexOf(seen[i - 1]!) + 1) % cycle.length],
        seen[i],
        `message ${i} follows ${seen[i - 1]}`,
      );
    }
    const other = Array.from({ length: 8 }, () =>
      partitioner({ topic: "other", partitionMetadata: partitionMetadata(3), message: { key: null, value: "v" } }),
    );
    assert.deepEqual(new Set(other), new Set([0, 1, 2]));
  });
});

describe("LegacyPartitioner", () => {
  it("when 10,000 random keys go to 7 partitions, then each partition equals kafkajs's legacy choice", () => {
    const ours = Partitioners.LegacyPartitioner();
    const theirs = kafkajs.Partitioners.LegacyPartitioner();
    const metadata = partitionMetadata(7);
    let mismatches = 0;
    for (const key of [...randomKeys(), ...edgeKeys]) {
      const message: Message = { key, value: "v" };
      if (
        ours({ topic: "t", partitionMetadata: metadata, message }) !==
        theirs({ topic: "t", partitionMetadata: metadata, message })
      )
        mismatches++;
    }
    assert.equal(mismatches, 0);
  });

  it("when JavaCompatiblePartitioner is asked for, then it is the default partitioner", () => {
    assert.equal(Partitioners.JavaCompatiblePartitioner, Partitioners.DefaultPartitioner);
  });
});
