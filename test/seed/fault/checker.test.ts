// The fault test's checker: each anomaly is counted from a small hand-made history, and a clean
// history counts none.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type AckedRecord,
  type CheckInput,
  checkHistory,
  isClean,
  type Observation,
  type SentRecord,
} from "../../../seed/fault/checker.ts";

const sent = (key: string, seq: number): SentRecord => ({ client: "ours", key, seq, value: `${key}/${seq}` });
const acked = (key: string, seq: number, partition: number, offset: number): AckedRecord => ({
  ...sent(key, seq),
  partition,
  offset: BigInt(offset),
});
const seen = (value: string, partition: number, offset: number, source = "final"): Observation => ({
  source,
  partition,
  offset: BigInt(offset),
  value,
});

/** Two keys on two partitions, three records each, all acknowledged and read where they were put. */
function cleanHistory(): CheckInput {
  const records = [0, 1, 2].flatMap((seq) => [acked("a", seq, 0, seq), acked("b", seq, 1, seq)]);
  return {
    acked: records,
    unacknowledged: [],
    final: records.map((r) => seen(r.value, r.partition, Number(r.offset))),
    others: records.map((r) => seen(r.value, r.partition, Number(r.offset), "replica-1")),
  };
}

describe("checkHistory", () => {
  it("when every acknowledged record is read once, in order, where it was acknowledged, then nothing is counted", () => {
    const report = checkHistory(cleanHistory());
    assert.equal(isClean(report), true, JSON.stringify(report));
    assert.equal(report.acknowledged, 6);
    assert.equal(report.read, 6);
  });

  it("when an acknowledged record is missing from the final read, then it is lost", () => {
    const history = cleanHistory();
    const report = checkHistory({ ...history, final: history.final.filter((o) => o.value !== "a/1") });
    assert.equal(report.lost, 1);
    assert.deepEqual(report.examples.lost, ["a/1 acknowledged at 0@1"]);
  });

  it("when a value is read at two offsets, then it is duplicated (a reread of one offset is not)", () => {
    const history = cleanHistory();
    const final = [...history.final, seen("a/2", 0, 3), seen("a/2", 0, 2)];
    const report = checkHistory({ ...history, final });
    assert.equal(report.duplicated, 1);
    assert.deepEqual(report.examples.duplicated, ["a/2 at 0@2, 0@3"]);
    assert.equal(report.reordered, 0);
  });

  it("when a key's later record sits before an earlier one, then it is reordered", () => {
    const records = [acked("a", 0, 0, 0), acked("a", 1, 0, 2), acked("a", 2, 0, 1)];
    const report = checkHistory({
      acked: records,
      unacknowledged: [],
      final: records.map((r) => seen(r.value, 0, Number(r.offset))),
      others: [],
    });
    assert.equal(report.reordered, 1);
    assert.deepEqual(report.examples.reordered, ["key a: a/1 at 0@2 after a/2 at 0@1"]);
  });

  it("when an unacknowledged record appears out of its key's order, then it is not a reordering", () => {
    const report = checkHistory({
      acked: [acked("a", 0, 0, 0), acked("a", 2, 0, 1)],
      unacknowledged: [sent("a", 1)],
      final: [seen("a/0", 0, 0), seen("a/2", 0, 1), seen("a/1", 0, 2)],
      others: [],
    });
    assert.equal(report.reordered, 0);
    assert.equal(report.unacknowledgedPresent, 1);
    assert.equal(isClean(report), true);
  });

  it("when two observations of one offset hold different values, then the offset is inconsistent", () => {
    const history = cleanHistory();
    const others = [...history.others, seen("b/0", 0, 1, "live")];
    const report = checkHistory({ ...history, others });
    assert.equal(report.inconsistentOffsets, 1);
    assert.deepEqual(report.examples.inconsistentOffsets, ["0@1: a/1 (ack, final, replica-1) vs b/0 (live)"]);
  });

  it("when an acknowledgement names an offset that holds another record, then that offset is inconsistent and the record lost", () => {
    const history = cleanHistory();
    const acks = history.acked.map((r) => (r.value === "a/1" ? { ...r, offset: 2n } : r));
    const final = history.final.filter((o) => o.value !== "a/1");
    const report = checkHistory({ acked: acks, unacknowledged: [], final, others: [] });
    assert.equal(report.lost, 1);
    assert.equal(report.inconsistentOffsets, 1);
    assert.deepEqual(report.examples.inconsistentOffsets, ["0@2: a/1 (ack) vs a/2 (ack, final)"]);
  });

  it("when a read holds a value nobody sent, then it is counted as unknown", () => {
    const history = cleanHistory();
    const report = checkHistory({ ...history, others: [seen("garbage", 1, 7, "replica-2")] });
    assert.equal(report.unknownValues, 1);
    assert.equal(isClean(report), false);
  });
});
