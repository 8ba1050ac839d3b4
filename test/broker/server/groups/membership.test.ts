import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import {
  consumerJoin,
  joinedAnswer,
  joinWithNewId,
  settle,
  stableSingleMemberGroup,
  startCoordinator,
  track,
} from "./helpers.ts";

describe("group membership", () => {
  it("when a v4 consumer joins an empty group without a member id, then it must rejoin with the id it is given and leads generation 1", async () => {
    const { coordinator } = await startCoordinator();

    const first = await coordinator.join(consumerJoin({ clientId: "till-1" }));
    assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
    assert.match(first.memberId, /^till-1-[0-9a-f-]{36}$/);
    assert.equal(first.generationId, -1);

    const joined = await coordinator.join(consumerJoin({ memberId: first.memberId }));
    assert.equal(joined.errorCode, ErrorCode.NONE);
    assert.equal(joined.generationId, 1);
    assert.equal(joined.memberId, first.memberId);
    assert.equal(joined.leaderId, first.memberId);
    assert.equal(joined.protocolType, "consumer");
    assert.equal(joined.protocolName, "RoundRobinAssigner");
    assert.deepEqual(joined.members, [
      { memberId: first.memberId, groupInstanceId: null, metadata: Buffer.from("subscription") },
    ]);

    const [described] = await coordinator.describe(["orders"]);
    assert.equal(described!.state, "CompletingRebalance");

    const synced = await coordinator.sync({
      groupId: "orders",
      generationId: 1,
      memberId: first.memberId,
      assignments: [{ memberId: first.memberId, assignment: Buffer.from("p0") }],
    });
    assert.deepEqual(synced, {
      errorCode: ErrorCode.NONE,
      protocolType: "consumer",
      protocolName: "RoundRobinAssigner",
      assignment: Buffer.from("p0"),
    });
    assert.equal(
      (await coordinator.heartbeat({ groupId: "orders", generationId: 1, memberId: first.memberId })).errorCode,
      ErrorCode.NONE,
    );
    await coordinator.close();
  });

  it("when a JoinGroup v0-3 comes without a member id, then the id is assigned on that first join", async () => {
    const { coordinator } = await startCoordinator();
    const joined = await coordinator.join(consumerJoin({ requireKnownMemberId: false, clientId: "rdkafka" }));
    assert.equal(joined.errorCode, ErrorCode.NONE);
    assert.match(joined.memberId, /^rdkafka-/);
    assert.equal(joined.generationId, 1);
    await coordinator.close();
  });

  it("when a second member joins a stable group, then both rejoin into generation 2, the leader gets both members and followers wait for its assignment", async () => {
    const { coordinator } = await startCoordinator();
    const first = await stableSingleMemberGroup(coordinator, { clientId: "till-1" });

    const secondJoin = await joinWithNewId(coordinator, { clientId: "till-2" });
    await settle();
    assert.equal(secondJoin.done, false, "the join waits for the existing member to rejoin");

    const heartbeat = await coordinator.heartbeat({ groupId: "orders", generationId: 1, memberId: first.memberId });
    assert.equal(heartbeat.errorCode, ErrorCode.REBALANCE_IN_PROGRESS);

    const firstRejoin = await coordinator.join(consumerJoin({ memberId: first.memberId, clientId: "till-1" }));
    const second = await joinedAnswer(secondJoin);
    assert.equal(firstRejoin.errorCode, ErrorCode.NONE);
    assert.equal(firstRejoin.generationId, 2);
    assert.equal(second.generationId, 2);
    assert.equal(firstRejoin.leaderId, first.memberId);
    assert.equal(second.leaderId, first.memberId);
    assert.deepEqual(
      firstRejoin.members.map((member) => member.memberId),
      [first.memberId, second.memberId],
    );
    assert.deepEqual(second.members, [], "followers do not get the member list");

    const followerSync = track(
      coordinator.sync({ groupId: "orders", generationId: 2, memberId: second.memberId, assignments: [] }),
    );
    await settle();
    assert.equal(followerSync.done, false, "a follower waits for the leader");
    assert.equal(
      (await coordinator.heartbeat({ groupId: "orders", generationId: 2, memberId: first.memberId })).errorCode,
      ErrorCode.NONE,
      "heartbeats of the current generation are fine while the leader assigns",
    );

    const leaderSync = await coordinator.sync({
      groupId: "orders",
      generationId: 2,
      memberId: first.memberId,
      assignments: [
        { memberId: first.memberId, assignment: Buffer.from("p0") },
        { memberId: second.memberId, assignment: Buffer.from("p1") },
      ],
    });
    await settle();
    assert.deepEqual(leaderSync.assignment, Buffer.from("p0"));
    assert.equal(followerSync.done, true);
    assert.equal(followerSync.value.errorCode, ErrorCode.NONE);
    assert.deepEqual(followerSync.value.assignment, Buffer.from("p1"));

    const [described] = await coordinator.describe(["orders"]);
    assert.equal(described!.state, "Stable");
    assert.deepEqual(
      described!.members.map((member) => [member.clientId, member.assignment.toString()]),
      [
        ["till-1", "p0"],
        ["till-2", "p1"],
      ],
    );
    await coordinator.close();
  });

  it("when a member does not rejoin within the rebalance timeout, then it is removed and the others form the next generation", async () => {
    const { coordinator, scheduler } = await startCoordinator();
    const first = await stableSingleMemberGroup(coordinator, { rebalanceTimeoutMs: 20_000, sessionTimeoutMs: 30_000 });
    const secondJoin = await joinWithNewId(coordinator, { rebalanceTimeoutMs: 5_000, sessionTimeoutMs: 30_000 });

    await scheduler.advance(19_999);
    assert.equal(secondJoin.done, false, "the rebalance waits for the longest rebalance timeout of the members");
    await scheduler.advance(1);
    const second = await joinedAnswer(secondJoin);
    assert.equal(second.errorCode, ErrorCode.NONE);
    assert.equal(second.generationId, 2);
    assert.equal(second.leaderId, second.memberId, "the new member leads once the old leader is gone");
    assert.deepEqual(
      second.members.map((member) => member.memberId),
      [second.memberId],
    );

    const lateHeartbeat = await coordinator.heartbeat({ groupId: "orders", generationId: 1, memberId: first.memberId });
    assert.equal(lateHeartbeat.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    await coordinator.close();
  });

  it("when a member stops heartbeating, then it is removed after its session timeout and the group rebalances", async () => {
    const { coordinator, scheduler } = await startCoordinator();
    const first = await stableSingleMemberGroup(coordinator, { sessionTimeoutMs: 10_000 });
    const second = await joinWithNewId(coordinator, { sessionTimeoutMs: 10_000 });
    await coordinator.join(consumerJoin({ memberId: first.memberId, sessionTimeoutMs: 10_000 }));
    const secondJoined = await joinedAnswer(second);
    await Promise.all(
      [secondJoined.memberId, first.memberId].map((memberId) =>
        coordinator.sync({ groupId: "orders", generationId: 2, memberId, assignments: [] }),
      ),
    );

    // Only the second member keeps heartbeating.
    for (let elapsed = 0; elapsed < 9_000; elapsed += 3_000) {
      await scheduler.advance(3_000);
      const beat = await coordinator.heartbeat({ groupId: "orders", generationId: 2, memberId: secondJoined.memberId });
      assert.equal(beat.errorCode, ErrorCode.NONE);
    }
    await scheduler.advance(1_000);
    const afterExpiry = await coordinator.heartbeat({
      groupId: "orders",
      generationId: 2,
      memberId: secondJoined.memberId,
    });
    assert.equal(afterExpiry.errorCode, ErrorCode.REBALANCE_IN_PROGRESS, "the survivor is told to rejoin");
    const [described] = await coordinator.describe(["orders"]);
    assert.deepEqual(
      described!.members.map((member) => member.memberId),
      [secondJoined.memberId],
    );

    const rejoined = await coordinator.join(consumerJoin({ memberId: secondJoined.memberId }));
    assert.equal(rejoined.generationId, 3);
    assert.equal(rejoined.leaderId, secondJoined.memberId);
    await coordinator.close();
  });

  it("when a member waits in JoinGroup longer than its session timeout, then it is not expired", async () => {
    const { coordinator, scheduler } = await startCoordinator();
    const timeouts = { sessionTimeoutMs: 5_000, rebalanceTimeoutMs: 60_000 };
    const a = await stableSingleMemberGroup(coordinator, { clientId: "a", ...timeouts });
    const bJoin = await joinWithNewId(coordinator, { clientId: "b", ...timeouts });
    await coordinator.join(consumerJoin({ memberId: a.memberId, clientId: "a", ...timeouts }));
    const b = await joinedAnswer(bJoin);
    await Promise.all(
      [b.memberId, a.memberId].map((memberId) =>
        coordinator.sync({ groupId: "orders", generationId: 2, memberId, assignments: [] }),
      ),
    );

    // A third member arrives; a rejoins at once and is parked, b keeps heartbeating but rejoins late.
    const cJoin = await joinWithNewId(coordinator, { clientId: "c", ...timeouts });
    const aRejoin = track(coordinator.join(consumerJoin({ memberId: a.memberId, clientId: "a", ...timeouts })));
    for (let elapsed = 0; elapsed < 12_000; elapsed += 2_000) {
      await scheduler.advance(2_000);
      const beat = await coordinator.heartbeat({ groupId: "orders", generationId: 2, memberId: b.memberId });
      assert.equal(beat.errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
    }
    assert.equal(aRejoin.done, false);

    const bRejoin = await coordinator.join(consumerJoin({ memberId: b.memberId, clientId: "b", ...timeouts }));
    const [aJoined, cJoined] = [await joinedAnswer(aRejoin), await joinedAnswer(cJoin)];
    assert.equal(aJoined.errorCode, ErrorCode.NONE);
    assert.equal(cJoined.errorCode, ErrorCode.NONE);
    assert.equal(bRejoin.generationId, 3);
    assert.deepEqual(
      aJoined.members.map((member) => member.memberId),
      [a.memberId, b.memberId, cJoined.memberId],
    );
    await coordinator.close();
  });

  it("when the group rebalances while a follower waits for SyncGroup, then the follower gets REBALANCE_IN_PROGRESS", async () => {
    const { coordinator } = await startCoordinator();
    const first = await stableSingleMemberGroup(coordinator);
    const secondJoin = await joinWithNewId(coordinator);
    await coordinator.join(consumerJoin({ memberId: first.memberId }));
    const second = await joinedAnswer(secondJoin);

    const followerSync = track(
      coordinator.sync({ groupId: "orders", generationId: 2, memberId: second.memberId, assignments: [] }),
    );
    await settle();
    assert.equal(followerSync.done, false);

    // The leader leaves before assigning.
    const left = await coordinator.leave({
      groupId: "orders",
      members: [{ memberId: first.memberId, groupInstanceId: null }],
    });
    assert.deepEqual(
      left.members.map((member) => member.errorCode),
      [ErrorCode.NONE],
    );
    await settle();
    assert.equal(followerSync.done, true);
    assert.equal(followerSync.value.errorCode, ErrorCode.REBALANCE_IN_PROGRESS);

    const rejoined = await coordinator.join(consumerJoin({ memberId: second.memberId }));
    assert.equal(rejoined.generationId, 3);
    assert.equal(rejoined.leaderId, second.memberId);
    await coordinator.close();
  });

  it("when one of two members leaves, then the other rejoins alone; when the last one leaves, then the group is Empty", async () => {
    const { coordinator } = await startCoordinator();
    const first = await stableSingleMemberGroup(coordinator);
    const secondJoin = await joinWithNewId(coordinator);
    await coordinator.join(consumerJoin({ memberId: first.memberId }));
    const second = await joinedAnswer(secondJoin);
    await Promise.all([
      coordinator.sync({ groupId: "orders", generationId: 2, memberId: second.memberId, assignments: [] }),
      coordinator.sync({ groupId: "orders", generationId: 2, memberId: first.memberId, assignments: [] }),
    ]);

    const firstLeaves = await coordinator.leave({
      groupId: "orders",
      members: [{ memberId: first.memberId, groupInstanceId: null }],
    });
    assert.equal(firstLeaves.errorCode, ErrorCode.NONE);
    assert.equal(
      (await coordinator.heartbeat({ groupId: "orders", generationId: 2, memberId: second.memberId })).errorCode,
      ErrorCode.REBALANCE_IN_PROGRESS,
    );
    const rejoined = await coordinator.join(consumerJoin({ memberId: second.memberId }));
    assert.equal(rejoined.generationId, 3);
    assert.equal(rejoined.leaderId, second.memberId);

    const lastLeaves = await coordinator.leave({
      groupId: "orders",
      members: [
        { memberId: second.memberId, groupInstanceId: null },
        { memberId: "nobody", groupInstanceId: null },
      ],
    });
    assert.deepEqual(
      lastLeaves.members.map((member) => member.errorCode),
      [ErrorCode.NONE, ErrorCode.UNKNOWN_MEMBER_ID],
    );
    const [described] = await coordinator.describe(["orders"]);
    assert.equal(described!.state, "Empty");
    assert.deepEqual(described!.members, []);
    assert.equal(described!.protocolType, "consumer");

    const unknownGroup = await coordinator.leave({
      groupId: "nope",
      members: [{ memberId: "x", groupInstanceId: null }],
    });
    assert.deepEqual(
      unknownGroup.members.map((member) => member.errorCode),
      [ErrorCode.UNKNOWN_MEMBER_ID],
    );
    await coordinator.close();
  });

  it("when a member offers protocols the group does not share, then it gets INCONSISTENT_GROUP_PROTOCOL", async () => {
    const { coordinator } = await startCoordinator();
    await stableSingleMemberGroup(coordinator);

    const otherAssignor = await coordinator.join(
      consumerJoin({ protocols: [{ name: "range", metadata: Buffer.alloc(0) }] }),
    );
    assert.equal(otherAssignor.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const otherType = await coordinator.join(consumerJoin({ protocolType: "connect" }));
    assert.equal(otherType.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const noProtocols = await coordinator.join(consumerJoin({ groupId: "fresh", protocols: [] }));
    assert.equal(noProtocols.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    assert.deepEqual(
      (await coordinator.list()).groups.map((group) => group.groupId),
      ["orders"],
      "a rejected join creates no group",
    );
    await coordinator.close();
  });

  it("when members prefer different shared protocols, then the one most members list first is chosen", async () => {
    const { coordinator } = await startCoordinator();
    const protocol = (name: string) => ({ name, metadata: Buffer.from(`meta-${name}`) });
    const leader = await coordinator.join(
      consumerJoin({ requireKnownMemberId: false, protocols: [protocol("range"), protocol("roundrobin")] }),
    );
    assert.equal(leader.protocolName, "range");
    const secondJoin = track(
      coordinator.join(
        consumerJoin({ requireKnownMemberId: false, protocols: [protocol("roundrobin"), protocol("range")] }),
      ),
    );
    const thirdJoin = track(
      coordinator.join(
        consumerJoin({ requireKnownMemberId: false, protocols: [protocol("roundrobin"), protocol("sticky")] }),
      ),
    );
    const leaderRejoin = await coordinator.join(
      consumerJoin({ memberId: leader.memberId, protocols: [protocol("range"), protocol("roundrobin")] }),
    );
    await settle();
    assert.equal(secondJoin.done && thirdJoin.done, true);
    assert.equal(leaderRejoin.protocolName, "roundrobin");
    assert.deepEqual(
      leaderRejoin.members.map((member) => member.metadata.toString()),
      ["meta-roundrobin", "meta-roundrobin", "meta-roundrobin"],
    );
    await coordinator.close();
  });

  it("when the session timeout is outside the configured bounds, then the join gets INVALID_SESSION_TIMEOUT", async () => {
    const { coordinator } = await startCoordinator({
      config: { groupMinSessionTimeoutMs: 6_000, groupMaxSessionTimeoutMs: 60_000 },
    });
    assert.equal(
      (await coordinator.join(consumerJoin({ sessionTimeoutMs: 5_999 }))).errorCode,
      ErrorCode.INVALID_SESSION_TIMEOUT,
    );
    assert.equal(
      (await coordinator.join(consumerJoin({ sessionTimeoutMs: 60_001 }))).errorCode,
      ErrorCode.INVALID_SESSION_TIMEOUT,
    );
    assert.equal(
      (await coordinator.join(consumerJoin({ sessionTimeoutMs: 6_000 }))).errorCode,
      ErrorCode.MEMBER_ID_REQUIRED,
    );
    await coordinator.close();
  });

  it("when SyncGroup or Heartbeat names a wrong member, generation or phase, then it gets the matching error", async () => {
    const { coordinator } = await startCoordinator();
    const first = await stableSingleMemberGroup(coordinator);
    const sync = (memberId: string, generationId: number) =>
      coordinator.sync({ groupId: "orders", generationId, memberId, assignments: [] });

    assert.equal((await sync("ghost", 1)).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal((await sync(first.memberId, 7)).errorCode, ErrorCode.ILLEGAL_GENERATION);
    assert.equal(
      (await coordinator.heartbeat({ groupId: "orders", generationId: 7, memberId: first.memberId })).errorCode,
      ErrorCode.ILLEGAL_GENERATION,
    );
    assert.equal(
      (await coordinator.heartbeat({ groupId: "orders", generationId: 1, memberId: "ghost" })).errorCode,
      ErrorCode.UNKNOWN_MEMBER_ID,
    );
    assert.equal(
      (await coordinator.heartbeat({ groupId: "elsewhere", generationId: 1, memberId: "ghost" })).errorCode,
      ErrorCode.UNKNOWN_MEMBER_ID,
    );
    assert.equal(
      (await coordinator.heartbeat({ groupId: "", generationId: 1, memberId: "ghost" })).errorCode,
      ErrorCode.INVALID_GROUP_ID,
    );

    await joinWithNewId(coordinator);
    assert.equal((await sync(first.memberId, 1)).errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
    await coordinator.close();
  });

  it("when a handed-out member id is not used within the session timeout, then joining with it later is refused", async () => {
    const { coordinator, scheduler } = await startCoordinator();
    const first = await coordinator.join(consumerJoin({ sessionTimeoutMs: 5_000 }));
    await scheduler.advance(5_000);
    const late = await coordinator.join(consumerJoin({ memberId: first.memberId, sessionTimeoutMs: 5_000 }));
    assert.equal(late.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    assert.deepEqual((await coordinator.list()).groups, [], "the abandoned handshake leaves no group behind");
    await coordinator.close();
  });

  it("when the initial rebalance delay is set, then an empty group waits for more members before generation 1", async () => {
    const { coordinator, scheduler } = await startCoordinator({ config: { groupInitialRebalanceDelayMs: 3_000 } });
    const firstJoin = await joinWithNewId(coordinator, { clientId: "a" });
    await scheduler.advance(2_000);
    assert.equal(firstJoin.done, false);
    const secondJoin = await joinWithNewId(coordinator, { clientId: "b" });
    await scheduler.advance(1_000);
    assert.equal(firstJoin.done, false, "a member arrived during the delay, so the group waits one more step");
    await scheduler.advance(3_000);
    const [first, second] = [await joinedAnswer(firstJoin), await joinedAnswer(secondJoin)];
    assert.equal(first.generationId, 1);
    assert.equal(second.generationId, 1);
    assert.equal(first.members.length, 2);
    await coordinator.close();
  });

  it("when the group is at group.max.size, then another member gets GROUP_MAX_SIZE_REACHED", async () => {
    const { coordinator } = await startCoordinator({ config: { groupMaxSize: 1 } });
    await stableSingleMemberGroup(coordinator);
    assert.equal((await coordinator.join(consumerJoin())).errorCode, ErrorCode.GROUP_MAX_SIZE_REACHED);
    await coordinator.close();
  });
});
