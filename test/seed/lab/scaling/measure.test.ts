// The scaling lab's figures from a hand-built run: only what ended inside the window counts,
// per member and in total; join time is the time before the window; members owning nothing are
// idle; a partition whose records ran out before the window ended is reported as drained.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type CellRun, measureCell } from "../../../../seed/lab/scaling/measure.ts";
import type { Consumption } from "../../../../seed/lab/scaling/member-group.ts";

function consumption(member: string, partition: number, offset: number, at: number, seq = offset): Consumption {
  return { member, partition, offset, userId: `u${partition}`, seq, at };
}

const run: CellRun = {
  partitions: 2,
  members: 3,
  ioMs: 10,
  records: [100, 3],
  ownership: [
    { member: "m1", partitions: [0] },
    { member: "m2", partitions: [1] },
    { member: "m3", partitions: [] },
  ],
  consumed: [
    consumption("m1", 0, 0, 1_000), // during the join
    consumption("m1", 0, 1, 2_100),
    consumption("m1", 0, 2, 2_200),
    consumption("m2", 1, 0, 2_300),
    consumption("m2", 1, 1, 2_400),
    consumption("m2", 1, 2, 2_500),
    consumption("m1", 0, 3, 3_100), // after the window
  ],
  startedAt: 500,
  window: { from: 2_000, to: 3_000 },
};

describe("a scaling-lab cell's figures", () => {
  it("when commands ended inside the window, then they are counted per member and as records per second", () => {
    const result = measureCell(run);
    assert.equal(result.windowMs, 1_000);
    assert.equal(result.recordsInWindow, 5);
    assert.equal(result.throughputPerSec, 5);
    assert.deepEqual(
      result.perMember.map((m) => [m.member, m.partitions, m.recordsInWindow]),
      [
        ["m1", [0], 2],
        ["m2", [1], 3],
        ["m3", [], 0],
      ],
    );
  });

  it("when the group took time to be stable, then that is the join time, and the ideal is min(members, partitions) per I/O wait", () => {
    const result = measureCell(run);
    assert.equal(result.joinMs, 1_500);
    assert.equal(result.idealPerSec, 200);
  });

  it("when a member owns nothing, then it is idle", () => {
    assert.deepEqual(measureCell(run).idleMembers, ["m3"]);
  });

  it("when a partition's records were all consumed by the window's end, then it is reported drained", () => {
    assert.deepEqual(measureCell(run).drainedPartitions, [1]);
  });

  it("when a user's commands were consumed in order, then the order check over everything consumed is clean", () => {
    const { order } = measureCell(run);
    assert.equal(order.commands, 7);
    assert.equal(order.outOfOrder, 0);
    const swapped = measureCell({
      ...run,
      consumed: [consumption("m1", 0, 0, 2_100, 1), consumption("m1", 0, 1, 2_200, 0)],
    });
    assert.equal(swapped.order.outOfOrder, 1);
  });
});
