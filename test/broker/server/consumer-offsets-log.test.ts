import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConsumerOffsetsLog } from "../../../broker/server/consumer-offsets-log.ts";
import { CONSUMER_OFFSETS_TOPIC } from "../../../broker/server/groups/offsets-record-format.ts";
import { topicPartitions } from "./partition-fixture.ts";

describe("__consumer_offsets as the coordinator's offsets log", () => {
  it("when records are appended to a partition, then reading it gives them back in order, tombstones included", async (t) => {
    const partitions = topicPartitions(t, 2, CONSUMER_OFFSETS_TOPIC);
    const log = new ConsumerOffsetsLog(partitions);
    await log.append(1, [
      { key: Buffer.from("k1"), value: Buffer.from("v1") },
      { key: Buffer.from("k2"), value: Buffer.from("v2") },
    ]);
    await log.append(1, [{ key: Buffer.from("k1"), value: null }]);

    assert.deepEqual(
      [...log.read(1)],
      [
        { key: Buffer.from("k1"), value: Buffer.from("v1") },
        { key: Buffer.from("k2"), value: Buffer.from("v2") },
        { key: Buffer.from("k1"), value: null },
      ],
    );
    assert.deepEqual([...log.read(0)], []);
    assert.equal(partitions.at(1).highWatermark, 3n, "one batch per append, one offset per record");
  });

  it("when the partition does not exist, then appending fails and reading finds nothing", async (t) => {
    const log = new ConsumerOffsetsLog(topicPartitions(t, 1, CONSUMER_OFFSETS_TOPIC));
    await assert.rejects(log.append(5, [{ key: Buffer.from("k"), value: null }]), /no partition 5/);
    assert.deepEqual([...log.read(5)], []);
  });
});
