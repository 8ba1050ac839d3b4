import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import { ErrorCode } from "../../../broker/protocol/errors.ts";
import { encodeRecordBatch } from "../../../broker/protocol/record-batch/encoder.ts";
import { ConsumerOffsetsLog } from "../../../broker/server/consumer-offsets-log.ts";
import { OffsetsAppendError } from "../../../broker/server/groups/group-metadata-manager.ts";
import { CONSUMER_OFFSETS_TOPIC } from "../../../broker/server/groups/offsets-record-format.ts";
import { topicPartitions } from "./partition-fixture.ts";
import { replicatedPartition, settle } from "./replication/partition-state-fixture.ts";

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
    await assert.rejects(
      log.append(5, [{ key: Buffer.from("k"), value: null }]),
      (error: unknown) =>
        error instanceof OffsetsAppendError &&
        error.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION &&
        /no partition 5/.test(error.message),
    );
    assert.deepEqual([...log.read(5)], []);
  });
});

describe("transactional appends to an internal topic (TxnOffsetCommit)", () => {
  it("when a producer appends in a transaction, then its records read back with its producer id, a marker as a marker, and no sequence stops a later append", async (t) => {
    const partitions = topicPartitions(t, 1, CONSUMER_OFFSETS_TOPIC);
    const log = new ConsumerOffsetsLog(partitions);
    const producer = { producerId: 9n, producerEpoch: 0 };
    await log.append(0, [{ key: Buffer.from("k1"), value: Buffer.from("v1") }], producer);
    await log.append(0, [{ key: Buffer.from("k2"), value: Buffer.from("v2") }], producer);
    const marked = partitions
      .at(0)
      .replication.appendTxnMarkerAsLeader({ ...producer, coordinatorEpoch: 0, commit: true });
    assert.equal(marked.errorCode, ErrorCode.NONE);
    await log.append(0, [{ key: Buffer.from("k3"), value: null }]);
    const read = [...log.read(0)];
    assert.deepEqual(
      read.map((record) => [record.key.toString("latin1"), record.producerId, record.marker?.commit]),
      [
        ["k1", 9n, undefined],
        ["k2", 9n, undefined],
        ["\u0000\u0000\u0000\u0001", 9n, true],
        ["k3", undefined, undefined],
      ],
    );
    // Another coordinator's log (after a failover) appends for the same producer and epoch: not a duplicate.
    const next = new ConsumerOffsetsLog(partitions);
    await next.append(0, [{ key: Buffer.from("k4"), value: Buffer.from("v4") }], producer);
    assert.equal(partitions.at(0).log.logEndOffset, 5n);
  });
});

describe("__consumer_offsets replicated, as a cluster member's offsets log", () => {
  /** Partition 0 of __consumer_offsets led here (broker 0) with broker 1 as its other ISR member. */
  const ledOffsetsPartition = (t: TestContext) => {
    const replicated = replicatedPartition(t);
    replicated.state.makeLeader({ leaderEpoch: 1, partitionEpoch: 0, replicas: [0, 1], isr: [0, 1] });
    const log = new ConsumerOffsetsLog({
      partition: (topic, index) => (topic === CONSUMER_OFFSETS_TOPIC && index === 0 ? replicated.partition : undefined),
    });
    /** Broker 1 fetches up to the leader's log end, which moves the high watermark there. */
    const followerCatchesUp = () => {
      const end = replicated.partition.log.logEndOffset;
      replicated.state.updateFollowerFetchState(1, end, 0n, replicated.clock(), end);
    };
    return { ...replicated, log, followerCatchesUp };
  };
  const record = (key: string, value: string) => ({ key: Buffer.from(key), value: Buffer.from(value) });

  it("when a commit is appended, then it is answered only once the other ISR member has it, and reading stops at the high watermark", async (t) => {
    const { log, partition, followerCatchesUp } = ledOffsetsPartition(t);
    let firstDone = false;
    const first = log.append(0, [record("k1", "v1"), record("k2", "v2")]).then(() => (firstDone = true));
    await settle();
    assert.equal(firstDone, false, "broker 1 has not fetched the commit yet");
    assert.deepEqual([...log.read(0)], [], "nothing is committed yet");

    followerCatchesUp();
    await first;
    const second = log.append(0, [record("k1", "v3")]);
    await settle();
    assert.equal(partition.log.logEndOffset, 3n);
    assert.deepEqual(
      [...log.read(0)],
      [record("k1", "v1"), record("k2", "v2")],
      "the record above the high watermark is not read",
    );
    followerCatchesUp();
    await second;
    assert.deepEqual([...log.read(0)], [record("k1", "v1"), record("k2", "v2"), record("k1", "v3")]);
  });

  it("when this broker stops leading while a commit waits for the ISR, then the append fails with NOT_LEADER_OR_FOLLOWER", async (t) => {
    const { log, state } = ledOffsetsPartition(t);
    const appended = log.append(0, [record("k", "v")]);
    state.makeFollower({ leader: 1, leaderEpoch: 2, partitionEpoch: 1, replicas: [0, 1] });
    await assert.rejects(appended, (error: unknown) => {
      assert.ok(error instanceof OffsetsAppendError);
      assert.equal(error.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
      return true;
    });
    await assert.rejects(
      log.append(0, [record("k", "v")]),
      (error: unknown) => error instanceof OffsetsAppendError && error.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER,
      "a follower refuses at once",
    );
  });

  it("when a new leader's replica holds records not yet committed, then it is loadable only once its high watermark reaches its log end", async (t) => {
    const { log, state, partition, followerCatchesUp } = ledOffsetsPartition(t);
    // Records an earlier leader wrote and this replica got, without knowing they were committed.
    state.appendAsLeader(encodeRecordBatch({ records: [{ key: Buffer.from("k"), value: Buffer.from("v") }] }), 1);
    assert.equal(partition.highWatermark, 0n);

    let loadable: boolean | undefined;
    const waiting = log.awaitLoadable(0).then((answer) => (loadable = answer));
    await settle();
    assert.equal(loadable, undefined);
    followerCatchesUp();
    await waiting;
    assert.equal(loadable, true);
    assert.deepEqual([...log.read(0)], [record("k", "v")]);
  });

  it("when the leadership moves before the replica is committed, then it is not loadable", async (t) => {
    const { log, state } = ledOffsetsPartition(t);
    state.appendAsLeader(encodeRecordBatch({ records: [{ key: Buffer.from("k"), value: Buffer.from("v") }] }), 1);
    const waiting = log.awaitLoadable(0);
    state.makeFollower({ leader: 1, leaderEpoch: 2, partitionEpoch: 1, replicas: [0, 1] });
    assert.equal(await waiting, false);
  });

  it("when a lone broker's partition or a missing one is asked about, then it is loadable at once, or never", async (t) => {
    const log = new ConsumerOffsetsLog(topicPartitions(t, 1, CONSUMER_OFFSETS_TOPIC));
    assert.equal(await log.awaitLoadable(0), true);
    assert.equal(await log.awaitLoadable(3), false);
  });
});
