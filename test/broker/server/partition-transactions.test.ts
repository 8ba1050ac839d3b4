// A partition's transactions (KIP-98), through its leader as the produce path and the transaction
// coordinator reach it: transactional batches start a producer's transaction, markers written by
// PartitionState.appendTxnMarkerAsLeader end it, and the last stable offset stops read_committed
// readers at the first transaction not yet completed and replicated. Aborts land in the txn index;
// all of it survives a restart and is rebuilt when the log is replayed.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import { ErrorCode } from "../../../broker/protocol/errors.ts";
import { readControlRecord } from "../../../broker/protocol/record-batch/control-records.ts";
import { BatchField, isControlBatch } from "../../../broker/protocol/record-batch/layout.ts";
import { leaderAlone, type ReplicatedPartition, replicatedPartition } from "./replication/partition-state-fixture.ts";
import { txnBatch } from "./transactional-batches.ts";

const marker = (producerId: bigint, commit: boolean, producerEpoch = 0, coordinatorEpoch = 0) => ({
  producerId,
  producerEpoch,
  coordinatorEpoch,
  commit,
});

/** A partition led alone in a temp dir, and how to open it again there (a restart). */
function restartable(t: TestContext): { first: ReplicatedPartition; reopen(): ReplicatedPartition } {
  const dir = mkdtempSync(join(tmpdir(), "partition-txn-"));
  const opened: ReplicatedPartition[] = [];
  t.after(() => {
    for (const { partition } of opened) partition.log.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const open = () => {
    const alone = leaderAlone(t, { dir });
    opened.push(alone);
    return alone;
  };
  return { first: open(), reopen: open };
}

function produce(alone: ReplicatedPartition, batch: Buffer): bigint {
  const outcome = alone.state.appendAsLeader(batch, -1);
  assert.equal(outcome.errorCode, ErrorCode.NONE, outcome.errorMessage ?? "");
  return outcome.baseOffset;
}

describe("Partition transactions", () => {
  it("when a transaction is ongoing, then the last stable offset stays at its first offset while the high watermark moves on", (t) => {
    const alone = leaderAlone(t);
    produce(alone, txnBatch(-1n, -1, { transactional: false }));
    produce(alone, txnBatch(7n, 0, { count: 2 }));
    produce(alone, txnBatch(-1n, -1, { transactional: false }));
    assert.equal(alone.partition.highWatermark, 4n);
    assert.equal(alone.partition.lastStableOffset, 1n);
    assert.equal(alone.state.lastStableOffset, 1n);
  });

  it("when the marker commits it, then the last stable offset reaches the high watermark and nothing is indexed as aborted", (t) => {
    const alone = leaderAlone(t);
    produce(alone, txnBatch(7n, 0, { count: 2 }));
    const outcome = alone.state.appendTxnMarkerAsLeader(marker(7n, true));
    assert.equal(outcome.errorCode, ErrorCode.NONE);
    assert.equal(outcome.baseOffset, 2n);
    assert.equal(outcome.requiredOffset, 3n);
    assert.equal(alone.partition.highWatermark, 3n);
    assert.equal(alone.partition.lastStableOffset, 3n);
    assert.deepEqual(alone.partition.abortedTransactions(0n, 3n), []);
  });

  it("when the marker aborts it, then the last stable offset moves past it and the abort is listed from its first offset", (t) => {
    const alone = leaderAlone(t);
    produce(alone, txnBatch(7n, 0, { count: 2 }));
    produce(alone, txnBatch(8n, 0));
    alone.state.appendTxnMarkerAsLeader(marker(7n, false));
    // Producer 8's transaction (offset 2) still holds the LSO back.
    assert.equal(alone.partition.lastStableOffset, 2n);
    assert.deepEqual(alone.partition.abortedTransactions(0n, 4n), [{ producerId: 7n, firstOffset: 0n }]);
    assert.deepEqual(alone.partition.log.abortedTransactions(0n, 4n), [
      { producerId: 7n, firstOffset: 0n, lastOffset: 3n, lastStableOffset: 2n },
    ]);
    // A fetch starting after the marker needs not know of it.
    assert.deepEqual(alone.partition.abortedTransactions(4n, 5n), []);
    alone.state.appendTxnMarkerAsLeader(marker(8n, true));
    assert.equal(alone.partition.lastStableOffset, 5n);
  });

  it("when the marker is stored, then it is a control batch with the producer's id and epoch, sequence -1, and its type and coordinator epoch", (t) => {
    const alone = leaderAlone(t);
    produce(alone, txnBatch(7n, 0, { epoch: 3 }));
    alone.state.appendTxnMarkerAsLeader(marker(7n, true, 3, 9));
    const [stored] = [...alone.partition.log.batches(1n)];
    assert.ok(stored && isControlBatch(stored.attributes));
    assert.equal(stored.attributes, 0x30);
    assert.equal(stored.producerId, 7n);
    assert.equal(stored.producerEpoch, 3);
    assert.equal(stored.bytes.readInt32BE(BatchField.baseSequence), -1);
    assert.deepEqual(readControlRecord(stored.bytes), { type: 1, coordinatorEpoch: 9 });
  });

  it("when the marker's epoch is below the producer's, then INVALID_PRODUCER_EPOCH and nothing is written", (t) => {
    const alone = leaderAlone(t);
    produce(alone, txnBatch(7n, 0, { epoch: 2 }));
    const outcome = alone.state.appendTxnMarkerAsLeader(marker(7n, false, 1));
    assert.equal(outcome.errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
    assert.equal(outcome.requiredOffset, -1n);
    assert.equal(alone.partition.log.logEndOffset, 1n);
    assert.equal(alone.partition.lastStableOffset, 0n);
  });

  it("when the marker's coordinator epoch is below the last marker's, then TRANSACTION_COORDINATOR_FENCED", (t) => {
    const alone = leaderAlone(t);
    alone.state.appendTxnMarkerAsLeader(marker(7n, true, 0, 5));
    const outcome = alone.state.appendTxnMarkerAsLeader(marker(7n, true, 0, 4));
    assert.equal(outcome.errorCode, ErrorCode.TRANSACTION_COORDINATOR_FENCED);
    assert.equal(alone.partition.log.logEndOffset, 1n);
  });

  it("when a marker comes at a higher epoch, then it raises the producer's epoch and the old epoch's writes are fenced", (t) => {
    const alone = leaderAlone(t);
    produce(alone, txnBatch(7n, 0));
    alone.state.appendTxnMarkerAsLeader(marker(7n, false, 1));
    assert.equal(alone.partition.producers.epochOf(7n), 1);
    const late = alone.state.appendAsLeader(txnBatch(7n, 1), -1);
    assert.equal(late.errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
    assert.equal(produce(alone, txnBatch(7n, 0, { epoch: 1 })), 2n);
  });

  it("when a producer without an ongoing transaction gets a marker, then it is still written (a retry) and completes nothing", (t) => {
    const alone = leaderAlone(t);
    assert.equal(alone.state.appendTxnMarkerAsLeader(marker(7n, false)).errorCode, ErrorCode.NONE);
    assert.equal(alone.state.appendTxnMarkerAsLeader(marker(7n, false)).errorCode, ErrorCode.NONE);
    assert.equal(alone.partition.log.logEndOffset, 2n);
    assert.equal(alone.partition.lastStableOffset, 2n);
    assert.deepEqual(alone.partition.abortedTransactions(0n, 2n), []);
  });

  it("when this broker does not lead the partition, then the marker is refused with NOT_LEADER_OR_FOLLOWER", (t) => {
    const follower = replicatedPartition(t, { localBrokerId: 1 });
    follower.state.makeFollower({ leader: 0, leaderEpoch: 1, partitionEpoch: 1, replicas: [0, 1] });
    const outcome = follower.state.appendTxnMarkerAsLeader(marker(7n, true));
    assert.equal(outcome.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  });

  it("when a producer amid a transaction sends a plain batch, then INVALID_TXN_STATE; after its marker the batch is taken", (t) => {
    const alone = leaderAlone(t);
    produce(alone, txnBatch(7n, 0));
    const plain = alone.state.appendAsLeader(txnBatch(7n, 1, { transactional: false }), -1);
    assert.equal(plain.errorCode, ErrorCode.INVALID_TXN_STATE);
    alone.state.appendTxnMarkerAsLeader(marker(7n, true));
    produce(alone, txnBatch(7n, 1, { transactional: false }));
  });

  it("when a client sends a control batch, then INVALID_RECORD", (t) => {
    const alone = leaderAlone(t);
    const control = Buffer.from(txnBatch(7n, 0));
    const other = leaderAlone(t);
    other.state.appendTxnMarkerAsLeader(marker(7n, true));
    const [stored] = [...other.partition.log.batches(0n)];
    assert.equal(alone.state.appendAsLeader(stored!.bytes, -1).errorCode, ErrorCode.INVALID_RECORD);
    assert.equal(alone.state.appendAsLeader(control, -1).errorCode, ErrorCode.NONE);
  });

  it("when the partition restarts amid a transaction and after an abort, then the LSO and the aborted list are as before", (t) => {
    const { first, reopen } = restartable(t);
    produce(first, txnBatch(7n, 0, { count: 2 }));
    first.state.appendTxnMarkerAsLeader(marker(7n, false));
    produce(first, txnBatch(8n, 0));
    first.partition.log.close();
    const again = reopen();
    assert.equal(again.partition.lastStableOffset, 3n);
    assert.deepEqual(again.partition.abortedTransactions(0n, 4n), [{ producerId: 7n, firstOffset: 0n }]);
    again.state.appendTxnMarkerAsLeader(marker(8n, false));
    assert.equal(again.partition.lastStableOffset, 5n);
    assert.deepEqual(again.partition.abortedTransactions(0n, 5n), [
      { producerId: 7n, firstOffset: 0n },
      { producerId: 8n, firstOffset: 3n },
    ]);
  });

  it("when the log is replayed with no snapshot, then the transactions and aborts are rebuilt from the batches and markers", (t) => {
    const { first, reopen } = restartable(t);
    produce(first, txnBatch(7n, 0));
    first.state.appendTxnMarkerAsLeader(marker(7n, false));
    produce(first, txnBatch(8n, 0));
    const dir = first.dir;
    first.partition.log.close();
    for (const name of readdirSync(dir))
      if (name.endsWith(".snapshot") || name.endsWith(".txnindex")) rmSync(join(dir, name));
    const again = reopen();
    assert.equal(again.partition.lastStableOffset, 2n);
    assert.deepEqual(again.partition.abortedTransactions(0n, 3n), [{ producerId: 7n, firstOffset: 0n }]);
  });

  it("when a follower stores the leader's markers, then it tracks the transactions and indexes the aborts as the leader did", (t) => {
    const leader = leaderAlone(t);
    produce(leader, txnBatch(7n, 0));
    leader.state.appendTxnMarkerAsLeader(marker(7n, false));
    produce(leader, txnBatch(8n, 0));
    const follower = replicatedPartition(t, { localBrokerId: 1 });
    follower.state.makeFollower({ leader: 0, leaderEpoch: 1, partitionEpoch: 1, replicas: [0, 1] });
    const read = leader.partition.log.read(0n, 1 << 20);
    assert.equal(read.kind, "records");
    if (read.kind !== "records") return;
    follower.partition.appendAsFollower(Buffer.concat(read.chunks));
    follower.state.updateFollowerHighWatermark(3n);
    assert.equal(follower.partition.lastStableOffset, 2n);
    assert.deepEqual(follower.partition.abortedTransactions(0n, 3n), [{ producerId: 7n, firstOffset: 0n }]);
  });

  it("when the log is truncated below an abort's marker, then the abort is forgotten and the transaction is ongoing again", (t) => {
    const alone = leaderAlone(t);
    produce(alone, txnBatch(7n, 0));
    alone.state.appendTxnMarkerAsLeader(marker(7n, false));
    alone.partition.truncateTo(1n);
    assert.deepEqual(alone.partition.abortedTransactions(0n, 1n), []);
    assert.equal(alone.partition.producers.ongoingTxnFirstOffset(7n), 0n);
  });

  it("when DeleteRecords moves the log start past an ongoing transaction's start, then the last stable offset is the log start", (t) => {
    const alone = leaderAlone(t);
    produce(alone, txnBatch(7n, 0));
    produce(alone, txnBatch(-1n, -1, { transactional: false }));
    produce(alone, txnBatch(-1n, -1, { transactional: false }));
    assert.equal(alone.state.deleteRecordsOnLeader(2n).errorCode, ErrorCode.NONE);
    assert.equal(alone.partition.lastStableOffset, 2n);
  });

  it("when a coordinator writes a producer's transactional batches itself, then sequences are not checked but the epoch is", (t) => {
    const alone = leaderAlone(t);
    // As a group coordinator writes TxnOffsetCommit records: no sequence, the producer's id and epoch.
    const first = alone.state.appendAsLeader(txnBatch(7n, -1, { epoch: 1 }), -1, "coordinator");
    assert.equal(first.errorCode, ErrorCode.NONE);
    assert.equal(alone.state.appendAsLeader(txnBatch(7n, -1, { epoch: 1 }), -1, "coordinator").baseOffset, 1n);
    assert.equal(alone.partition.lastStableOffset, 0n);
    const stale = alone.state.appendAsLeader(txnBatch(7n, -1, { epoch: 0 }), -1, "coordinator");
    assert.equal(stale.errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
    // A client's batch without a sequence is refused as ever.
    assert.equal(alone.state.appendAsLeader(txnBatch(8n, 5), -1).errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    alone.state.appendTxnMarkerAsLeader(marker(7n, true, 1));
    assert.equal(alone.partition.lastStableOffset, 3n);
  });
});
