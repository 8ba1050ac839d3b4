import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConsumerGroup, ConsumerGroupMember } from "../../../../broker/server/groups/consumer-group.ts";
import { ConsumerGroupTimers } from "../../../../broker/server/groups/consumer-group-timers.ts";
import { ManualScheduler } from "./helpers.ts";

function setUp() {
  const scheduler = new ManualScheduler();
  const queued: string[] = [];
  // Stands in for the coordinator's group queue: runs the task at once, recording that it was queued.
  const timers = new ConsumerGroupTimers(scheduler, (group, task) => {
    queued.push(group.groupId);
    task();
  });
  const group = new ConsumerGroup("g");
  const member = new ConsumerGroupMember({
    memberId: "m",
    instanceId: null,
    rackId: null,
    clientId: "c",
    clientHost: "h",
  });
  group.addMember(member);
  return { scheduler, timers, group, member, queued };
}

describe("consumer-protocol member timers", () => {
  it("when the session is renewed before it runs out, then it expires only a full timeout after the last renewal", async () => {
    const { scheduler, timers, group, member, queued } = setUp();
    let expired = 0;
    timers.startSession(group, member, 1_000, () => expired++);
    await scheduler.advance(800);
    timers.startSession(group, member, 1_000, () => expired++);
    await scheduler.advance(800);
    assert.equal(expired, 0);
    await scheduler.advance(200);
    assert.deepEqual([expired, queued], [1, ["g"]]);
  });

  it("when the rebalance deadline runs, then heartbeats do not push it back, and stopping it cancels it", async () => {
    const { scheduler, timers, group, member } = setUp();
    let fenced = 0;
    timers.startRebalanceIfIdle(group, member, 1_000, () => fenced++);
    await scheduler.advance(600);
    timers.startRebalanceIfIdle(group, member, 1_000, () => fenced++);
    await scheduler.advance(400);
    assert.equal(fenced, 1);
    timers.startRebalanceIfIdle(group, member, 1_000, () => fenced++);
    timers.stopRebalance(member);
    await scheduler.advance(2_000);
    assert.equal(fenced, 1);
  });

  it("when the member has left the group before its timer fires, then the timer does nothing", async () => {
    const { scheduler, timers, group, member } = setUp();
    let expired = 0;
    timers.startSession(group, member, 1_000, () => expired++);
    group.removeMember("m");
    await scheduler.advance(1_000);
    assert.equal(expired, 0);
    timers.startSession(group, member, 1_000, () => expired++);
    timers.stopAll(group);
    timers.stopMember(member);
    await scheduler.advance(1_000);
    assert.equal(expired, 0);
    assert.equal(scheduler.activeTimerCount(), 0);
  });
});
