import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type ControllerTimers,
  PeriodicTaskControl,
  type PeriodicTaskSettings,
} from "../../../broker/controller/periodic-task-control.ts";

/** Periodic timers the test fires by hand. */
class ManualTimers implements ControllerTimers {
  readonly tasks = new Set<{ ms: number; task: () => void }>();

  every(ms: number, task: () => void): () => void {
    const entry = { ms, task };
    this.tasks.add(entry);
    return () => this.tasks.delete(entry);
  }

  after(): () => void {
    throw new Error("periodic tasks set no one-shot timer");
  }

  fire(ms: number): void {
    for (const entry of this.tasks) if (entry.ms === ms) entry.task();
  }

  get periods(): number[] {
    return [...this.tasks].map((entry) => entry.ms);
  }
}

const settings: PeriodicTaskSettings = {
  sessionTimeoutMs: 9000,
  autoLeaderRebalance: true,
  leaderImbalanceCheckIntervalMs: 300_000,
};

function setup(more: Partial<PeriodicTaskSettings> = {}) {
  const clock = { now: 0 };
  const timers = new ManualTimers();
  const calls: string[] = [];
  const outcome = { fails: false };
  const run = (name: string) => () => {
    calls.push(name);
    return outcome.fails ? Promise.reject(new Error(`${name} failed`)) : Promise.resolve();
  };
  const control = new PeriodicTaskControl({ ...settings, ...more }, () => clock.now, timers, {
    fenceStaleBrokers: run("fence"),
    balanceLeaders: run("balance"),
    extendSessions: (ms) => calls.push(`extend ${ms}`),
  });
  return { clock, timers, calls, outcome, control };
}

describe("PeriodicTaskControl", () => {
  it("when activated, then sessions are checked every quarter of the session timeout, between 50 ms and 1 s", () => {
    for (const [sessionTimeoutMs, period] of [
      [9000, 1000],
      [2000, 500],
      [120, 50],
    ]) {
      const { timers, control } = setup({ sessionTimeoutMs, autoLeaderRebalance: false });
      control.activate();
      assert.deepEqual(timers.periods, [period], `session timeout ${sessionTimeoutMs} ms`);
    }
  });

  it("when auto.leader.rebalance.enable is set, then leaders are balanced every leader.imbalance.check.interval", () => {
    const { timers, calls, control } = setup();
    control.activate();
    assert.deepEqual(timers.periods, [1000, 300_000]);
    timers.fire(300_000);
    assert.deepEqual(calls, ["balance"]);
  });

  it("when checks come on time, then they fence and give no time back", () => {
    const { clock, timers, calls, control } = setup();
    control.activate();
    clock.now = 1000;
    timers.fire(1000);
    clock.now = 3000;
    timers.fire(1000);
    assert.deepEqual(calls, ["fence", "fence"], "late by one period exactly still counts as on time");
  });

  it("when a check comes more than a whole period late, then sessions get the late time back before it fences", () => {
    const { clock, timers, calls, control } = setup();
    control.activate();
    clock.now = 1000;
    timers.fire(1000);
    clock.now = 3500;
    timers.fire(1000);
    assert.deepEqual(calls, ["fence", "extend 1500", "fence"]);
  });

  it("when a task fails, then the failure goes no further and the task runs again at its next period", async () => {
    const { timers, calls, outcome, control } = setup();
    outcome.fails = true;
    control.activate();
    timers.fire(1000);
    timers.fire(300_000);
    timers.fire(1000);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(calls, ["fence", "balance", "fence"]);
  });

  it("when deactivated, then no task is left running, and activating again starts them afresh", () => {
    const { timers, control } = setup();
    control.activate();
    control.deactivate();
    assert.deepEqual(timers.periods, []);
    control.activate();
    assert.deepEqual(timers.periods, [1000, 300_000]);
  });
});
