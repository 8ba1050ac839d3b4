import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import type { GroupCoordinator } from "../../../../broker/server/groups/coordinator.ts";
import { Group } from "../../../../broker/server/groups/group.ts";
import {
  newMemberId,
  replacementOf,
  restartNeedsRebalance,
  subscribedTopics,
} from "../../../../broker/server/groups/static-members.ts";
import type { JoinGroupRequest } from "../../../../broker/server/groups/types.ts";
import { consumerJoin, consumerMember, joinedAnswer, settle, startCoordinator, track } from "./helpers.ts";

/** A ConsumerProtocolSubscription v0: version, topics, user data. */
function subscription(topics: string[], userData = ""): Buffer {
  const parts = [Buffer.from([0, 0]), int32(topics.length)];
  for (const topic of topics) {
    const name = Buffer.from(topic);
    parts.push(Buffer.from([name.length >> 8, name.length & 0xff]), name);
  }
  parts.push(int32(userData.length), Buffer.from(userData));
  return Buffer.concat(parts);
}

function int32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeInt32BE(value);
  return bytes;
}

function staticJoin(instance: string, overrides: Partial<JoinGroupRequest> = {}): JoinGroupRequest {
  return consumerJoin({
    groupInstanceId: instance,
    clientId: instance,
    protocols: [{ name: "RoundRobinAssigner", metadata: subscription(["orders"]) }],
    ...overrides,
  });
}

/** Two static members, "till-a" (leader, assigned "p0") and "till-b" ("p1"), Stable in generation 2. */
async function stableStaticPair(coordinator: GroupCoordinator, overrides: Partial<JoinGroupRequest> = {}) {
  const aAlone = await coordinator.join(staticJoin("till-a", overrides));
  assert.equal(aAlone.errorCode, ErrorCode.NONE);
  await coordinator.sync({ groupId: "orders", generationId: 1, memberId: aAlone.memberId, assignments: [] });
  const bJoin = track(coordinator.join(staticJoin("till-b", overrides)));
  const a = await coordinator.join(staticJoin("till-a", { ...overrides, memberId: aAlone.memberId }));
  const b = await joinedAnswer(bJoin);
  assert.equal(a.generationId, 2);
  assert.equal(a.leaderId, a.memberId);
  const [aSync, bSync] = await Promise.all([
    coordinator.sync({
      groupId: "orders",
      generationId: 2,
      memberId: a.memberId,
      groupInstanceId: "till-a",
      assignments: [
        { memberId: a.memberId, assignment: Buffer.from("p0") },
        { memberId: b.memberId, assignment: Buffer.from("p1") },
      ],
    }),
    coordinator.sync({
      groupId: "orders",
      generationId: 2,
      memberId: b.memberId,
      groupInstanceId: "till-b",
      assignments: [],
    }),
  ]);
  assert.deepEqual([aSync.assignment.toString(), bSync.assignment.toString()], ["p0", "p1"]);
  return { a, b };
}

async function describedMembers(coordinator: GroupCoordinator) {
  const [described] = await coordinator.describe(["orders"]);
  return {
    state: described!.state,
    members: described!.members.map((member) => [
      member.groupInstanceId,
      member.memberId,
      member.assignment.toString(),
    ]),
  };
}

describe("static members: rules on state", () => {
  it("when a member id is made, then a static member's starts with its instance id and a dynamic one's with its client id", () => {
    assert.match(newMemberId(consumerJoin({ groupInstanceId: "till-7", clientId: "pos" })), /^till-7-[0-9a-f-]{36}$/);
    assert.match(newMemberId(consumerJoin({ groupInstanceId: null, clientId: "pos" })), /^pos-[0-9a-f-]{36}$/);
  });

  it("when a consumer subscription is read, then its topics come back sorted; bytes that are not one give null", () => {
    assert.deepEqual(subscribedTopics(subscription(["b", "a"], "user data")), ["a", "b"]);
    assert.deepEqual(subscribedTopics(subscription([])), []);
    assert.equal(subscribedTopics(Buffer.from("subscription")), null, "a count the bytes cannot hold");
    assert.equal(subscribedTopics(Buffer.from([0, 0, 0, 0, 0, 1, 0, 9, 0x61])), null, "a topic longer than the bytes");
    assert.equal(subscribedTopics(Buffer.from([0, 0, 0])), null);
  });

  it("when a static member restarts into a Stable group, then only another chosen protocol or other topics call for a rebalance", () => {
    const group = new Group("orders");
    const protocols = (name: string, topics: string[], userData = "") => ({
      protocols: [{ name, metadata: subscription(topics, userData) }],
    });
    const previous = consumerMember("till-a-1", { groupInstanceId: "till-a", ...protocols("range", ["orders"]) });
    group.addMember(previous);
    group.addMember(consumerMember("till-b-1", { groupInstanceId: "till-b", ...protocols("range", ["orders"]) }));
    group.protocolName = "range";
    const restartWith = (overrides: Partial<JoinGroupRequest>) => {
      const replacement = replacementOf(
        previous,
        consumerJoin({ groupInstanceId: "till-a", ...overrides }),
        "till-a-2",
      );
      const copy = new Group("orders");
      for (const member of group.members.values()) copy.addMember(member);
      copy.protocolName = group.protocolName;
      copy.replaceMember(previous.memberId, replacement);
      return restartNeedsRebalance(copy, previous, replacement);
    };

    assert.equal(restartWith(protocols("range", ["orders"], "owned partitions differ")), false);
    assert.equal(restartWith(protocols("range", ["orders", "refunds"])), true, "other topics");
    assert.equal(
      restartWith({
        protocols: [
          { name: "roundrobin", metadata: subscription(["orders"]) },
          { name: "range", metadata: subscription(["orders"]) },
        ],
      }),
      false,
      "a tie keeps the protocol listed first by the earliest member",
    );
    assert.equal(restartWith(protocols("roundrobin", ["orders"])), true, "the group cannot keep its protocol");
  });

  it("when a member takes a static member's place, then it keeps that place in join order, its leadership and its assignment", () => {
    const group = new Group("orders");
    const previous = consumerMember("till-a-1", { groupInstanceId: "till-a" });
    previous.assignment = Buffer.from("p0");
    group.addMember(previous);
    group.addMember(consumerMember("dynamic-1"));
    const replacement = replacementOf(previous, consumerJoin({ groupInstanceId: "till-a" }), "till-a-2");
    group.replaceMember("till-a-1", replacement);

    assert.deepEqual([...group.members.keys()], ["till-a-2", "dynamic-1"]);
    assert.equal(group.leaderId, "till-a-2");
    assert.deepEqual(replacement.assignment, Buffer.from("p0"));
    assert.equal(group.staticMember("till-a"), replacement);
    assert.equal(group.isStaticMemberFenced("till-a", "till-a-1"), true);
    assert.equal(group.isStaticMemberFenced("till-a", "till-a-2"), false);
    assert.equal(group.isStaticMemberFenced(null, "till-a-1"), false, "a request without an instance id is not fenced");

    group.removeMember("till-a-2");
    assert.equal(group.staticMember("till-a"), undefined);
    assert.equal(group.leaderId, "dynamic-1");
  });
});

describe("static members through the coordinator", () => {
  it("when a static member joins with JoinGroup v4+ and no member id, then it gets an id at once and DescribeGroups shows its instance id", async () => {
    const { coordinator } = await startCoordinator();
    const joined = await coordinator.join(staticJoin("till-a"));
    assert.equal(joined.errorCode, ErrorCode.NONE, "no MEMBER_ID_REQUIRED round for a static member");
    assert.match(joined.memberId, /^till-a-/);
    assert.deepEqual(joined.members, [
      { memberId: joined.memberId, groupInstanceId: "till-a", metadata: subscription(["orders"]) },
    ]);
    const [described] = await coordinator.describe(["orders"]);
    assert.equal(described!.members[0]!.groupInstanceId, "till-a");
    await coordinator.close();
  });

  it("when a static member of a Stable group restarts, then it gets a new id, the same generation and its old assignment, and nobody rebalances", async () => {
    const { coordinator } = await startCoordinator();
    const { a, b } = await stableStaticPair(coordinator);

    const restarted = await coordinator.join(staticJoin("till-b"));
    assert.equal(restarted.errorCode, ErrorCode.NONE);
    assert.notEqual(restarted.memberId, b.memberId);
    assert.match(restarted.memberId, /^till-b-/);
    assert.equal(restarted.generationId, 2, "no new generation");
    assert.equal(restarted.leaderId, a.memberId);
    assert.deepEqual(restarted.members, []);

    const synced = await coordinator.sync({
      groupId: "orders",
      generationId: 2,
      memberId: restarted.memberId,
      groupInstanceId: "till-b",
      assignments: [],
    });
    assert.equal(synced.errorCode, ErrorCode.NONE);
    assert.deepEqual(synced.assignment, Buffer.from("p1"), "its previous assignment");
    const leaderBeat = await coordinator.heartbeat({ groupId: "orders", generationId: 2, memberId: a.memberId });
    assert.equal(leaderBeat.errorCode, ErrorCode.NONE, "the other member is not asked to rejoin");
    assert.deepEqual(await describedMembers(coordinator), {
      state: "Stable",
      members: [
        ["till-a", a.memberId, "p0"],
        ["till-b", restarted.memberId, "p1"],
      ],
    });
    await coordinator.close();
  });

  it("when a static member was replaced, then its old member id is fenced in Heartbeat, SyncGroup, OffsetCommit, JoinGroup and LeaveGroup", async () => {
    const { coordinator } = await startCoordinator();
    const { b } = await stableStaticPair(coordinator);
    const restarted = await coordinator.join(staticJoin("till-b"));
    const old = { groupId: "orders", generationId: 2, memberId: b.memberId, groupInstanceId: "till-b" };

    assert.equal((await coordinator.heartbeat(old)).errorCode, ErrorCode.FENCED_INSTANCE_ID);
    assert.equal((await coordinator.sync({ ...old, assignments: [] })).errorCode, ErrorCode.FENCED_INSTANCE_ID);
    const offsets = [{ topic: "orders", partition: 1, offset: 10n, leaderEpoch: -1, metadata: null }];
    assert.deepEqual(
      (await coordinator.commitOffsets({ ...old, offsets })).map((result) => result.errorCode),
      [ErrorCode.FENCED_INSTANCE_ID],
    );
    const rejoin = await coordinator.join(staticJoin("till-b", { memberId: b.memberId }));
    assert.equal(rejoin.errorCode, ErrorCode.FENCED_INSTANCE_ID);
    const left = await coordinator.leave({
      groupId: "orders",
      members: [{ memberId: b.memberId, groupInstanceId: "till-b" }],
    });
    assert.deepEqual(
      left.members.map((member) => member.errorCode),
      [ErrorCode.FENCED_INSTANCE_ID],
    );
    // Without its instance id the old id is simply unknown, as in Kafka.
    assert.equal(
      (await coordinator.heartbeat({ ...old, groupInstanceId: null })).errorCode,
      ErrorCode.UNKNOWN_MEMBER_ID,
    );

    const committed = await coordinator.commitOffsets({ ...old, memberId: restarted.memberId, offsets });
    assert.deepEqual(
      committed.map((result) => result.errorCode),
      [ErrorCode.NONE],
      "the new member id commits",
    );
    assert.equal((await describedMembers(coordinator)).state, "Stable");
    await coordinator.close();
  });

  it("when the static leader restarts, then it is not named leader for the current generation but leads the next one", async () => {
    const { coordinator } = await startCoordinator();
    const { a, b } = await stableStaticPair(coordinator);
    const restarted = await coordinator.join(staticJoin("till-a"));
    assert.equal(restarted.generationId, 2);
    assert.equal(restarted.leaderId, a.memberId, "the previous leader id, so that it does not assign");
    assert.deepEqual(restarted.members, []);
    const synced = await coordinator.sync({
      groupId: "orders",
      generationId: 2,
      memberId: restarted.memberId,
      assignments: [],
    });
    assert.deepEqual(synced.assignment, Buffer.from("p0"));

    // A leader's JoinGroup in a Stable group starts a rebalance (it may have seen the metadata change).
    const aJoinPending = track(coordinator.join(staticJoin("till-a", { memberId: restarted.memberId })));
    await coordinator.join(staticJoin("till-b", { memberId: b.memberId }));
    const aJoin = await joinedAnswer(aJoinPending);
    assert.equal(aJoin.generationId, 3);
    assert.equal(aJoin.leaderId, restarted.memberId);
    assert.deepEqual(
      aJoin.members.map((member) => [member.memberId, member.groupInstanceId]),
      [
        [restarted.memberId, "till-a"],
        [b.memberId, "till-b"],
      ],
    );
    await coordinator.close();
  });

  it("when a static member restarts subscribed to other topics, then the group rebalances; other user data alone does not", async () => {
    const { coordinator } = await startCoordinator();
    const { a } = await stableStaticPair(coordinator);

    const sameTopics = await coordinator.join(
      staticJoin("till-b", {
        protocols: [{ name: "RoundRobinAssigner", metadata: subscription(["orders"], "owned: p1") }],
      }),
    );
    assert.equal(sameTopics.generationId, 2);
    assert.equal((await describedMembers(coordinator)).state, "Stable");

    const otherTopics = track(
      coordinator.join(
        staticJoin("till-b", {
          protocols: [{ name: "RoundRobinAssigner", metadata: subscription(["orders", "refunds"]) }],
        }),
      ),
    );
    await settle();
    assert.equal(otherTopics.done, false, "it waits for the rebalance");
    const beat = await coordinator.heartbeat({ groupId: "orders", generationId: 2, memberId: a.memberId });
    assert.equal(beat.errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
    const leader = await coordinator.join(staticJoin("till-a", { memberId: a.memberId }));
    assert.equal(leader.generationId, 3);
    assert.equal((await joinedAnswer(otherTopics)).generationId, 3);
    await coordinator.close();
  });

  it("when a static member restarts while its old self waits in SyncGroup, then the old request is fenced and the group rebalances", async () => {
    const { coordinator } = await startCoordinator();
    const { a, b } = await stableStaticPair(coordinator);
    const aRejoin = track(coordinator.join(staticJoin("till-a", { memberId: a.memberId })));
    const bRejoin = await coordinator.join(staticJoin("till-b", { memberId: b.memberId }));
    assert.equal((await joinedAnswer(aRejoin)).generationId, 3);
    assert.equal(bRejoin.generationId, 3);
    const oldSync = track(
      coordinator.sync({
        groupId: "orders",
        generationId: 3,
        memberId: b.memberId,
        groupInstanceId: "till-b",
        assignments: [],
      }),
    );
    await settle();
    assert.equal(oldSync.done, false);

    const restarted = track(coordinator.join(staticJoin("till-b")));
    await settle();
    assert.equal(oldSync.done, true);
    assert.equal(oldSync.value.errorCode, ErrorCode.FENCED_INSTANCE_ID);
    assert.equal(restarted.done, false, "a rebalance: the leader may have assigned to the old member id");
    const leader = await coordinator.join(staticJoin("till-a", { memberId: a.memberId }));
    assert.equal(leader.generationId, 4);
    assert.deepEqual(
      leader.members.map((member) => member.memberId),
      [a.memberId, (await joinedAnswer(restarted)).memberId],
    );
    await coordinator.close();
  });

  it("when a static member goes quiet, then it is dropped only when its session runs out", async () => {
    const { coordinator, scheduler } = await startCoordinator();
    const { a } = await stableStaticPair(coordinator, { sessionTimeoutMs: 10_000 });

    for (let elapsed = 0; elapsed < 9_000; elapsed += 3_000) {
      await scheduler.advance(3_000);
      const beat = await coordinator.heartbeat({ groupId: "orders", generationId: 2, memberId: a.memberId });
      assert.equal(beat.errorCode, ErrorCode.NONE, "no rebalance while the quiet member's session lasts");
    }
    await scheduler.advance(1_000);
    const beat = await coordinator.heartbeat({ groupId: "orders", generationId: 2, memberId: a.memberId });
    assert.equal(beat.errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
    assert.deepEqual(
      (await describedMembers(coordinator)).members.map(([instance]) => instance),
      ["till-a"],
    );
    await coordinator.close();
  });

  it("when the group rebalances while a static member is away, then it keeps its place and is assigned to until its session runs out", async () => {
    const { coordinator, scheduler } = await startCoordinator();
    const timeouts = { sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 5_000 };
    const { a, b } = await stableStaticPair(coordinator, timeouts);
    const newcomer = track(
      coordinator.join(consumerJoin({ clientId: "dynamic", requireKnownMemberId: false, ...timeouts })),
    );
    const aRejoin = track(coordinator.join(staticJoin("till-a", { memberId: a.memberId, ...timeouts })));
    await scheduler.advance(5_000);

    const joined = await joinedAnswer(newcomer);
    assert.equal(joined.errorCode, ErrorCode.NONE);
    assert.equal(joined.generationId, 3);
    const leader = await joinedAnswer(aRejoin);
    assert.deepEqual(
      leader.members.map((member) => member.groupInstanceId),
      ["till-a", "till-b", null],
      "the leader assigns to the away static member too",
    );
    const bLater = await coordinator.join(staticJoin("till-b", { memberId: b.memberId, ...timeouts }));
    assert.equal(bLater.errorCode, ErrorCode.NONE, "it is still a member of the group when it comes back");
    assert.equal(bLater.generationId, 3);
    await coordinator.close();
  });

  it("when no member rejoins within the rebalance timeout, then the join phase waits on and a member that comes back leads", async () => {
    const { coordinator, scheduler } = await startCoordinator();
    const timeouts = { sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 5_000 };
    const { b } = await stableStaticPair(coordinator, timeouts);
    const left = await coordinator.leave({ groupId: "orders", members: [{ memberId: "", groupInstanceId: "till-a" }] });
    assert.deepEqual(
      left.members.map((member) => member.errorCode),
      [ErrorCode.NONE],
    );
    await scheduler.advance(5_000);
    assert.equal((await describedMembers(coordinator)).state, "PreparingRebalance", "nobody rejoined");
    await scheduler.advance(5_000);
    assert.equal((await describedMembers(coordinator)).state, "PreparingRebalance");

    const bRejoin = await coordinator.join(staticJoin("till-b", { memberId: b.memberId, ...timeouts }));
    assert.equal(bRejoin.generationId, 3);
    assert.equal(bRejoin.leaderId, b.memberId);
    await coordinator.close();
  });

  it("when LeaveGroup names a static member by its instance id alone, then it leaves at once; an unknown instance id gets UNKNOWN_MEMBER_ID", async () => {
    const { coordinator } = await startCoordinator();
    const { a, b } = await stableStaticPair(coordinator);
    const left = await coordinator.leave({
      groupId: "orders",
      members: [
        { memberId: "", groupInstanceId: "till-b" },
        { memberId: "", groupInstanceId: "till-z" },
        { memberId: "till-a-impostor", groupInstanceId: "till-a" },
      ],
    });
    assert.deepEqual(
      left.members.map((member) => member.errorCode),
      [ErrorCode.NONE, ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.FENCED_INSTANCE_ID],
    );
    assert.deepEqual(
      (await describedMembers(coordinator)).members.map(([instance]) => instance),
      ["till-a"],
    );
    const beat = await coordinator.heartbeat({ groupId: "orders", generationId: 2, memberId: a.memberId });
    assert.equal(beat.errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
    const bAgain = await coordinator.heartbeat({
      groupId: "orders",
      generationId: 2,
      memberId: b.memberId,
      groupInstanceId: "till-b",
    });
    assert.equal(bAgain.errorCode, ErrorCode.UNKNOWN_MEMBER_ID, "a removed instance id is not fenced, just unknown");
    await coordinator.close();
  });

  it("when a member rejoins with its member id and an instance id the group does not know, then it gets UNKNOWN_MEMBER_ID", async () => {
    const { coordinator } = await startCoordinator();
    const { a } = await stableStaticPair(coordinator);
    const joined = await coordinator.join(staticJoin("till-z", { memberId: a.memberId }));
    assert.equal(joined.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    await coordinator.close();
  });

  it("when a static member restarts into a full group, then it takes its old place instead of getting GROUP_MAX_SIZE_REACHED", async () => {
    const { coordinator } = await startCoordinator({ config: { groupMaxSize: 2 } });
    await stableStaticPair(coordinator);
    const restarted = await coordinator.join(staticJoin("till-a"));
    assert.equal(restarted.errorCode, ErrorCode.NONE);
    const another = await coordinator.join(staticJoin("till-c"));
    assert.equal(another.errorCode, ErrorCode.GROUP_MAX_SIZE_REACHED);
    await coordinator.close();
  });
});
