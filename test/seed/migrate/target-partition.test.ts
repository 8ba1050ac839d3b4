// Where the migration puts a record on the new topic.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { partitionOfKey } from "../../../apps/console/key-partition.ts";
import { targetPartition } from "../../../seed/migrate/target-partition.ts";
import { range } from "../../helpers/wait.ts";

describe("targetPartition", () => {
  it("when a keyed record is copied to 3 partitions, then it goes where the producer sends that key on 3 partitions", () => {
    for (const u of range(200)) {
      const key = `user-${u}`;
      assert.equal(targetPartition(Buffer.from(key), 5, 3), partitionOfKey(key, 3), key);
    }
  });

  it("when 6 partitions become 3, then each key's new partition is its old one modulo 3 (murmur2 % 6 % 3 = murmur2 % 3)", () => {
    for (const u of range(200)) {
      const key = `user-${u}`;
      assert.equal(targetPartition(Buffer.from(key), partitionOfKey(key, 6), 3), partitionOfKey(key, 6) % 3, key);
    }
  });

  it("when 6 partitions become 4, then keys of one old partition spread over several new ones", () => {
    const fromPartitionOne = range(400)
      .map((u) => `user-${u}`)
      .filter((key) => partitionOfKey(key, 6) === 1);
    const targets = new Set(fromPartitionOne.map((key) => targetPartition(Buffer.from(key), 1, 4)));
    assert.ok(targets.size > 1, `targets ${[...targets]}`);
  });

  it("when a record has no key, then it goes to its source partition modulo the new count", () => {
    assert.deepEqual(
      range(6).map((p) => targetPartition(null, p, 4)),
      [0, 1, 2, 3, 0, 1],
    );
  });

  it("when the new count is not a positive integer, then it throws", () => {
    assert.throws(() => targetPartition(Buffer.from("k"), 0, 0), RangeError);
    assert.throws(() => targetPartition(Buffer.from("k"), 0, 1.5), RangeError);
  });
});
