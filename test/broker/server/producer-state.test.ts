import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ProducerStateTable } from "../../../broker/server/producer-state.ts";

const batch = (baseSequence: number, records = 1, producerEpoch = 0, producerId = 7n) => ({
  producerId,
  producerEpoch,
  baseSequence,
  lastOffsetDelta: records - 1,
});

describe("ProducerStateTable", () => {
  it("when a batch has no producer id, then it is always appended", () => {
    const table = new ProducerStateTable();
    assert.deepEqual(table.check(batch(42, 1, 0, -1n)), { kind: "append" });
  });

  it("when a new producer starts at sequence 0, then it is appended; elsewhere it is out of order", () => {
    const table = new ProducerStateTable();
    assert.deepEqual(table.check(batch(0)), { kind: "append" });
    assert.deepEqual(table.check(batch(3)), { kind: "error", errorCode: "OUT_OF_ORDER_SEQUENCE_NUMBER" });
  });

  it("when a recent batch is sent again, then it is a duplicate with its first offset", () => {
    const table = new ProducerStateTable();
    table.record(batch(0, 3), 10n);
    table.record(batch(3, 2), 13n);
    assert.deepEqual(table.check(batch(0, 3)), { kind: "duplicate", baseOffset: 10n });
    assert.deepEqual(table.check(batch(3, 2)), { kind: "duplicate", baseOffset: 13n });
    assert.deepEqual(table.check(batch(5)), { kind: "append" });
  });

  it("when sequences leave a gap, then OUT_OF_ORDER_SEQUENCE_NUMBER", () => {
    const table = new ProducerStateTable();
    table.record(batch(0, 3), 0n);
    assert.deepEqual(table.check(batch(4)), { kind: "error", errorCode: "OUT_OF_ORDER_SEQUENCE_NUMBER" });
  });

  it("when more than five batches passed, then the oldest is no longer recognised as a duplicate", () => {
    const table = new ProducerStateTable();
    for (let i = 0; i < 6; i++) table.record(batch(i), BigInt(i));
    assert.equal(table.check(batch(0)).kind, "error");
    assert.deepEqual(table.check(batch(1)), { kind: "duplicate", baseOffset: 1n });
  });

  it("when an older epoch writes, then INVALID_PRODUCER_EPOCH; a newer epoch restarts at 0", () => {
    const table = new ProducerStateTable();
    table.record(batch(0, 1, 2), 0n);
    assert.deepEqual(table.check(batch(1, 1, 1)), { kind: "error", errorCode: "INVALID_PRODUCER_EPOCH" });
    assert.deepEqual(table.check(batch(0, 1, 3)), { kind: "append" });
    assert.deepEqual(table.check(batch(1, 1, 3)), { kind: "error", errorCode: "OUT_OF_ORDER_SEQUENCE_NUMBER" });
  });

  it("when the sequence wraps past int32 max, then 0 follows", () => {
    const table = new ProducerStateTable();
    table.record(batch(2 ** 31 - 2, 2), 0n);
    assert.deepEqual(table.check(batch(0)), { kind: "append" });
  });
});

describe("ProducerStateTable transactions", () => {
  /** A transactional batch of producer `producerId` (attributes 0x10). */
  const txn = (baseSequence: number, producerId = 7n, producerEpoch = 0) => ({
    ...batch(baseSequence, 1, producerEpoch, producerId),
    attributes: 0x10,
  });
  const marker = (producerId: bigint, commit: boolean, producerEpoch = 0, coordinatorEpoch = 0) => ({
    producerId,
    producerEpoch,
    coordinatorEpoch,
    commit,
  });

  it("when a transactional batch is recorded, then its offset starts the producer's transaction; later ones leave it", () => {
    const table = new ProducerStateTable();
    table.record(txn(0), 4n);
    table.record(txn(1), 9n);
    assert.equal(table.ongoingTxnFirstOffset(7n), 4n);
    assert.equal(table.firstUnstableOffset(100n), 4n);
  });

  it("when a marker ends the transaction, then it is returned completed with the LSO then, and the producer has none ongoing", () => {
    const table = new ProducerStateTable();
    table.record(txn(0, 7n), 0n);
    table.record(txn(0, 8n), 1n);
    const completed = table.recordMarker(marker(7n, false), 2n, 0n);
    assert.deepEqual(completed, {
      producerId: 7n,
      firstOffset: 0n,
      lastOffset: 2n,
      isAborted: true,
      lastStableOffset: 1n,
    });
    assert.equal(table.ongoingTxnFirstOffset(7n), null);
    assert.equal(table.recordMarker(marker(8n, true), 3n, 0n)?.lastStableOffset, 4n);
  });

  it("when a transaction's marker is not below the high watermark yet, then it stays unstable until the high watermark passes it", () => {
    const table = new ProducerStateTable();
    table.record(txn(0), 5n);
    table.recordMarker(marker(7n, true), 6n, 6n);
    assert.equal(table.firstUnstableOffset(6n), 5n);
    assert.equal(table.firstUnstableOffset(7n), null);
    // Once forgotten, a lower high watermark (never happens on a leader) brings nothing back.
    assert.equal(table.firstUnstableOffset(6n), null);
  });

  it("when a marker has no ongoing transaction to end, then it completes nothing but records its epochs", () => {
    const table = new ProducerStateTable();
    assert.equal(table.recordMarker(marker(7n, false, 2, 5), 0n, 0n), null);
    assert.equal(table.epochOf(7n), 2);
    assert.equal(table.checkMarker(marker(7n, true, 2, 4)), "TRANSACTION_COORDINATOR_FENCED");
    assert.equal(table.checkMarker(marker(7n, true, 1, 5)), "INVALID_PRODUCER_EPOCH");
    assert.equal(table.checkMarker(marker(7n, true, 2, 5)), null);
    assert.equal(table.checkMarker(marker(9n, true, 0, 0)), null);
  });

  it("when a marker raises the epoch, then the old epoch's batches are refused and the new one starts at sequence 0", () => {
    const table = new ProducerStateTable();
    table.record(txn(0), 0n);
    table.recordMarker(marker(7n, false, 1), 1n, 0n);
    assert.deepEqual(table.check(txn(1)), { kind: "error", errorCode: "INVALID_PRODUCER_EPOCH" });
    assert.deepEqual(table.check(txn(0, 7n, 1)), { kind: "append" });
  });

  it("when a producer amid a transaction sends a non-transactional batch, then INVALID_TXN_STATE", () => {
    const table = new ProducerStateTable();
    table.record(txn(0), 0n);
    assert.deepEqual(table.check(batch(1)), { kind: "error", errorCode: "INVALID_TXN_STATE" });
    assert.deepEqual(table.check(txn(1)), { kind: "append" });
  });

  it("when a control batch is recorded as data, then it is ignored (markers go through recordMarker)", () => {
    const table = new ProducerStateTable();
    table.record({ ...batch(-1), attributes: 0x30 }, 0n);
    assert.equal(table.size, 0);
  });

  it("when the table is snapshotted and restored, then ongoing transactions and coordinator epochs come back", () => {
    const table = new ProducerStateTable();
    table.record(txn(0, 7n), 3n);
    table.recordMarker(marker(8n, true, 0, 4), 4n, 0n);
    const restored = ProducerStateTable.fromSnapshot(table.toSnapshot());
    assert.deepEqual(restored.toSnapshot(), table.toSnapshot());
    assert.equal(restored.ongoingTxnFirstOffset(7n), 3n);
    assert.equal(restored.firstUnstableOffset(100n), 3n);
    assert.equal(restored.checkMarker(marker(8n, true, 0, 3)), "TRANSACTION_COORDINATOR_FENCED");
  });

  it("when a coordinator's batch is checked, then only its epoch counts, and without a sequence it is not remembered", () => {
    const table = new ProducerStateTable();
    table.record(txn(-1, 7n, 2), 0n);
    assert.deepEqual(table.checkEpoch(txn(-1, 7n, 2)), { kind: "append" });
    assert.deepEqual(table.checkEpoch(txn(-1, 7n, 1)), { kind: "error", errorCode: "INVALID_PRODUCER_EPOCH" });
    assert.deepEqual(table.toSnapshot()[0]!.batches, []);
    assert.equal(table.ongoingTxnFirstOffset(7n), 0n);
  });
});
