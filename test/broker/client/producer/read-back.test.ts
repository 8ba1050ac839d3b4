// The producer against a real broker process, with kafkajs as the independent oracle: what we
// send is what kafkajs's consumer reads (gzip too), and keys land where kafkajs puts them.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { describe, it } from "node:test";
import type { Consumer, KafkaMessage } from "kafkajs";
import { CompressionTypes } from "../../../../broker/client/producer/index.ts";
import { createTopic, kafkajsClient, readPartition, readTopic, waitFor } from "./helpers.ts";
import { useProduceSuite } from "./produce-fixture.ts";

const require = createRequire(import.meta.url);
const kafkajs = require("kafkajs") as typeof import("kafkajs");

const BASE_TIME = Date.UTC(2024, 0, 15, 12, 0, 0);

const suite = useProduceSuite();

describe("producer send and read back", () => {
  it("when keys, values, headers (repeated too), timestamps and nulls are sent, plain and gzip, then kafkajs's consumer reads them back unchanged", async () => {
    const producer = suite.producer();
    const topic = "readback";
    await createTopic(suite.broker().address, topic, 1);
    const plain = [
      {
        key: "k1",
        value: "plain value",
        headers: { one: "1", many: ["a", Buffer.from("b"), "c"] },
        timestamp: String(BASE_TIME),
      },
      { key: null, value: null },
      { key: Buffer.from([0, 1, 2, 255]), value: Buffer.from([9, 8, 7]), timestamp: String(BASE_TIME + 1234) },
      { value: "unicode ✓ ключ 鍵", headers: { "h-ü": "✓" } },
    ];
    const gzipped = Array.from({ length: 30 }, (_, i) => ({
      key: `gz-${i}`,
      value: `compressed ${"z".repeat(i * 10)}`,
      headers: { i: String(i) },
      timestamp: String(BASE_TIME + i),
    }));
    const before = Date.now();
    const [plainResult] = await producer.send({ topic, messages: plain });
    const [gzipResult] = await producer.send({ topic, messages: gzipped, compression: CompressionTypes.GZIP });
    const after = Date.now();
    assert.equal(plainResult!.baseOffset, "0");
    assert.equal(gzipResult!.baseOffset, "4");

    const consumer: Consumer = kafkajsClient(suite.broker().address, "producer-test-oracle").consumer({
      groupId: "readback-group",
      sessionTimeout: 6000,
      heartbeatInterval: 500,
      maxWaitTimeInMs: 100,
    });
    suite.track(consumer);
    const received: KafkaMessage[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        received.push(message);
      },
    });
    await waitFor(() => received.length >= 34, "34 messages through kafkajs's consumer");
    await consumer.disconnect();

    const text = (b: Buffer | null | undefined) => (b === null || b === undefined ? null : b.toString("hex"));
    const headerText = (headers: KafkaMessage["headers"]) =>
      Object.fromEntries(
        Object.entries(headers ?? {}).map(([k, v]) => [
          k,
          Array.isArray(v) ? v.map((x) => text(x as Buffer)) : text(v as Buffer),
        ]),
      );
    const hex = (s: string | Buffer) => Buffer.from(s).toString("hex");

    assert.deepEqual(
      received.map((m) => m.offset),
      Array.from({ length: 34 }, (_, i) => String(i)),
    );
    assert.deepEqual(
      received.slice(0, 4).map((m) => ({ key: text(m.key), value: text(m.value), headers: headerText(m.headers) })),
      [
        { key: hex("k1"), value: hex("plain value"), headers: { one: hex("1"), many: [hex("a"), hex("b"), hex("c")] } },
        { key: null, value: null, headers: {} },
        { key: "000102ff", value: "090807", headers: {} },
        { key: null, value: hex("unicode ✓ ключ 鍵"), headers: { "h-ü": hex("✓") } },
      ],
    );
    assert.equal(received[0]!.timestamp, String(BASE_TIME));
    assert.equal(received[2]!.timestamp, String(BASE_TIME + 1234));
    for (const m of [received[1]!, received[3]!]) {
      assert.ok(
        Number(m.timestamp) >= before && Number(m.timestamp) <= after,
        `a message without timestamp gets the send time (${m.timestamp})`,
      );
    }
    assert.deepEqual(
      received.slice(4).map((m) => ({
        key: m.key!.toString(),
        value: m.value!.toString(),
        i: m.headers!.i!.toString(),
        timestamp: m.timestamp,
      })),
      gzipped.map((m) => ({ key: m.key, value: m.value, i: m.headers.i, timestamp: m.timestamp })),
    );
    const stored = await readPartition(suite.broker().address, topic, 0);
    assert.equal(stored[4]!.batch.attributes & 7, CompressionTypes.GZIP, "the second send is stored as one gzip batch");
  });

  it("when large sends follow each other and run concurrently (batch buffers reused), then every record is stored as sent", async () => {
    const producer = suite.producer();
    const topic = "large-sends";
    await createTopic(suite.broker().address, topic, 1);
    // Sends of 400 records of 200 bytes (~85 KB batches), each value telling its send and index.
    const send = (round: number) =>
      producer.send({
        topic,
        messages: Array.from({ length: 400 }, (_, i) => ({ value: `${round}:${i}:`.padEnd(200, String(round % 10)) })),
      });
    for (let round = 0; round < 6; round++) await send(round);
    await Promise.all(Array.from({ length: 12 }, (_, k) => send(6 + k)));
    const stored = await readPartition(suite.broker().address, topic, 0);
    assert.equal(stored.length, 18 * 400);
    const seen = new Set(stored.map((record) => record.value!.toString()));
    for (let round = 0; round < 18; round++) {
      for (let i = 0; i < 400; i++)
        assert.ok(seen.has(`${round}:${i}:`.padEnd(200, String(round % 10))), `${round}:${i}`);
    }
  });

  it("when 2,000 random keys are sent to 6 partitions, then each lands on the partition kafkajs's DefaultPartitioner picks", async () => {
    const producer = suite.producer();
    const topic = "keyed";
    await createTopic(suite.broker().address, topic, 6);
    const keys = Array.from({ length: 2000 }, (_, i) =>
      i % 2 === 0 ? randomBytes(1 + (i % 30)).toString("base64") : randomBytes(1 + (i % 17)),
    );
    const results = await Promise.all(
      keys.map((key, i) => producer.send({ topic, messages: [{ key, value: String(i) }] })),
    );
    const kafkajsPartitioner = kafkajs.Partitioners.DefaultPartitioner();
    const partitionMetadata = Array.from({ length: 6 }, (_, partitionId) => ({
      partitionId,
      leader: 0,
      replicas: [0],
      isr: [0],
      partitionErrorCode: 0,
    }));
    const stored = await readTopic(suite.broker().address, topic, 6);
    keys.forEach((key, i) => {
      const expected = kafkajsPartitioner({ topic, partitionMetadata, message: { key, value: String(i) } });
      assert.equal(results[i]![0]!.partition, expected, `key ${String(key)}`);
      const record = stored[expected]!.find((r) => r.offset === BigInt(results[i]![0]!.baseOffset!));
      assert.equal(record?.value?.toString(), String(i));
    });
  });
});
