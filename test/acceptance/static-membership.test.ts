// Acceptance: static membership (KIP-345) with our client against a real broker process — a member
// that restarts within its session timeout gets its partitions back while the others go on in the
// same generation without a rebalance, and a member whose instance id another consumer takes over
// is fenced (FENCED_INSTANCE_ID) and stops.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Consumer, Kafka, logLevel } from "../../broker/client/index.ts";
import { Apis } from "../../broker/protocol/apis.ts";
import { ErrorCode } from "../../broker/protocol/errors.ts";
import { splitsExactly } from "../helpers/group-assignment.ts";
import { range, waitFor } from "../helpers/wait.ts";
import { WireClient } from "../helpers/wire-client.ts";
import { errorChain, useAcceptanceSuite, withBrokerLog } from "./helpers.ts";

interface StaticMember {
  consumer: Consumer;
  /** Each GROUP_JOIN: the member id and the partitions of the topic, sorted. */
  joins: { memberId: string; partitions: number[] }[];
  rebalancings: number;
  /** The generation of each successful heartbeat, in order. */
  heartbeatGenerations: number[];
  /** How many heartbeats there had been at the latest GROUP_JOIN. */
  beatsAtLatestJoin: number;
  crashes: { error: Error; restart: boolean }[];
  /** Values handed to eachMessage. */
  received: string[];
}

const latest = (member: StaticMember) => member.joins.at(-1);

describe("static membership with our client", () => {
  const suite = useAcceptanceSuite("acceptance-static");

  const startMember = async (groupId: string, topic: string, groupInstanceId: string): Promise<StaticMember> => {
    const kafka = new Kafka({
      clientId: `static-${groupInstanceId}`,
      brokers: [suite.broker.address],
      logLevel: logLevel.NOTHING,
      retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1000 },
    });
    const consumer = suite.track(
      kafka.consumer({
        groupId,
        groupInstanceId,
        // Long enough that a restart is always within it: the test waits for events, not for time.
        sessionTimeout: 30_000,
        rebalanceTimeout: 10_000,
        heartbeatInterval: 300,
        maxWaitTimeInMs: 250,
        retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1000, restartOnFailure: async () => false },
      }),
    );
    const member: StaticMember = {
      consumer,
      joins: [],
      rebalancings: 0,
      heartbeatGenerations: [],
      beatsAtLatestJoin: 0,
      crashes: [],
      received: [],
    };
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      const partitions = [...(payload.memberAssignment[topic] ?? [])].sort((a, b) => a - b);
      member.joins.push({ memberId: payload.memberId, partitions });
      member.beatsAtLatestJoin = member.heartbeatGenerations.length;
    });
    consumer.on(consumer.events.REBALANCING, () => {
      member.rebalancings += 1;
    });
    consumer.on(consumer.events.HEARTBEAT, ({ payload }) => {
      member.heartbeatGenerations.push(payload.groupGenerationId);
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      member.crashes.push({ error: payload.error, restart: payload.restart });
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        member.received.push(message.value?.toString() ?? "");
      },
    });
    return member;
  };

  const describeGroup = async (groupId: string) => {
    const { groups } = await suite.admin.describeGroups([groupId]);
    return groups[0]!;
  };

  it("when a static member is stopped and restarted within its session timeout, then it gets the same partitions and the others go on in the same generation without a rebalance", {
    timeout: 120_000,
  }, async () => {
    await withBrokerLog(suite.broker, async () => {
      const topic = "static-restart";
      const groupId = "static-restart-group";
      await suite.createTopic(topic, 6);
      const produce = (round: number) =>
        suite.producer.send({ topic, messages: range(60).map((i) => ({ value: `r${round}-${i}`, partition: i % 6 })) });
      const show = (members: StaticMember[]) => members.map((m) => JSON.stringify(latest(m))).join("; ");

      const a = await startMember(groupId, topic, "till-a");
      const b = await startMember(groupId, topic, "till-b");
      const c = await startMember(groupId, topic, "till-c");
      const trio = [a, b, c];
      await waitFor(
        () =>
          splitsExactly(
            trio.map((m) => latest(m)?.partitions),
            6,
          ) && trio.every((m) => latest(m)!.partitions.length === 2),
        { timeoutMs: 60_000, message: () => `three static members to split 6 partitions (${show(trio)})` },
      );
      await produce(1);
      await waitFor(() => trio.flatMap((m) => m.received).filter((v) => v.startsWith("r1-")).length === 60, {
        message: () => "round 1 consumed",
      });
      await waitFor(
        () =>
          trio.every((m) => m.heartbeatGenerations.length > m.beatsAtLatestJoin) &&
          new Set(trio.map((m) => m.heartbeatGenerations.at(-1))).size === 1,
        { message: () => "a heartbeat from every member in the generation they share" },
      );
      const generation = a.heartbeatGenerations.at(-1)!;
      const before = latest(b)!;
      const others = [a, c];
      const othersBefore = others.map((m) => ({ joins: m.joins.length, rebalancings: m.rebalancings }));

      await b.consumer.disconnect();
      const whileAway = await describeGroup(groupId);
      assert.equal(whileAway.state, "Stable", "a static member sends no LeaveGroup");
      assert.deepEqual(
        whileAway.members.map((m) => m.memberId).sort(),
        trio.map((m) => latest(m)!.memberId).sort(),
        "the stopped member keeps its place until its session runs out",
      );

      await produce(2);
      const restarted = await startMember(groupId, topic, "till-b");
      await waitFor(() => restarted.joins.length === 1, { message: () => "the restarted member to join" });
      assert.deepEqual(restarted.joins[0]!.partitions, before.partitions, "the same partitions as before the restart");
      assert.notEqual(restarted.joins[0]!.memberId, before.memberId, "under a new member id");

      // Heartbeats accepted after the restart prove the others are still members of this generation.
      const marks = others.map((m) => m.heartbeatGenerations.length);
      await waitFor(
        () =>
          others.every((m, i) => m.heartbeatGenerations.length >= marks[i]! + 3) &&
          restarted.heartbeatGenerations.length >= 3,
        { message: () => "three more heartbeats from every member" },
      );
      for (const member of [...others, restarted]) {
        assert.deepEqual(new Set(member.heartbeatGenerations.slice(-3)), new Set([generation]), "the same generation");
      }
      assert.deepEqual(
        others.map((m) => ({ joins: m.joins.length, rebalancings: m.rebalancings })),
        othersBefore,
        "no GROUP_JOIN or REBALANCING for the members that stayed",
      );
      await waitFor(
        () => [a, c, restarted].flatMap((m) => m.received).filter((v) => v.startsWith("r2-")).length >= 60,
        { message: () => "round 2 consumed, the restarted member's partitions included" },
      );
      assert.equal(
        restarted.received.filter((v) => v.startsWith("r2-")).length,
        20,
        "its two partitions' share of round 2",
      );

      const after = await describeGroup(groupId);
      assert.equal(after.state, "Stable");
      assert.deepEqual(
        after.members.map((m) => m.memberId).sort(),
        [a, restarted, c].map((m) => latest(m)!.memberId).sort(),
      );

      // The old member id is fenced at the wire.
      const wire = await WireClient.connect(suite.broker.address);
      try {
        const beat = await wire.request(Apis.Heartbeat, 3, {
          groupId,
          generationId: generation,
          memberId: before.memberId,
          groupInstanceId: "till-b",
        });
        assert.equal(beat.errorCode, ErrorCode.FENCED_INSTANCE_ID);
      } finally {
        wire.close();
      }
    });
  });

  it("when a second consumer starts with a running member's instance id, then it takes over and the first one is fenced and stops", {
    timeout: 90_000,
  }, async () => {
    await withBrokerLog(suite.broker, async () => {
      const topic = "static-fenced";
      const groupId = "static-fenced-group";
      await suite.createTopic(topic, 2);

      const first = await startMember(groupId, topic, "till-x");
      await waitFor(() => latest(first)?.partitions.length === 2, { message: () => "the first member owns both" });
      const second = await startMember(groupId, topic, "till-x");
      await waitFor(() => second.joins.length === 1, { message: () => "the second instance to join" });
      assert.deepEqual(second.joins[0]!.partitions, [0, 1], "it takes over the first one's partitions");

      await waitFor(() => first.crashes.length === 1, { message: () => "the fenced consumer to crash" });
      assert.equal(first.crashes[0]!.restart, false, "a fenced static member does not restart");
      assert.ok(errorChain(first.crashes[0]!.error).types.includes("FENCED_INSTANCE_ID"));

      const mark = second.heartbeatGenerations.length;
      await waitFor(() => second.heartbeatGenerations.length >= mark + 3, {
        message: () => "the new instance beats on",
      });
      const group = await describeGroup(groupId);
      assert.deepEqual(
        group.members.map((m) => m.memberId),
        [second.joins[0]!.memberId],
      );
    });
  });
});
