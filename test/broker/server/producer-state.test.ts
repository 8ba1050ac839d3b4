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
