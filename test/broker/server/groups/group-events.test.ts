import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MemberAssignment } from "../../../../broker/client/consumer/assigner-protocol.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { type ClusterEvent, EventJournal } from "../../../../broker/server/admin/cluster-events.ts";
import type { GroupCoordinator } from "../../../../broker/server/groups/coordinator.ts";
import { consumerAssignmentOf, memberLabel } from "../../../../broker/server/groups/group-events.ts";
import { heartbeatOf, ORDERS_ID, startConsumerCoordinator } from "./consumer-helpers.ts";
import { consumerJoin, joinedAnswer, joinWithNewId, settle, startCoordinator, track } from "./helpers.ts";

/** A consumer's assignment as kafkajs and Java send it in SyncGroup. */
function assignmentBytes(assignment: Record<string, number[]>): Buffer {
  return MemberAssignment.encode({ version: 0, assignment, userData: Buffer.alloc(0) });
}

function kinds(events: EventJournal): string[] {
  return events.history().map((event) => event.kind);
}

function last(events: EventJournal, kind: ClusterEvent["kind"]): ClusterEvent {
  const found = events.history().filter((event) => event.kind === kind);
  assert.ok(found.length > 0, `no ${kind} event in ${kinds(events).join(", ")}`);
  return found[found.length - 1]!;
}

/** One member, Stable at generation 1, owning `orders` 0-3. */
async function stableMember(coordinator: GroupCoordinator, overrides: Parameters<typeof consumerJoin>[0] = {}) {
  const joined = await joinedAnswer(await joinWithNewId(coordinator, overrides));
  const synced = await coordinator.sync({
    groupId: "orders",
    generationId: joined.generationId,
    memberId: joined.memberId,
    assignments: [{ memberId: joined.memberId, assignment: assignmentBytes({ orders: [0, 1, 2, 3] }) }],
  });
  assert.equal(synced.errorCode, ErrorCode.NONE);
  return joined;
}

describe("group events: classic groups", () => {
  it("when a second member joins and the leader assigns, then joins, the rebalance's cause and every member's decoded assignment are recorded", async () => {
    const events = new EventJournal({ broker: 1 });
    const { coordinator } = await startCoordinator({ events });
    const first = await stableMember(coordinator, { clientId: "till-1" });
    const secondJoin = await joinWithNewId(coordinator, { clientId: "till-2" });
    const firstRejoin = track(coordinator.join(consumerJoin({ memberId: first.memberId, clientId: "till-1" })));
    const second = await joinedAnswer(secondJoin);
    await joinedAnswer(firstRejoin);
    await Promise.all([
      coordinator.sync({
        groupId: "orders",
        generationId: 2,
        memberId: first.memberId,
        assignments: [
          { memberId: first.memberId, assignment: assignmentBytes({ orders: [0, 1] }) },
          { memberId: second.memberId, assignment: assignmentBytes({ orders: [3, 2] }) },
        ],
      }),
      coordinator.sync({ groupId: "orders", generationId: 2, memberId: second.memberId, assignments: [] }),
    ]);

    assert.deepEqual(kinds(events), [
      "member-joined",
      "rebalance-started",
      "rebalance-completed",
      "member-joined",
      "rebalance-started",
      "rebalance-completed",
    ]);
    const [firstJoined, , , secondJoined, rebalance] = events.history();
    assert.equal(firstJoined!.memberId, first.memberId);
    assert.equal(secondJoined!.clientId, "till-2");
    assert.equal(rebalance!.cause, `member ${memberLabel(second.memberId, "till-2")} joined`);
    assert.match(rebalance!.cause, /^member till-2-[0-9a-f]{8} joined$/);
    const completed = last(events, "rebalance-completed");
    assert.equal(completed.generation, 2);
    assert.equal(completed.protocol, "classic");
    assert.deepEqual(completed.members, [
      { memberId: first.memberId, clientId: "till-1", assignment: { orders: [0, 1] } },
      { memberId: second.memberId, clientId: "till-2", assignment: { orders: [2, 3] } },
    ]);
    await coordinator.close();
  });

  it("when a member stops heartbeating, then it is removed for its session timeout, and the rebalance that follows says so", async () => {
    const events = new EventJournal({ broker: 1 });
    const { coordinator, scheduler } = await startCoordinator({ events });
    const member = await stableMember(coordinator, { sessionTimeoutMs: 10_000 });
    await scheduler.advance(10_000);

    const removed = last(events, "member-removed");
    assert.equal(removed.memberId, member.memberId);
    assert.equal(removed.cause, "session timeout (10000 ms without a heartbeat)");
    assert.deepEqual(removed.assignment, { orders: [0, 1, 2, 3] }, "what it owned when it was removed");
    assert.equal(
      last(events, "rebalance-started").cause,
      `session timeout of ${memberLabel(member.memberId, "till-1")}`,
    );
    const emptied = last(events, "rebalance-completed");
    assert.deepEqual([emptied.generation, emptied.members], [2, []]);
    await coordinator.close();
  });

  it("when a member does not rejoin within the rebalance timeout, then it is removed with that cause", async () => {
    const events = new EventJournal({ broker: 1 });
    const { coordinator, scheduler } = await startCoordinator({ events });
    const first = await stableMember(coordinator, { rebalanceTimeoutMs: 20_000, sessionTimeoutMs: 30_000 });
    const secondJoin = await joinWithNewId(coordinator, {
      clientId: "till-2",
      rebalanceTimeoutMs: 5_000,
      sessionTimeoutMs: 30_000,
    });
    await scheduler.advance(20_000);
    await joinedAnswer(secondJoin);

    const removed = last(events, "member-removed");
    assert.equal(removed.memberId, first.memberId);
    assert.equal(removed.cause, "rebalance timeout: did not rejoin within 20000 ms");
    await coordinator.close();
  });

  it("when a member leaves with a reason (LeaveGroup v5), then member-left carries it; without one it says none was given", async () => {
    const events = new EventJournal({ broker: 1 });
    const { coordinator } = await startCoordinator({ events });
    const member = await stableMember(coordinator);
    const left = await coordinator.leave({
      groupId: "orders",
      members: [{ memberId: member.memberId, groupInstanceId: null, reason: "consumer poll timeout has expired" }],
    });
    assert.equal(left.members[0]!.errorCode, ErrorCode.NONE);
    const leaving = last(events, "member-left");
    assert.equal(leaving.cause, "LeaveGroup: consumer poll timeout has expired");
    assert.deepEqual(leaving.assignment, { orders: [0, 1, 2, 3] });
    assert.equal(last(events, "rebalance-started").cause, `member ${memberLabel(member.memberId, "till-1")} left`);

    const again = await stableMember(coordinator);
    await coordinator.leave({ groupId: "orders", members: [{ memberId: again.memberId, groupInstanceId: null }] });
    assert.equal(last(events, "member-left").cause, "LeaveGroup (no reason given)");
    await coordinator.close();
  });

  it("when a static member restarts under a new member id, then static-member-rejoined names both ids and no rebalance starts", async () => {
    const events = new EventJournal({ broker: 1 });
    const { coordinator } = await startCoordinator({ events });
    const join = { groupInstanceId: "till-a", clientId: "pos" };
    const first = await joinedAnswer(track(coordinator.join(consumerJoin(join))));
    await coordinator.sync({
      groupId: "orders",
      generationId: first.generationId,
      memberId: first.memberId,
      groupInstanceId: "till-a",
      assignments: [{ memberId: first.memberId, assignment: assignmentBytes({ orders: [0, 1] }) }],
    });
    const before = events.history().length;
    const restarted = await coordinator.join(consumerJoin(join));
    await settle();

    assert.equal(restarted.errorCode, ErrorCode.NONE);
    assert.deepEqual(
      events
        .history()
        .slice(before)
        .map((event) => event.kind),
      ["static-member-rejoined"],
    );
    const rejoined = last(events, "static-member-rejoined");
    assert.deepEqual(
      [rejoined.memberId, rejoined.instanceId, rejoined.assignment],
      [restarted.memberId, "till-a", { orders: [0, 1] }],
    );
    assert.ok(rejoined.cause.includes(memberLabel(first.memberId, "pos")), rejoined.cause);
    await coordinator.close();
  });
});

describe("group events: KIP-848 consumer groups", () => {
  const owning = (...partitions: number[]) => [{ topicId: ORDERS_ID, partitions }];

  it("when a second member joins, then the first is told to revoke half, the second is assigned it, and the rebalance completes at epoch 2", async () => {
    const events = new EventJournal({ broker: 1 });
    const { coordinator } = await startConsumerCoordinator({}, events);
    await coordinator.consumerGroupHeartbeat(heartbeatOf());
    assert.deepEqual(kinds(events), [
      "member-joined",
      "rebalance-started",
      "partitions-assigned",
      "rebalance-completed",
    ]);
    assert.deepEqual(last(events, "partitions-assigned").assignment, { orders: [0, 1, 2, 3] });

    await coordinator.consumerGroupHeartbeat(heartbeatOf({ memberId: "m2" }));
    assert.equal(last(events, "rebalance-started").cause, "group epoch 2: member till/m2 joined");
    const revoking = await coordinator.consumerGroupHeartbeat(
      heartbeatOf({ memberEpoch: 1, topicPartitions: owning(0, 1, 2, 3) }),
    );
    const revoked = last(events, "partitions-revoked");
    assert.equal(revoked.memberId, "m1");
    const kept = revoking.assignment!.flatMap((topic) => topic.partitions);
    const moving = [0, 1, 2, 3].filter((partition) => !kept.includes(partition));
    assert.deepEqual(revoked.assignment, { orders: moving });

    await coordinator.consumerGroupHeartbeat(heartbeatOf({ memberEpoch: 1, topicPartitions: owning(...kept) }));
    await coordinator.consumerGroupHeartbeat(heartbeatOf({ memberId: "m2", memberEpoch: 2, topicPartitions: [] }));
    const assigned = last(events, "partitions-assigned");
    assert.deepEqual([assigned.memberId, assigned.generation, assigned.assignment], ["m2", 2, { orders: moving }]);
    const completed = last(events, "rebalance-completed");
    assert.equal(completed.generation, 2);
    assert.deepEqual(
      completed.members?.map((member) => [member.memberId, member.assignment]),
      [
        ["m1", { orders: kept }],
        ["m2", { orders: moving }],
      ],
    );
  });

  it("when one member falls silent and another does not revoke in time, then each is removed with its own cause", async () => {
    const events = new EventJournal({ broker: 1 });
    const { coordinator, scheduler } = await startConsumerCoordinator(
      { consumerGroupSessionTimeoutMs: 10_000 },
      events,
    );
    await coordinator.consumerGroupHeartbeat(heartbeatOf());
    await scheduler.advance(10_000);
    const silent = last(events, "member-removed");
    assert.deepEqual(
      [silent.memberId, silent.cause, silent.assignment],
      ["m1", "session timeout (10000 ms without a heartbeat)", { orders: [0, 1, 2, 3] }],
    );
    assert.equal(last(events, "rebalance-started").cause, "group epoch 2: session timeout of till/m1");

    await coordinator.consumerGroupHeartbeat(heartbeatOf({ memberId: "m3", rebalanceTimeoutMs: 5_000 }));
    await coordinator.consumerGroupHeartbeat(heartbeatOf({ memberId: "m4" }));
    for (let beat = 0; beat < 3; beat += 1) {
      await coordinator.consumerGroupHeartbeat(
        heartbeatOf({ memberId: "m3", memberEpoch: 3, rebalanceTimeoutMs: -1, topicPartitions: owning(0, 1, 2, 3) }),
      );
      await coordinator.consumerGroupHeartbeat(heartbeatOf({ memberId: "m4", memberEpoch: 4, topicPartitions: [] }));
      await scheduler.advance(2_000);
    }
    const stubborn = last(events, "member-removed");
    assert.deepEqual(
      [stubborn.memberId, stubborn.cause],
      ["m3", "rebalance timeout: did not revoke its partitions within 5000 ms"],
    );
  });

  it("when a member leaves with epoch -1, then member-left is recorded and the group epoch is bumped for it", async () => {
    const events = new EventJournal({ broker: 1 });
    const { coordinator } = await startConsumerCoordinator({}, events);
    await coordinator.consumerGroupHeartbeat(heartbeatOf());
    await coordinator.consumerGroupHeartbeat(heartbeatOf({ memberEpoch: -1 }));
    assert.deepEqual(kinds(events).slice(-2), ["member-left", "rebalance-started"]);
    assert.deepEqual(last(events, "member-left").assignment, { orders: [0, 1, 2, 3] });
    assert.equal(last(events, "rebalance-started").cause, "group epoch 2: member till/m1 left");
  });
});

describe("group events: reading assignments and members", () => {
  it("when ConsumerProtocol assignment bytes are read, then partitions come per topic, sorted; other bytes give none", () => {
    assert.deepEqual(consumerAssignmentOf(assignmentBytes({ orders: [3, 1], refunds: [0] })), {
      orders: [1, 3],
      refunds: [0],
    });
    assert.deepEqual(consumerAssignmentOf(Buffer.alloc(0)), {});
    assert.deepEqual(consumerAssignmentOf(Buffer.from("not an assignment")), {});
    assert.deepEqual(consumerAssignmentOf(Buffer.from([0, 0, 0, 0, 0, 1, 0, 9, 0x61])), {}, "a topic past the end");
  });

  it("when a member is named in a cause, then a trailing UUID is cut short and the client id leads", () => {
    assert.equal(memberLabel("till-1-0f8e2a4c-1b2c-4d5e-8f90-123456789abc", "till-1"), "till-1-0f8e2a4c");
    assert.equal(memberLabel("0f8e2a4c-1b2c-4d5e-8f90-123456789abc", "ledger"), "ledger/0f8e2a4c");
    assert.equal(memberLabel("m1", "till"), "till/m1");
  });
});
