// The churn schedule: the same seed gives the same schedule; its shape is the documented one.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { churnSchedule, type ScheduleOptions } from "../../../../seed/lab/rebalance/schedule.ts";

const options: ScheduleOptions = {
  seed: 42,
  members: 4,
  leadMs: 1_000,
  settleMs: { join: 4_500, leave: 7_000, crash: 1_000, restart: 5_000 },
  jitterMs: 400,
};

describe("churn schedule", () => {
  it("when built twice from one seed, then it is the same; another seed picks other members or times", () => {
    assert.deepEqual(churnSchedule(options), churnSchedule({ ...options }));
    const others = [1, 2, 3, 4, 5].map((seed) => JSON.stringify(churnSchedule({ ...options, seed }).actions));
    assert.ok(new Set(others).size > 1, "seeds change the schedule");
  });

  it("when built, then a fifth member joins, then three different starting members leave, crash and restart, in that order, each after the previous one's settling time", () => {
    for (const seed of [1, 7, 42, 1234]) {
      const schedule = churnSchedule({ ...options, seed });
      assert.deepEqual(schedule.initialMembers, ["m1", "m2", "m3", "m4"]);
      assert.deepEqual(
        schedule.actions.map((a) => a.kind),
        ["join", "leave", "crash", "restart"],
      );
      assert.equal(schedule.actions[0]!.member, "m5");
      const victims = schedule.actions.slice(1).map((a) => a.member);
      assert.equal(new Set(victims).size, 3);
      for (const victim of victims) assert.ok(schedule.initialMembers.includes(victim));
      // Slot i starts after the settling times before it; jitter only delays, by less than jitterMs.
      let slot = options.leadMs;
      for (const action of schedule.actions) {
        assert.ok(action.atMs >= slot && action.atMs < slot + options.jitterMs, `${action.kind} at ${action.atMs}`);
        slot += options.settleMs[action.kind];
      }
      assert.equal(schedule.durationMs, schedule.actions[3]!.atMs + options.settleMs.restart);
    }
  });

  it("when there are fewer than 3 starting members, then it refuses", () => {
    assert.throws(() => churnSchedule({ ...options, members: 2 }), /at least 3 members/);
  });
});
