// The KIP-848 consumer-protocol membership against a real broker: joining with epoch 0, the
// assignment by topic name, revocation acknowledged by the next heartbeat before a partition moves
// on, leaving with epoch -1, commits carrying the member epoch, fencing, and the fatal errors. The
// members here are bare memberships the test drives, so the test decides when each heartbeat goes.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Cluster } from "../../../../broker/client/cluster.ts";
import {
  ConsumerGroupMembership,
  type ConsumerGroupMembershipOptions,
} from "../../../../broker/client/consumer/consumer-group-membership.ts";
import { GroupMembership } from "../../../../broker/client/consumer/group.ts";
import type {
  Consumer,
  ConsumerEvents,
  ConsumerPartitionsChangedEvent,
} from "../../../../broker/client/consumer/types.ts";
import { KafkaJSNonRetriableError, KafkaJSProtocolError } from "../../../../broker/client/errors.ts";
import { consumerEvents } from "../../../../broker/client/events.ts";
import { InstrumentationEmitter } from "../../../../broker/client/instrumentation.ts";
import { createRetrier } from "../../../../broker/client/retry.ts";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { type BrokerProcess, startBroker } from "../../../helpers/broker-process.ts";
import { WireClient } from "../../../helpers/wire-client.ts";
import { cleanupAll, ourCluster, quickGroupBrokerConfig, rejectionOf, silentLogger, waitFor } from "../helpers.ts";
import { connectRig, ourConsumer, quickConsumerConfig, type TestRig } from "./helpers.ts";

const TOPIC = "cgm-topic";
const PARTITIONS = 4;

describe("ConsumerGroupMembership", () => {
  let broker: BrokerProcess;
  let rig: TestRig;
  const clusters: Cluster[] = [];
  const consumers: Consumer[] = [];
  const members: ConsumerGroupMembership[] = [];

  before(async () => {
    broker = await startBroker({
      config: {
        ...quickGroupBrokerConfig,
        "group.consumer.heartbeat.interval.ms": 200,
        "group.consumer.session.timeout.ms": 2000,
      },
    });
    rig = await connectRig(broker);
    await rig.createTopic(TOPIC, PARTITIONS);
  });

  after(async () => {
    await cleanupAll(
      ...consumers.map((consumer) => () => consumer.disconnect()),
      ...members.map((member) => () => member.stopHeartbeats()),
      ...members.map((member) => () => member.forgetCoordinator()),
      ...clusters.map((cluster) => () => cluster.disconnect()),
      () => rig?.producer.disconnect(),
      () => rig?.admin.disconnect(),
      () => broker?.cleanup(),
    );
  });

  interface Driven {
    member: ConsumerGroupMembership;
    /** The reasons the member asked to rejoin, in order. */
    rejoins: KafkaJSProtocolError[];
    heartbeats: number;
  }

  async function newMember(groupId: string, extra: Partial<ConsumerGroupMembershipOptions> = {}): Promise<Driven> {
    const cluster = ourCluster(broker.address, { clientId: "cgm-test" });
    clusters.push(cluster);
    await cluster.connect();
    await cluster.addTargetTopics([TOPIC]);
    const emitter = new InstrumentationEmitter<ConsumerEvents>(consumerEvents, "consumer", silentLogger);
    const driven: Driven = { member: undefined as unknown as ConsumerGroupMembership, rejoins: [], heartbeats: 0 };
    emitter.on(consumerEvents.HEARTBEAT, () => {
      driven.heartbeats++;
    });
    driven.member = new ConsumerGroupMembership({
      cluster,
      logger: silentLogger,
      emitter,
      retrier: createRetrier({ retries: 3, initialRetryTime: 100, maxRetryTime: 500 }),
      groupId,
      rebalanceTimeout: 5000,
      heartbeatInterval: 3000,
      onRejoinNeeded: (reason) => driven.rejoins.push(reason),
      ...extra,
    });
    members.push(driven.member);
    return driven;
  }

  const join = (driven: Driven, owned?: number[]) =>
    driven.member.joinAndSync(
      [TOPIC],
      () => true,
      owned === undefined ? {} : { ownedPartitions: [{ topic: TOPIC, partitions: owned }] },
    );
  const partitionsOf = (driven: Driven): number[] => driven.member.currentAssignment[TOPIC] ?? [];

  it("when a lone member joins, then it gets an epoch and every partition, by topic name", async () => {
    const a = await newMember("cgm-join");
    const joined = await join(a);
    a.member.stopHeartbeats();
    assert.ok(joined.generationId > 0, `epoch ${joined.generationId}`);
    assert.equal(joined.memberId, a.member.memberId);
    assert.deepEqual(joined.assignment, { [TOPIC]: [0, 1, 2, 3] });
    assert.deepEqual(a.member.identity, { generationId: joined.generationId, memberId: a.member.memberId });
    await a.member.leave();
  });

  it("when a second member joins, then the first is told on its next heartbeat and the partitions move only once it no longer owns them", async () => {
    const a = await newMember("cgm-move");
    await join(a);
    const b = await newMember("cgm-move");
    const bJoined = await join(b);
    b.member.stopHeartbeats();
    // Every partition is still the first member's: the second gets none until they are released.
    assert.deepEqual(bJoined.assignment, {});

    // The first member's timer heartbeat brings its smaller assignment and asks for a rejoin.
    await waitFor(
      () => a.rejoins.length > 0,
      () => `no rejoin asked; a owns ${partitionsOf(a)}`,
      10_000,
    );
    a.member.stopHeartbeats();
    assert.equal(a.rejoins[0]!.code, ErrorCode.REBALANCE_IN_PROGRESS);
    const kept = partitionsOf(a);
    assert.equal(kept.length, 2);

    // Until the first member says it has let go, the second is not given them.
    const bStill = await join(b, []);
    b.member.stopHeartbeats();
    assert.deepEqual(bStill.assignment, {});

    // The first member acknowledges the revocation: it owns only what it keeps.
    const aAfter = await join(a, kept);
    a.member.stopHeartbeats();
    assert.deepEqual(aAfter.assignment[TOPIC], kept);
    const bAfter = await join(b, []);
    b.member.stopHeartbeats();
    const moved = bAfter.assignment[TOPIC] ?? [];
    assert.deepEqual(
      [...kept, ...moved].sort((x, y) => x - y),
      [0, 1, 2, 3],
    );
    assert.ok(bAfter.generationId > 0);

    // Leaving (epoch -1) hands the partitions back to the member that stays.
    await b.member.leave();
    const aAlone = await join(a, kept);
    a.member.stopHeartbeats();
    assert.deepEqual(aAlone.assignment, { [TOPIC]: [0, 1, 2, 3] });
    await a.member.leave();
  });

  it("when a member commits, then the commit carries its member epoch and the offsets can be fetched back", async () => {
    const a = await newMember("cgm-commit");
    await join(a);
    a.member.stopHeartbeats();
    await a.member.commit(a.member.identity, [{ topic: TOPIC, partition: 1, offset: 7n }]);
    assert.deepEqual(await a.member.fetchCommitted([{ topic: TOPIC, partition: 1 }]), [
      { topic: TOPIC, partition: 1, offset: 7n },
    ]);
    // An epoch the coordinator has not given is fenced.
    const error = await rejectionOf(
      a.member.commit({ generationId: 0, memberId: "someone-else" }, [{ topic: TOPIC, partition: 1, offset: 8n }]),
    );
    assert.equal((error as KafkaJSProtocolError).code, ErrorCode.UNKNOWN_MEMBER_ID);
    await a.member.leave();
  });

  it("when the broker forgets a member whose heartbeats stopped, then its next heartbeat reports the loss and it joins again with epoch 0 under the same id", async () => {
    const a = await newMember("cgm-fenced");
    const first = await join(a);
    a.member.stopHeartbeats();
    const memberId = a.member.memberId;
    // No heartbeat for longer than the broker's consumer session (2 s): the broker removes the member.
    const b = await newMember("cgm-fenced");
    await join(b);
    await waitFor(
      async () => Object.values((await join(b, partitionsOf(b))).assignment).flat().length === PARTITIONS,
      () => `the other member still has ${partitionsOf(b)}`,
      15_000,
    );
    b.member.stopHeartbeats();
    a.member.startHeartbeats();
    await waitFor(
      () => a.rejoins.length > 0,
      () => "the fenced member was not told",
      10_000,
    );
    a.member.stopHeartbeats();
    assert.ok(
      [ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.FENCED_MEMBER_EPOCH].includes(a.rejoins[0]!.code as never),
      `code ${a.rejoins[0]!.code}`,
    );
    assert.equal(a.member.memberEpoch, 0);
    const again = await join(a);
    a.member.stopHeartbeats();
    assert.equal(again.memberId, memberId);
    assert.ok(again.generationId > first.generationId);
    await a.member.leave();
    await b.member.leave();
  });

  it("when a member that owns partitions is fenced during a rejoin, then joinAndSync fails with the fencing error", async () => {
    const a = await newMember("cgm-fenced-owning");
    const joined = await join(a);
    a.member.stopHeartbeats();
    // The member claims an epoch the coordinator never gave (as a zombie would).
    a.member.memberEpoch = joined.generationId + 5;
    const error = await rejectionOf(join(a, [0, 1, 2, 3]));
    assert.ok(error instanceof KafkaJSProtocolError);
    assert.equal(error.code, ErrorCode.FENCED_MEMBER_EPOCH);
    assert.equal(a.member.memberEpoch, 0);
  });

  it("when the group id is a classic group with members, then joining fails for good (GROUP_ID_NOT_FOUND)", async () => {
    const cluster = ourCluster(broker.address, { clientId: "cgm-classic" });
    clusters.push(cluster);
    await cluster.connect();
    await cluster.addTargetTopics([TOPIC]);
    const emitter = new InstrumentationEmitter<ConsumerEvents>(consumerEvents, "consumer", silentLogger);
    const { roundRobin } = await import("../../../../broker/client/consumer/round-robin-assigner.ts");
    const classic = new GroupMembership({
      cluster,
      logger: silentLogger,
      emitter,
      retrier: createRetrier({ retries: 2, initialRetryTime: 100 }),
      groupId: "cgm-classic",
      assigners: [
        roundRobin({
          cluster: { findTopicPartitionMetadata: () => [], getNodeIds: () => [], refreshMetadata: async () => {} },
          groupId: "cgm-classic",
          logger: silentLogger,
        }),
      ],
      sessionTimeout: 6000,
      rebalanceTimeout: 5000,
      heartbeatInterval: 1000,
      onRejoinNeeded: () => {},
    });
    await classic.joinAndSync([TOPIC], () => true);
    try {
      const a = await newMember("cgm-classic");
      const error = await rejectionOf(join(a));
      assert.ok(error instanceof KafkaJSNonRetriableError, error.name);
      assert.match(error.message, /GROUP_ID_NOT_FOUND|not a consumer group/i);
    } finally {
      await classic.leave();
      classic.forgetCoordinator();
    }
  });

  it("when the member names an assignor the broker does not have, then joining fails for good (UNSUPPORTED_ASSIGNOR)", async () => {
    const a = await newMember("cgm-assignor", { groupRemoteAssignor: "no-such-assignor" });
    const error = await rejectionOf(join(a));
    assert.ok(error instanceof KafkaJSNonRetriableError, error.name);
    assert.match(error.message, /UNSUPPORTED_ASSIGNOR|not supported/i);
  });

  it("when a static member leaves, then it leaves with epoch -2 and coming back under the same instance id gets the same partitions", async () => {
    const a = await newMember("cgm-static", { groupInstanceId: "static-a" });
    const b = await newMember("cgm-static", { groupInstanceId: "static-b" });
    await join(a);
    await join(b);
    // Settle: both acknowledge until every partition is owned by one of them.
    await waitFor(
      async () => {
        await join(a, partitionsOf(a));
        await join(b, partitionsOf(b));
        return partitionsOf(a).length + partitionsOf(b).length === PARTITIONS && partitionsOf(b).length > 0;
      },
      () => `a ${partitionsOf(a)}, b ${partitionsOf(b)}`,
      15_000,
    );
    a.member.stopHeartbeats();
    b.member.stopHeartbeats();
    const bPartitions = partitionsOf(b);
    await b.member.leave();
    // The other member's assignment does not change while the static member is away.
    const aMeanwhile = await join(a, partitionsOf(a));
    a.member.stopHeartbeats();
    assert.equal((aMeanwhile.assignment[TOPIC] ?? []).length, PARTITIONS - bPartitions.length);
    const b2 = await newMember("cgm-static", { groupInstanceId: "static-b" });
    const back = await join(b2);
    b2.member.stopHeartbeats();
    assert.deepEqual(back.assignment[TOPIC], bPartitions);
    await b2.member.leave();
    await a.member.leave();
  });

  it("when groupProtocol is not classic or consumer, or a remote assignor is named for the classic protocol, then the consumer is not created", () => {
    assert.throws(
      () => ourConsumer(broker.address, quickConsumerConfig("g", { groupProtocol: "eager" as unknown as "consumer" })),
      /groupProtocol "eager" is invalid/,
    );
    assert.throws(
      () => ourConsumer(broker.address, quickConsumerConfig("g", { groupRemoteAssignor: "range" })),
      /groupRemoteAssignor needs groupProtocol "consumer"/,
    );
  });

  it("when a running consumer's member is removed from the group, then its partitions are reported lost (not committed) and it joins again under the same id", async () => {
    const groupId = "cgm-runner-lost";
    const consumer = ourConsumer(broker.address, quickConsumerConfig(groupId, { groupProtocol: "consumer" }));
    consumers.push(consumer);
    const changes: { kind: string; reason: string; protocol: string; partitions: number[]; memberId: string }[] = [];
    const record = (kind: string) => (event: ConsumerPartitionsChangedEvent) =>
      changes.push({
        kind,
        reason: event.payload.reason,
        protocol: event.payload.rebalanceProtocol,
        partitions: event.payload.partitions.flatMap(({ partitions }) => partitions),
        memberId: event.payload.memberId,
      });
    consumer.on(consumer.events.PARTITIONS_ASSIGNED, record("assigned"));
    consumer.on(consumer.events.PARTITIONS_REVOKED, record("revoked"));
    await consumer.connect();
    await consumer.subscribe({ topics: [TOPIC], fromBeginning: true });
    await consumer.run({ eachMessage: async () => {} });
    await waitFor(
      () => changes.length > 0,
      () => "no assignment",
      10_000,
    );
    assert.deepEqual(changes[0], {
      kind: "assigned",
      reason: "join",
      protocol: "COOPERATIVE",
      partitions: [0, 1, 2, 3],
      memberId: changes[0]!.memberId,
    });
    const { memberId } = changes[0]!;

    // Someone else makes the member leave (epoch -1): the coordinator forgets it.
    const wire = await WireClient.connect(broker.address);
    try {
      const left = await wire.request(Apis.ConsumerGroupHeartbeat, 1, {
        groupId,
        memberId,
        memberEpoch: -1,
        instanceId: null,
        rackId: null,
        rebalanceTimeoutMs: -1,
        subscribedTopicNames: null,
        subscribedTopicRegex: null,
        serverAssignor: null,
        topicPartitions: null,
      });
      assert.equal(left.errorCode, ErrorCode.NONE);
    } finally {
      wire.close();
    }

    await waitFor(
      () => changes.filter((change) => change.kind === "assigned").length >= 2,
      () => `no second assignment: ${JSON.stringify(changes)}`,
      15_000,
    );
    assert.deepEqual(
      changes.slice(1, 3).map(({ kind, reason, partitions }) => ({ kind, reason, partitions })),
      [
        { kind: "revoked", reason: "lost", partitions: [0, 1, 2, 3] },
        { kind: "assigned", reason: "rebalance", partitions: [0, 1, 2, 3] },
      ],
    );
    assert.ok(changes.every((change) => change.memberId === memberId));
  });
});
