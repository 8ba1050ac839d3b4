import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import type { ConsumerGroupHeartbeatResult } from "../../../../broker/server/groups/consumer-group-heartbeat.ts";
import { heartbeatOf, ORDERS_ID, startConsumerCoordinator, topic } from "./consumer-helpers.ts";
import { consumerJoin, settle } from "./helpers.ts";

/** The partitions of `orders` in a heartbeat answer's assignment. */
function orders(result: ConsumerGroupHeartbeatResult): number[] | null {
  if (result.assignment === null) return null;
  return result.assignment.filter((t) => t.topicId.equals(ORDERS_ID)).flatMap((t) => t.partitions);
}

function owning(...partitions: number[]) {
  return [{ topicId: ORDERS_ID, partitions }];
}

describe("ConsumerGroupHeartbeat", () => {
  it("when the first member joins with epoch 0, then it gets epoch 1, every partition and the heartbeat interval", async () => {
    const { coordinator } = await startConsumerCoordinator();
    const joined = await coordinator.consumerGroupHeartbeat(heartbeatOf());
    assert.deepEqual(
      [joined.errorCode, joined.memberId, joined.memberEpoch, joined.heartbeatIntervalMs, orders(joined)],
      [ErrorCode.NONE, "m1", 1, 1_000, [0, 1, 2, 3]],
    );
  });

  it("when v0 joins without a member id, then the broker gives one; v1 must bring its own", async () => {
    const { coordinator } = await startConsumerCoordinator();
    const v0 = await coordinator.consumerGroupHeartbeat(heartbeatOf({ memberId: "", apiVersion: 0 }));
    assert.equal(v0.errorCode, ErrorCode.NONE);
    assert.match(v0.memberId ?? "", /^[0-9a-f-]{36}$/);
    const v1 = await coordinator.consumerGroupHeartbeat(heartbeatOf({ memberId: "", apiVersion: 1 }));
    assert.equal(v1.errorCode, ErrorCode.INVALID_REQUEST);
  });

  it("when a join lacks what a first heartbeat must carry, then INVALID_REQUEST; a bad regex or assignor has its own code", async () => {
    const { coordinator } = await startConsumerCoordinator();
    const codes = await Promise.all(
      [
        heartbeatOf({ rebalanceTimeoutMs: -1 }),
        heartbeatOf({ topicPartitions: null }),
        heartbeatOf({ topicPartitions: owning(0) }),
        heartbeatOf({ subscribedTopicNames: null }),
        heartbeatOf({ memberEpoch: -3 }),
        heartbeatOf({ groupId: "" }),
        heartbeatOf({ memberEpoch: -2 }),
      ].map(async (request) => (await coordinator.consumerGroupHeartbeat(request)).errorCode),
    );
    assert.deepEqual(codes, Array(7).fill(ErrorCode.INVALID_REQUEST));
    const regex = await coordinator.consumerGroupHeartbeat(heartbeatOf({ subscribedTopicRegex: "orders-(" }));
    assert.equal(regex.errorCode, ErrorCode.INVALID_REGULAR_EXPRESSION);
    const assignor = await coordinator.consumerGroupHeartbeat(heartbeatOf({ serverAssignor: "sticky" }));
    assert.equal(assignor.errorCode, ErrorCode.UNSUPPORTED_ASSIGNOR);
  });

  it("when a second member joins, then the first revokes before the second gets those partitions, and both reach the new epoch", async () => {
    const { coordinator } = await startConsumerCoordinator();
    await coordinator.consumerGroupHeartbeat(heartbeatOf());
    const second = await coordinator.consumerGroupHeartbeat(heartbeatOf({ memberId: "m2" }));
    // Epoch 2's target gives m2 two partitions, but m1 still holds them.
    assert.deepEqual([second.memberEpoch, orders(second)], [2, []]);

    const revoking = await coordinator.consumerGroupHeartbeat(
      heartbeatOf({ memberEpoch: 1, topicPartitions: owning(0, 1, 2, 3) }),
    );
    assert.equal(revoking.memberEpoch, 1, "the member keeps its epoch until it has revoked");
    const kept = orders(revoking)!;
    assert.equal(kept.length, 2);
    const stillWaiting = await coordinator.consumerGroupHeartbeat(
      heartbeatOf({ memberId: "m2", memberEpoch: 2, topicPartitions: [] }),
    );
    assert.deepEqual(orders(stillWaiting), []);

    const revoked = await coordinator.consumerGroupHeartbeat(
      heartbeatOf({ memberEpoch: 1, topicPartitions: owning(...kept) }),
    );
    assert.deepEqual([revoked.memberEpoch, orders(revoked)], [2, kept]);
    const released = await coordinator.consumerGroupHeartbeat(
      heartbeatOf({ memberId: "m2", memberEpoch: 2, topicPartitions: [] }),
    );
    const moved = orders(released)!;
    assert.deepEqual([...kept, ...moved].sort(), [0, 1, 2, 3]);
    assert.equal(moved.length, 2);
    const [described] = await coordinator.consumerGroupDescribe(["orders-group"]);
    assert.deepEqual([described!.groupState, described!.groupEpoch, described!.assignmentEpoch], ["Stable", 2, 2]);
  });

  it("when a heartbeat carries another epoch than the member's, then FENCED_MEMBER_EPOCH, except the previous one with no more than it owns", async () => {
    const { coordinator } = await startConsumerCoordinator();
    await coordinator.consumerGroupHeartbeat(heartbeatOf());
    await coordinator.consumerGroupHeartbeat(heartbeatOf({ memberId: "m2" }));
    const ahead = await coordinator.consumerGroupHeartbeat(
      heartbeatOf({ memberId: "m2", memberEpoch: 3, topicPartitions: [] }),
    );
    assert.equal(ahead.errorCode, ErrorCode.FENCED_MEMBER_EPOCH);
    // m2 went from 0 to 2: a retry at 0 is a rejoin, at 1 is fenced.
    const behind = await coordinator.consumerGroupHeartbeat(
      heartbeatOf({ memberId: "m2", memberEpoch: 1, topicPartitions: [] }),
    );
    assert.equal(behind.errorCode, ErrorCode.FENCED_MEMBER_EPOCH);
    const unknown = await coordinator.consumerGroupHeartbeat(
      heartbeatOf({ memberId: "m9", memberEpoch: 4, topicPartitions: [] }),
    );
    assert.equal(unknown.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);

    // m1 moves from 1 to 2 once it revokes; its lost answer's retry at epoch 1 is still accepted.
    const revoking = await coordinator.consumerGroupHeartbeat(
      heartbeatOf({ memberEpoch: 1, topicPartitions: owning(0, 1, 2, 3) }),
    );
    const kept = orders(revoking)!;
    await coordinator.consumerGroupHeartbeat(heartbeatOf({ memberEpoch: 1, topicPartitions: owning(...kept) }));
    const retried = await coordinator.consumerGroupHeartbeat(
      heartbeatOf({ memberEpoch: 1, topicPartitions: owning(...kept) }),
    );
    assert.deepEqual([retried.errorCode, retried.memberEpoch], [ErrorCode.NONE, 2]);
  });

  it("when a member leaves with epoch -1, then its partitions go to the others at a new epoch", async () => {
    const { coordinator } = await startConsumerCoordinator();
    await coordinator.consumerGroupHeartbeat(heartbeatOf());
    const second = await coordinator.consumerGroupHeartbeat(heartbeatOf({ memberId: "m2" }));
    const left = await coordinator.consumerGroupHeartbeat(heartbeatOf({ memberEpoch: -1, topicPartitions: null }));
    assert.deepEqual([left.errorCode, left.memberEpoch], [ErrorCode.NONE, -1]);
    const after = await coordinator.consumerGroupHeartbeat(
      heartbeatOf({ memberId: "m2", memberEpoch: second.memberEpoch, topicPartitions: [] }),
    );
    assert.deepEqual([after.memberEpoch, orders(after)], [3, [0, 1, 2, 3]]);
    const gone = await coordinator.consumerGroupHeartbeat(heartbeatOf({ memberEpoch: 1, topicPartitions: [] }));
    assert.equal(gone.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it("when a member's session runs out, then it is removed and its partitions are handed on", async () => {
    const { coordinator, scheduler } = await startConsumerCoordinator({ consumerGroupSessionTimeoutMs: 10_000 });
    await coordinator.consumerGroupHeartbeat(heartbeatOf());
    const second = await coordinator.consumerGroupHeartbeat(heartbeatOf({ memberId: "m2" }));
    await scheduler.advance(6_000);
    // m2 keeps heartbeating; m1 falls silent.
    await coordinator.consumerGroupHeartbeat(
      heartbeatOf({ memberId: "m2", memberEpoch: second.memberEpoch, topicPartitions: [] }),
    );
    await scheduler.advance(6_000);
    const after = await coordinator.consumerGroupHeartbeat(
      heartbeatOf({ memberId: "m2", memberEpoch: second.memberEpoch, topicPartitions: [] }),
    );
    assert.deepEqual([after.memberEpoch, orders(after)], [3, [0, 1, 2, 3]]);
    const late = await coordinator.consumerGroupHeartbeat(
      heartbeatOf({ memberEpoch: 1, topicPartitions: owning(0, 1, 2, 3) }),
    );
    assert.equal(late.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it("when a member does not revoke within its rebalance timeout, then it is fenced though it heartbeats", async () => {
    const { coordinator, scheduler } = await startConsumerCoordinator();
    await coordinator.consumerGroupHeartbeat(heartbeatOf({ rebalanceTimeoutMs: 5_000 }));
    await coordinator.consumerGroupHeartbeat(heartbeatOf({ memberId: "m2" }));
    for (let beat = 0; beat < 3; beat += 1) {
      const stubborn = await coordinator.consumerGroupHeartbeat(
        heartbeatOf({ memberEpoch: 1, rebalanceTimeoutMs: -1, topicPartitions: owning(0, 1, 2, 3) }),
      );
      assert.equal(stubborn.errorCode, ErrorCode.NONE);
      await scheduler.advance(2_000);
    }
    const fenced = await coordinator.consumerGroupHeartbeat(
      heartbeatOf({ memberEpoch: 1, topicPartitions: owning(0, 1, 2, 3) }),
    );
    assert.equal(fenced.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    const rejoined = await coordinator.consumerGroupHeartbeat(heartbeatOf());
    assert.equal(rejoined.errorCode, ErrorCode.NONE);
  });

  it("when a member subscribes by regex, then matching topics are assigned, and new topics and partitions are picked up", async () => {
    const { coordinator, cluster } = await startConsumerCoordinator();
    cluster.topics = [topic("orders-eu", 2, 2), topic("orders-us", 1, 3), topic("sales", 2, 4)];
    const joined = await coordinator.consumerGroupHeartbeat(
      heartbeatOf({ subscribedTopicNames: null, subscribedTopicRegex: "orders-.*" }),
    );
    const names = (result: ConsumerGroupHeartbeatResult) =>
      (result.assignment ?? []).map((t) => `${t.topicId[0]}:${t.partitions.join(",")}`).sort();
    assert.deepEqual(names(joined), ["2:0,1", "3:0"]);

    cluster.topics = [
      topic("orders-eu", 3, 2),
      topic("orders-us", 1, 3),
      topic("orders-asia", 1, 5),
      topic("sales", 2, 4),
    ];
    const owned = joined.assignment!.map((t) => ({ topicId: t.topicId, partitions: t.partitions }));
    const grown = await coordinator.consumerGroupHeartbeat(
      heartbeatOf({ memberEpoch: joined.memberEpoch, topicPartitions: owned }),
    );
    assert.equal(grown.memberEpoch, joined.memberEpoch + 1);
    assert.deepEqual(names(grown), ["2:0,1,2", "3:0", "5:0"]);
  });

  it("when a static member leaves with -2 and comes back under a new member id, then it keeps its assignment and epoch", async () => {
    const { coordinator } = await startConsumerCoordinator();
    const first = await coordinator.consumerGroupHeartbeat(heartbeatOf({ instanceId: "till-1" }));
    const clash = await coordinator.consumerGroupHeartbeat(heartbeatOf({ memberId: "m1-again", instanceId: "till-1" }));
    assert.equal(clash.errorCode, ErrorCode.UNRELEASED_INSTANCE_ID);
    const away = await coordinator.consumerGroupHeartbeat(
      heartbeatOf({ memberEpoch: -2, instanceId: "till-1", topicPartitions: null }),
    );
    assert.deepEqual([away.errorCode, away.memberEpoch], [ErrorCode.NONE, -2]);
    const back = await coordinator.consumerGroupHeartbeat(heartbeatOf({ memberId: "m1-again", instanceId: "till-1" }));
    assert.deepEqual(
      [back.errorCode, back.memberId, back.memberEpoch, orders(back)],
      [ErrorCode.NONE, "m1-again", first.memberEpoch, [0, 1, 2, 3]],
    );
  });

  it("when members name an assignor, then the one most of them name computes the target", async () => {
    const { coordinator } = await startConsumerCoordinator();
    await coordinator.consumerGroupHeartbeat(heartbeatOf({ serverAssignor: "range" }));
    const [described] = await coordinator.consumerGroupDescribe(["orders-group"]);
    assert.equal(described!.assignorName, "range");
  });
});

describe("a consumer-protocol group when its coordinator moves", () => {
  it("when this broker stops leading the group's partition, then NOT_COORDINATOR; when it leads it again, members rejoin from epoch 0", async () => {
    const { coordinator } = await startConsumerCoordinator();
    const joined = await coordinator.consumerGroupHeartbeat(heartbeatOf());
    const partition = coordinator.partitionFor("orders-group");
    coordinator.onResignation(partition);
    const moved = await coordinator.consumerGroupHeartbeat(
      heartbeatOf({ memberEpoch: joined.memberEpoch, topicPartitions: owning(0, 1, 2, 3) }),
    );
    assert.equal(moved.errorCode, ErrorCode.NOT_COORDINATOR);

    coordinator.onElection(partition, 1);
    await settle();
    assert.equal(coordinator.ledPartitions().find((led) => led.partition === partition)?.loaded, true);
    // Member state is not persisted (a known difference from Kafka): the member is unknown now.
    const unknown = await coordinator.consumerGroupHeartbeat(
      heartbeatOf({ memberEpoch: joined.memberEpoch, topicPartitions: owning(0, 1, 2, 3) }),
    );
    assert.equal(unknown.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    const rejoined = await coordinator.consumerGroupHeartbeat(heartbeatOf());
    assert.deepEqual([rejoined.errorCode, rejoined.memberEpoch, orders(rejoined)], [ErrorCode.NONE, 1, [0, 1, 2, 3]]);
  });
});

describe("classic and consumer groups on one coordinator", () => {
  it("when a classic group has members, then a consumer heartbeat for it gets GROUP_ID_NOT_FOUND", async () => {
    const { coordinator } = await startConsumerCoordinator();
    await coordinator.join(consumerJoin({ groupId: "classic", requireKnownMemberId: false }));
    const refused = await coordinator.consumerGroupHeartbeat(heartbeatOf({ groupId: "classic" }));
    assert.equal(refused.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  });

  it("when a consumer group has members, then JoinGroup gets INCONSISTENT_GROUP_PROTOCOL; once empty, a classic member may take it", async () => {
    const { coordinator } = await startConsumerCoordinator();
    await coordinator.consumerGroupHeartbeat(heartbeatOf());
    const refused = await coordinator.join(consumerJoin({ groupId: "orders-group", requireKnownMemberId: false }));
    assert.equal(refused.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    await coordinator.consumerGroupHeartbeat(heartbeatOf({ memberEpoch: -1, topicPartitions: null }));
    const joined = await coordinator.join(consumerJoin({ groupId: "orders-group", requireKnownMemberId: false }));
    assert.equal(joined.errorCode, ErrorCode.NONE);
  });

  it("when a group has only committed offsets, then a consumer member takes it over and the offsets stay", async () => {
    const { coordinator } = await startConsumerCoordinator();
    const offsets = [{ topic: "orders", partition: 0, offset: 42n, leaderEpoch: -1, metadata: null }];
    await coordinator.commitOffsets({ groupId: "orders-group", generationId: -1, memberId: "", offsets });
    const joined = await coordinator.consumerGroupHeartbeat(heartbeatOf());
    assert.equal(joined.errorCode, ErrorCode.NONE);
    const fetched = await coordinator.fetchOffsets("orders-group", [{ topic: "orders", partitions: [0] }], {
      memberId: "m1",
      memberEpoch: joined.memberEpoch,
    });
    assert.equal(fetched.topics[0]?.partitions[0]?.offset, 42n);
  });

  it("when groups of both kinds exist, then ListGroups and DescribeGroups tell them apart", async () => {
    const { coordinator } = await startConsumerCoordinator();
    await coordinator.join(consumerJoin({ groupId: "classic", requireKnownMemberId: false }));
    await coordinator.consumerGroupHeartbeat(heartbeatOf());
    const listed = await coordinator.list();
    assert.deepEqual(listed.groups.map((g) => [g.groupId, g.protocolType, g.groupType ?? "classic"]).sort(), [
      ["classic", "consumer", "classic"],
      ["orders-group", "consumer", "consumer"],
    ]);
    assert.deepEqual(
      (await coordinator.list(undefined, ["consumer"])).groups.map((g) => g.groupId),
      ["orders-group"],
    );
    assert.deepEqual(
      (await coordinator.list(["stable"])).groups.map((g) => g.groupId),
      ["orders-group"],
    );
    const [described] = await coordinator.describe(["orders-group"]);
    assert.deepEqual([described!.protocolType, described!.state, described!.members.length], ["consumer", "Stable", 1]);
    const [notConsumer] = await coordinator.consumerGroupDescribe(["classic"]);
    assert.equal(notConsumer!.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  });
});
