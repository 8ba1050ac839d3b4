import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { encodeRecordBatch } from "../../../../broker/protocol/record-batch/encoder.ts";
import { useBroker } from "../../../helpers/broker-process.ts";
import { createTopicsRequest, fetchRequest, produceRequest } from "../../../helpers/requests.ts";
import { requestOnce } from "../../../helpers/wire-client.ts";

describe("DeleteRecords", () => {
  // Small segments, so that deleting records removes whole segment files.
  const broker = useBroker({ config: { "log.segment.bytes": 200 } });
  const request = <Req, Res>(
    api: import("../../../../broker/protocol/apis.ts").ApiDefinition<Req, Res>,
    v: number,
    body: Req,
  ) => requestOnce(broker.address, api, v, body);
  const deleteRecords = async (topic: string, partitionIndex: number, offset: bigint, version = 2) =>
    (
      await request(Apis.DeleteRecords, version, {
        topics: [{ name: topic, partitions: [{ partitionIndex, offset }] }],
        timeoutMs: 1000,
      })
    ).topics[0]!.partitions[0]!;
  const earliest = async (topic: string) =>
    (
      await request(Apis.ListOffsets, 3, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [{ name: topic, partitions: [{ partitionIndex: 0, timestamp: -2n }] }],
      })
    ).topics[0]!.partitions[0]!.offset;
  const fetchAt = async (topic: string, fetchOffset: bigint) =>
    (await request(Apis.Fetch, 11, fetchRequest([{ topic, partition: 0, fetchOffset }]))).responses[0]!.partitions[0]!;
  /** Ten batches of two records: offsets 0–19, committed. */
  const fill = async (topic: string) => {
    for (let i = 0; i < 10; i++) {
      const records = encodeRecordBatch({
        records: [0, 1].map((n) => ({
          key: null,
          value: Buffer.from(`value-${i}-${n}-${"x".repeat(40)}`),
          timestamp: 1n,
        })),
      });
      const answer = await request(Apis.Produce, 7, produceRequest(topic, [{ index: 0, records }]));
      assert.equal(answer.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.NONE);
    }
  };

  before(async () => {
    await request(Apis.CreateTopics, 4, createTopicsRequest([{ name: "trimmed", numPartitions: 1 }]));
    await request(Apis.CreateTopics, 4, createTopicsRequest([{ name: "to-the-end", numPartitions: 1 }]));
    await request(
      Apis.CreateTopics,
      4,
      createTopicsRequest([
        { name: "compacted", numPartitions: 1, configs: [{ name: "cleanup.policy", value: "compact" }] },
      ]),
    );
    await fill("trimmed");
    await fill("to-the-end");
  });

  it("when records before an offset are deleted, then the log starts there: earliest, fetch's log start, out of range below", async () => {
    const segmentsBefore = readdirSync(join(broker.dataDir, "trimmed-0")).filter((n) => n.endsWith(".log")).length;
    const answer = await deleteRecords("trimmed", 0, 9n);
    assert.deepEqual([answer.errorCode, answer.lowWatermark], [ErrorCode.NONE, 9n]);
    assert.equal(await earliest("trimmed"), 9n);
    const from = await fetchAt("trimmed", 9n);
    assert.deepEqual([from.errorCode, from.logStartOffset], [ErrorCode.NONE, 9n]);
    assert.equal((await fetchAt("trimmed", 8n)).errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
    const segmentsAfter = readdirSync(join(broker.dataDir, "trimmed-0")).filter((n) => n.endsWith(".log")).length;
    assert.ok(segmentsAfter < segmentsBefore, `segments ${segmentsBefore} → ${segmentsAfter}`);
  });

  it("when a lower offset than the log start is asked, then nothing moves back", async () => {
    const answer = await deleteRecords("trimmed", 0, 3n, 0);
    assert.deepEqual([answer.errorCode, answer.lowWatermark], [ErrorCode.NONE, 9n]);
  });

  it("when the offset is beyond the high watermark or negative, then OFFSET_OUT_OF_RANGE", async () => {
    assert.equal((await deleteRecords("trimmed", 0, 21n)).errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
    assert.equal((await deleteRecords("trimmed", 0, -5n)).errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
    assert.equal(await earliest("trimmed"), 9n);
  });

  it("when the offset is -1, then everything below the high watermark is deleted", async () => {
    const answer = await deleteRecords("to-the-end", 0, -1n, 1);
    assert.deepEqual([answer.errorCode, answer.lowWatermark], [ErrorCode.NONE, 20n]);
    assert.equal(await earliest("to-the-end"), 20n);
  });

  it("when the topic or partition is unknown, then UNKNOWN_TOPIC_OR_PARTITION", async () => {
    assert.equal((await deleteRecords("no-such-topic", 0, 0n)).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assert.equal((await deleteRecords("trimmed", 7, 0n)).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it("when the topic is compacted only, then POLICY_VIOLATION", async () => {
    assert.equal((await deleteRecords("compacted", 0, 0n)).errorCode, ErrorCode.POLICY_VIOLATION);
  });

  it("when the broker restarts, then the moved log start offset is kept", async () => {
    await broker.restart();
    assert.equal(await earliest("trimmed"), 9n);
    assert.equal(await earliest("to-the-end"), 20n);
    assert.equal((await fetchAt("trimmed", 8n)).errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
  });
});
