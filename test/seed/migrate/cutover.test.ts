// The migration's decisions on plain numbers: a group's lag, when the cutover may happen, what it
// waits for, and the checks around the handover.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  foreignRecords,
  lagOf,
  readiness,
  readyForCutover,
  waitingFor,
  writtenSince,
} from "../../../seed/migrate/cutover.ts";

const bounds = [
  { start: 0n, end: 10n },
  { start: 5n, end: 8n },
  { start: 0n, end: 0n },
];

describe("lagOf", () => {
  it("when a group committed on every partition, then its lag is what lies after its offsets", () => {
    assert.equal(lagOf(bounds, [7n, 8n, 0n]), 3n);
  });

  it("when a group committed nothing on a partition, or below its log start, then it starts at the log start", () => {
    assert.equal(lagOf(bounds, [-1n, 2n, -1n]), 13n);
  });

  it("when a group committed at every end, then its lag is 0", () => {
    assert.equal(lagOf(bounds, [10n, 8n, -1n]), 0n);
  });
});

describe("readiness and readyForCutover", () => {
  it("when every group is empty and drained, then the cutover may happen", () => {
    const states = readiness(bounds, [
      { groupId: "ledger", members: 0, committed: [10n, 8n, 0n] },
      { groupId: "audit", members: 0, committed: [10n, 8n, -1n] },
    ]);
    assert.equal(readyForCutover(states), true);
    assert.deepEqual(
      states.map((s) => waitingFor(s, "t")),
      [null, null],
    );
  });

  it("when a drained group still has members, then it waits for them to stop", () => {
    const [state] = readiness(bounds, [{ groupId: "ledger", members: 2, committed: [10n, 8n, 0n] }]);
    assert.equal(readyForCutover([state!]), false);
    assert.equal(waitingFor(state!, "t"), "group ledger has consumed t to its end: stop its 2 member(s) now");
  });

  it("when a group is still consuming, then it waits for the rest", () => {
    const [state] = readiness(bounds, [{ groupId: "ledger", members: 1, committed: [4n, 8n, 0n] }]);
    assert.equal(readyForCutover([state!]), false);
    assert.equal(waitingFor(state!, "t"), "group ledger is consuming t: 6 records to go");
  });

  it("when a group stopped before consuming everything, then it is not ready and is asked to finish first", () => {
    const [state] = readiness(bounds, [{ groupId: "ledger", members: 0, committed: [4n, 8n, 0n] }]);
    assert.equal(readyForCutover([state!]), false);
    assert.match(waitingFor(state!, "t")!, /no members but 6 records of t unconsumed: start its consumers again/);
  });
});

describe("foreignRecords and writtenSince", () => {
  it("when the new topic holds exactly what was copied, then no foreign records", () => {
    assert.deepEqual(foreignRecords([3, 0, 5], [3n, 0n, 5n]), [0, 0, 0]);
  });

  it("when a producer wrote to the new topic, then its records are counted per partition", () => {
    assert.deepEqual(foreignRecords([3, 0, 5], [3n, 2n, 5n]), [0, 2, 0]);
  });

  it("when the old topic grew after the cutover, then the records written since are counted per partition", () => {
    assert.deepEqual(
      writtenSince(bounds, [
        { start: 0n, end: 10n },
        { start: 5n, end: 9n },
        { start: 0n, end: 0n },
      ]),
      [0, 1, 0],
    );
  });
});
