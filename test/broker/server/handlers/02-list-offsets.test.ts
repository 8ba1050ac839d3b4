import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { encodeRecordBatch } from "../../../../broker/protocol/record-batch/encoder.ts";
import { useBroker } from "../../../helpers/broker-process.ts";
import { createTopicsRequest, produceRequest } from "../../../helpers/requests.ts";
import { useWireClient } from "../../../helpers/wire-client.ts";
import { useRoutedBroker } from "../broker-state-fixture.ts";

describe("ListOffsets", () => {
  const broker = useBroker();
  const client = useWireClient(broker);
  const listOffset = async (timestamp: bigint, partitionIndex = 0) =>
    (
      await client.request(Apis.ListOffsets, 3, {
        replicaId: -1,
        isolationLevel: 1,
        topics: [{ name: "timed", partitions: [{ partitionIndex, timestamp }] }],
      })
    ).topics[0]!.partitions[0]!;

  before(async () => {
    // Two batches: records at t=1000,2000,3000 then at t=4000,5000.
    for (const times of [
      [1000n, 2000n, 3000n],
      [4000n, 5000n],
    ]) {
      const records = encodeRecordBatch({
        records: times.map((timestamp) => ({ key: null, value: Buffer.from(String(timestamp)), timestamp })),
      });
      await client.request(Apis.Produce, 7, produceRequest("timed", [{ index: 0, records }], { timeoutMs: 1000 }));
    }
  });

  it("when asked for earliest and latest, then the log start and the high watermark", async () => {
    assert.equal((await listOffset(-2n)).offset, 0n);
    assert.equal((await listOffset(-1n)).offset, 5n);
  });

  it("when v5 names a current leader epoch, then the right one is answered and a newer one than the leader's is refused", async () => {
    const atEpoch = async (currentLeaderEpoch: number) =>
      (
        await client.request(Apis.ListOffsets, 5, {
          replicaId: -1,
          isolationLevel: 1,
          topics: [{ name: "timed", partitions: [{ partitionIndex: 0, currentLeaderEpoch, timestamp: -1n }] }],
        })
      ).topics[0]!.partitions[0]!;
    assert.deepEqual([(await atEpoch(-1)).errorCode, (await atEpoch(-1)).offset], [ErrorCode.NONE, 5n]);
    assert.equal((await atEpoch(1_000)).errorCode, ErrorCode.UNKNOWN_LEADER_EPOCH);
  });

  it("when asked by timestamp, then the exact first record at or after it, also inside a batch", async () => {
    assert.deepEqual([(await listOffset(2000n)).offset, (await listOffset(2000n)).timestamp], [1n, 2000n]);
    assert.deepEqual([(await listOffset(2500n)).offset, (await listOffset(2500n)).timestamp], [2n, 3000n]);
    assert.equal((await listOffset(3500n)).offset, 3n);
    assert.equal((await listOffset(0n)).offset, 0n);
  });

  it("when the timestamp is after every record, then offset -1", async () => {
    assert.equal((await listOffset(9999n)).offset, -1n);
  });

  it("when the partition does not exist, then UNKNOWN_TOPIC_OR_PARTITION", async () => {
    assert.equal((await listOffset(-1n, 4)).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });
});

describe("ListOffsets with transactions", () => {
  const broker = useRoutedBroker();

  it("when a transaction is ongoing, then read_committed's LATEST is the last stable offset and a time lookup stops there; read_uncommitted's, the high watermark", async () => {
    await broker.request(Apis.CreateTopics, 4, createTopicsRequest([{ name: "txn-offsets", numPartitions: 1 }]));
    const produce = (records: Buffer) =>
      broker.request(Apis.Produce, 7, produceRequest("txn-offsets", [{ index: 0, records }]));
    const record = (value: string, timestamp: bigint) => [{ key: null, value: Buffer.from(value), timestamp }];
    await produce(encodeRecordBatch({ records: record("plain", 1000n) })); // 0
    await produce(
      encodeRecordBatch({
        records: record("in-txn", 2000n),
        producerId: 5000n,
        producerEpoch: 0,
        baseSequence: 0,
        transactional: true,
      }),
    ); // 1
    await produce(encodeRecordBatch({ records: record("after", 3000n) })); // 2
    const lookUp = async (timestamp: bigint, isolationLevel: number) =>
      (await broker.request(Apis.ListOffsets, 5, {
        replicaId: -1,
        isolationLevel,
        topics: [{ name: "txn-offsets", partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp }] }],
      }))!.topics[0]!.partitions[0]!.offset;
    assert.equal(await lookUp(-1n, 1), 1n);
    assert.equal(await lookUp(-1n, 0), 3n);
    assert.equal(await lookUp(500n, 1), 0n);
    assert.equal(await lookUp(1500n, 1), -1n);
    assert.equal(await lookUp(1500n, 0), 1n);
    broker.state.topics.partition("txn-offsets", 0)!.replication.appendTxnMarkerAsLeader({
      producerId: 5000n,
      producerEpoch: 0,
      coordinatorEpoch: 0,
      commit: true,
    });
    assert.equal(await lookUp(-1n, 1), 4n);
    assert.equal(await lookUp(1500n, 1), 1n);
  });
});
