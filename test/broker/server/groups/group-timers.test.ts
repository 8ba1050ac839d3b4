import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Group, type GroupMember } from "../../../../broker/server/groups/group.ts";
import { GroupTimers } from "../../../../broker/server/groups/group-timers.ts";
import { consumerMember, ManualScheduler } from "./helpers.ts";

/** Stands in for the group queues: tasks wait here until the test runs them. */
class QueuedTasks {
  readonly tasks: (() => void)[] = [];
  readonly queue = (_group: Group, task: () => void): void => {
    this.tasks.push(task);
  };

  runAll(): void {
    for (const task of this.tasks.splice(0)) task();
  }
}

function groupWithMember(): { group: Group; member: GroupMember } {
  const group = new Group("orders");
  const member = consumerMember("till-1-a", { protocols: [{ name: "range", metadata: Buffer.alloc(0) }] });
  group.addMember(member);
  return { group, member };
}

describe("group timers", () => {
  it("when a session is restarted before it runs out, then only the latest session expires the member", async () => {
    const scheduler = new ManualScheduler();
    const queued = new QueuedTasks();
    const timers = new GroupTimers(scheduler, queued.queue);
    const { group, member } = groupWithMember();
    const expiries: string[] = [];

    timers.startSession(group, member, () => expiries.push("first"));
    await scheduler.advance(6_000);
    timers.startSession(group, member, () => expiries.push("second"));
    await scheduler.advance(6_000);
    queued.runAll();
    assert.deepEqual(expiries, [], "the first session was replaced and the second has not run out");

    await scheduler.advance(4_000);
    queued.runAll();
    assert.deepEqual(expiries, ["second"]);
    assert.equal(member.sessionTimer, null);
  });

  it("when a timer's task is still queued as its timer is replaced or stopped, then the task does nothing", async () => {
    const scheduler = new ManualScheduler();
    const queued = new QueuedTasks();
    const timers = new GroupTimers(scheduler, queued.queue);
    const { group, member } = groupWithMember();
    const ran: string[] = [];

    timers.startRebalance(group, 1_000, () => ran.push("stale rebalance"));
    timers.startSession(group, member, () => ran.push("stale session"));
    await scheduler.advance(10_000);
    assert.equal(queued.tasks.length, 2, "both fired and queued their tasks");
    timers.startRebalance(group, 1_000, () => ran.push("current rebalance"));
    timers.stopSession(member);
    queued.runAll();
    assert.deepEqual(ran, []);

    await scheduler.advance(1_000);
    queued.runAll();
    assert.deepEqual(ran, ["current rebalance"]);
  });

  it("when a member leaves the group before its session task runs, then the task does nothing", async () => {
    const scheduler = new ManualScheduler();
    const queued = new QueuedTasks();
    const timers = new GroupTimers(scheduler, queued.queue);
    const { group, member } = groupWithMember();
    let expired = false;

    timers.startSession(group, member, () => {
      expired = true;
    });
    await scheduler.advance(10_000);
    group.removeMember(member.memberId);
    queued.runAll();
    assert.equal(expired, false);
  });

  it("when a handed-out member id is claimed in time, then it never expires; when not, then it expires and is no longer pending", async () => {
    const scheduler = new ManualScheduler();
    const queued = new QueuedTasks();
    const timers = new GroupTimers(scheduler, queued.queue);
    const group = new Group("orders");
    const expired: string[] = [];

    timers.holdPendingMember(group, "claimed", 5_000, () => expired.push("claimed"));
    timers.holdPendingMember(group, "abandoned", 5_000, () => expired.push("abandoned"));
    assert.equal(timers.claimPendingMember(group, "claimed"), true);
    assert.equal(timers.claimPendingMember(group, "claimed"), false, "an id is claimed once");
    assert.equal(timers.claimPendingMember(group, "never-handed-out"), false);

    await scheduler.advance(5_000);
    queued.runAll();
    assert.deepEqual(expired, ["abandoned"]);
    assert.equal(group.pendingMemberTimers.size, 0);
  });

  it("when every timer of a group is stopped, then none is left running", async () => {
    const scheduler = new ManualScheduler();
    const queued = new QueuedTasks();
    const timers = new GroupTimers(scheduler, queued.queue);
    const { group, member } = groupWithMember();
    timers.startSession(group, member, () => assert.fail("session expired"));
    timers.startRebalance(group, 1_000, () => assert.fail("rebalance ran out"));
    timers.holdPendingMember(group, "pending", 1_000, () => assert.fail("pending id expired"));
    assert.equal(scheduler.activeTimerCount(), 3);

    timers.stopAll(group);
    assert.equal(scheduler.activeTimerCount(), 0);
    await scheduler.advance(60_000);
    assert.equal(queued.tasks.length, 0);
  });
});
