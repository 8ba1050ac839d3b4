// maxPollInterval (Java's max.poll.interval.ms, KIP-62) against a real broker: a member whose
// handler stalls leaves its group on its own, the other member takes its partitions over, and once
// the handler returns the stalled member commits nothing of its lost generation and joins again as
// a new member; every record is processed at least once. Under both group protocols; and for a
// classic member also while a rebalance it holds up is in progress, its LeaveGroup's reason read
// back from the broker's event journal, as is the reason of a consumer that disconnects.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CONSUMER_CLOSING_REASON } from "../../../../broker/client/consumer/group.ts";
import type { Consumer, ConsumerConfig } from "../../../../broker/client/consumer/index.ts";
import { POLL_TIMEOUT_REASON, PollTimeout } from "../../../../broker/client/consumer/poll-timeout.ts";
import { Session } from "../../../../broker/client/consumer/session.ts";
import type { ClusterEvent } from "../../../../broker/server/admin/cluster-events.ts";
import { range } from "../../../helpers/wait.ts";
import { ourConsumer, quickConsumerConfig, useConsumerSuite, waitFor } from "./helpers.ts";

const PARTITIONS = 4;
const PER_PARTITION = 10;

/** What one member saw, in order: joins, commits and requests, handler calls. */
interface Member {
  consumer: Consumer;
  log: string[];
  memberIds: string[];
  partitions(): number[];
  /** "partition/offset" of every message handed over. */
  processed: Set<string>;
}

describe("max poll interval", () => {
  const suite = useConsumerSuite({ adminPort: 0 });

  /** What the coordinator recorded about the group (the admin listener's journal), oldest first. */
  const groupEvents = async (groupId: string): Promise<ClusterEvent[]> => {
    const response = await fetch(new URL("/v1/events/history", suite.broker().adminUrl!));
    assert.equal(response.status, 200);
    return ((await response.json()) as ClusterEvent[]).filter((event) => event.group === groupId);
  };

  const startMember = async (
    name: string,
    groupId: string,
    topic: string,
    config: Partial<ConsumerConfig>,
    stallOn: (value: string) => Promise<void> | undefined,
  ): Promise<Member> => {
    const consumer = suite.track(ourConsumer(suite.broker().address, quickConsumerConfig(groupId, config), name));
    let latest: number[] = [];
    const member: Member = {
      consumer,
      log: [],
      memberIds: [],
      partitions: () => latest,
      processed: new Set(),
    };
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      member.memberIds.push(payload.memberId);
      latest = [...(payload.memberAssignment[topic] ?? [])].sort((a, b) => a - b);
      member.log.push(`join ${payload.memberId} [${latest}]`);
    });
    consumer.on(consumer.events.REBALANCING, () => member.log.push("rebalancing"));
    consumer.on(consumer.events.PARTITIONS_REVOKED, ({ payload }) =>
      member.log.push(`revoked ${payload.reason}: ${payload.cause ?? ""}`),
    );
    consumer.on(consumer.events.COMMIT_OFFSETS, ({ payload }) => member.log.push(`commit by ${payload.memberId}`));
    consumer.on(consumer.events.REQUEST, ({ payload }) => {
      if (payload.apiName === "OffsetCommit") member.log.push("OffsetCommit");
      if (payload.apiName === "LeaveGroup") member.log.push(`LeaveGroup v${payload.apiVersion}`);
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => member.log.push(`crash ${payload.error.message}`));
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const value = message.value!.toString();
        const stall = stallOn(value);
        if (stall) {
          member.log.push("stall-start");
          await stall;
          member.log.push("stall-end");
        }
        member.processed.add(`${partition}/${message.offset}`);
      },
    });
    return member;
  };

  const stallsAndRejoins = async (groupProtocol: "classic" | "consumer"): Promise<void> => {
    const topic = `poll-timeout-${groupProtocol}`;
    const groupId = `${topic}-group`;
    await suite.rig().createTopic(topic, PARTITIONS);
    const config: Partial<ConsumerConfig> = { maxPollInterval: 2000, groupProtocol };
    let stalled = false;
    let release = false;
    let other: Member | undefined;
    const released = waitFor(() => release, "the test to release the stalled handler", 60_000);
    const stalling = await startMember("stalling", groupId, topic, config, (value) => {
      if (value !== "stall" || stalled) return undefined;
      stalled = true;
      return released;
    });
    other = await startMember("other", groupId, topic, config, () => undefined);
    const bothOwnSome = () =>
      stalling.partitions().length > 0 &&
      other!.partitions().length > 0 &&
      [...stalling.partitions(), ...other!.partitions()].sort().join() === range(PARTITIONS).join();
    await waitFor(bothOwnSome, () => `the members share the partitions: ${stalling.log} / ${other?.log}`, 30_000);

    // The first record of one of the stalling member's partitions stalls its handler.
    const stalledPartition = stalling.partitions()[0]!;
    await suite.rig().producer.send({
      topic,
      messages: range(PARTITIONS).flatMap((partition) =>
        range(PER_PARTITION).map((i) => ({
          partition,
          value: partition === stalledPartition && i === 0 ? "stall" : `m-${partition}-${i}`,
        })),
      ),
    });
    await waitFor(() => stalling.log.includes("stall-start"), "the stalling handler to start", 30_000);
    const stalledMemberId = stalling.memberIds.at(-1)!;

    // Heartbeats go on meanwhile: only the member's own poll timeout can hand its partitions on.
    await waitFor(
      () => other!.partitions().length === PARTITIONS,
      () => `the other member takes every partition while the handler is stalled: ${other?.log}`,
      30_000,
    );
    assert.ok(!stalling.log.includes("stall-end"), "taken over while the handler was still stalled");
    const whileStalled = stalling.log.slice(stalling.log.indexOf("stall-start"));
    assert.ok(whileStalled.includes("rebalancing"), `the stalled member announced a rebalance: ${whileStalled}`);
    if (groupProtocol === "classic")
      assert.ok(whileStalled.includes("LeaveGroup v5"), `it sent LeaveGroup v5 (with the reason): ${whileStalled}`);
    release = true;

    const afterStall = () => stalling.log.slice(stalling.log.indexOf("stall-end"));
    await waitFor(
      () => afterStall().some((entry) => entry.startsWith("join")) && bothOwnSome(),
      () => `the stalled member joins again and the partitions are shared: ${stalling.log}`,
      30_000,
    );
    const stallStart = stalling.log.indexOf("stall-start");
    const timedOut = stalling.log.indexOf("rebalancing", stallStart);
    const rejoined = stalling.log.findIndex((entry, i) => i > timedOut && entry.startsWith("join"));
    const outOfTheGroup = stalling.log.slice(timedOut, rejoined);
    assert.ok(
      outOfTheGroup.includes(`revoked lost: ${POLL_TIMEOUT_REASON}`),
      `the stalled member's partitions are revoked as lost, for the poll timeout: ${outOfTheGroup}`,
    );
    assert.ok(
      !outOfTheGroup.some((entry) => entry === "OffsetCommit" || entry.startsWith("commit by")),
      `no commit from the poll timeout until the new join: ${outOfTheGroup}`,
    );
    if (groupProtocol === "classic")
      assert.notEqual(stalling.memberIds.at(-1), stalledMemberId, "joined again as a new member");
    assert.ok(!stalling.log.some((entry) => entry.startsWith("crash")), `no crash: ${stalling.log}`);

    const everything = range(PARTITIONS).flatMap((partition) => range(PER_PARTITION).map((i) => `${partition}/${i}`));
    await waitFor(
      () => everything.every((record) => stalling.processed.has(record) || other!.processed.has(record)),
      () => `every record processed at least once: ${stalling.log} / ${other?.log}`,
      30_000,
    );
    // The stalled record went to the partition's new owner, and the group's offsets reach the end.
    assert.ok(other.processed.has(`${stalledPartition}/0`), "the stalled record was processed by the new owner");
    await waitFor(
      async () => {
        const offsets = await suite.rig().admin.fetchOffsets({ groupId, topics: [topic] });
        return offsets[0]!.partitions.every(({ offset }) => offset === String(PER_PARTITION));
      },
      "every partition committed to its end",
      30_000,
    );
  };

  it("when a classic member's handler stalls past maxPollInterval, then it leaves with the poll timeout reason, the other member takes its partitions, and it rejoins as a new member without committing the lost generation", async () => {
    await stallsAndRejoins("classic");
  });

  it("when a consumer-protocol member's handler stalls past maxPollInterval, then it leaves with epoch -1, the other member takes its partitions, and it joins again once the handler returns", async () => {
    await stallsAndRejoins("consumer");
  });

  it("when a member's handler stalls while a rebalance it holds up is in progress, then it leaves with the poll timeout reason instead of being removed at the rebalance timeout, the newcomer gets every partition, and it rejoins once the handler returns", async () => {
    const topic = "poll-timeout-during-rebalance";
    const groupId = `${topic}-group`;
    await suite.rig().createTopic(topic, PARTITIONS);
    // Long enough for the newcomer to join (and so start the rebalance) while the handler is stalled.
    const config: Partial<ConsumerConfig> = { maxPollInterval: 10_000 };
    let release = false;
    const released = waitFor(() => release, "the test to release the stalled handler", 60_000);
    let stalled = false;
    const stalling = await startMember("stalling", groupId, topic, config, (value) => {
      if (value !== "stall" || stalled) return undefined;
      stalled = true;
      return released;
    });
    await waitFor(() => stalling.partitions().length === PARTITIONS, "the first member owns every partition", 30_000);
    await suite.rig().producer.send({
      topic,
      messages: range(PARTITIONS).flatMap((partition) =>
        range(PER_PARTITION).map((i) => ({
          partition,
          value: partition === 0 && i === 0 ? "stall" : `m-${partition}-${i}`,
        })),
      ),
    });
    await waitFor(() => stalling.log.includes("stall-start"), "the stalling handler to start", 30_000);
    const stalledMemberId = stalling.memberIds.at(-1)!;

    // The newcomer's join starts a rebalance that waits for the stalled member to join again.
    const newcomer = await startMember("newcomer", groupId, topic, config, () => undefined);
    await waitFor(
      () => newcomer.partitions().length === PARTITIONS,
      () => `the newcomer takes every partition while the handler is stalled: ${newcomer.log} / ${stalling.log}`,
      30_000,
    );
    assert.ok(!stalling.log.includes("stall-end"), "taken over while the handler was still stalled");
    const whileStalled = stalling.log.slice(stalling.log.indexOf("stall-start"));
    const rebalancing = whileStalled.indexOf("rebalancing");
    const leaving = whileStalled.indexOf("LeaveGroup v5");
    assert.ok(
      rebalancing >= 0 && leaving > rebalancing,
      `the rebalance ended the session before the poll timeout, and the member left all the same: ${whileStalled}`,
    );

    const events = await groupEvents(groupId);
    const described = events.map((event) => `${event.kind} ${event.memberId ?? ""}: ${event.cause}`).join("\n");
    const newcomerJoined = events.findIndex(
      (event) => event.kind === "member-joined" && event.memberId === newcomer.memberIds[0],
    );
    const left = events.findIndex((event) => event.kind === "member-left" && event.memberId === stalledMemberId);
    assert.ok(newcomerJoined >= 0 && left > newcomerJoined, `it left during the newcomer's rebalance:\n${described}`);
    assert.equal(events[left]!.cause, `LeaveGroup: ${POLL_TIMEOUT_REASON}`);
    assert.ok(
      !events.some((event) => event.kind === "member-removed" && event.memberId === stalledMemberId),
      `the coordinator did not have to remove it:\n${described}`,
    );
    release = true;

    const afterStall = () => stalling.log.slice(stalling.log.indexOf("stall-end"));
    const shared = () =>
      stalling.partitions().length > 0 &&
      newcomer.partitions().length > 0 &&
      [...stalling.partitions(), ...newcomer.partitions()].sort().join() === range(PARTITIONS).join();
    await waitFor(
      () => stalling.log.includes("stall-end") && afterStall().some((entry) => entry.startsWith("join")) && shared(),
      () => `the stalled member joins again and the partitions are shared: ${stalling.log} / ${newcomer.log}`,
      30_000,
    );
    // From the rebalance that ended the stalled generation to the join after the handler returned.
    const ended = stalling.log.indexOf("rebalancing", stalling.log.indexOf("stall-start"));
    const rejoined = stalling.log.findIndex((entry, i) => i > ended && entry.startsWith("join"));
    const outOfTheGroup = stalling.log.slice(ended, rejoined);
    assert.ok(
      outOfTheGroup.includes(`revoked lost: ${POLL_TIMEOUT_REASON}`),
      `its partitions are revoked as lost, for the poll timeout: ${outOfTheGroup}`,
    );
    assert.ok(
      !outOfTheGroup.some((entry) => entry === "OffsetCommit" || entry.startsWith("commit by")),
      `no commit under the lost generation: ${outOfTheGroup}`,
    );
    assert.notEqual(stalling.memberIds.at(-1), stalledMemberId, "joined again as a new member");
    assert.ok(newcomer.processed.has("0/0"), "the stalled record was processed by the newcomer");
    assert.ok(!stalling.log.some((entry) => entry.startsWith("crash")), `no crash: ${stalling.log}`);
  });

  it("when a member disconnects, then its LeaveGroup carries Java's reason for a consumer being closed", async () => {
    const topic = "poll-timeout-close";
    const groupId = `${topic}-group`;
    await suite.rig().createTopic(topic, 1);
    const member = await startMember("closing", groupId, topic, {}, () => undefined);
    await waitFor(() => member.partitions().length === 1, "the member owns the partition", 30_000);
    const memberId = member.memberIds.at(-1)!;
    await member.consumer.disconnect();
    assert.ok(member.log.includes("LeaveGroup v5"), `it sent LeaveGroup v5: ${member.log}`);
    const left = (await groupEvents(groupId)).find(
      (event) => event.kind === "member-left" && event.memberId === memberId,
    );
    assert.equal(left?.cause, `LeaveGroup: ${CONSUMER_CLOSING_REASON}`);
  });

  it("when maxPollInterval is not a positive whole number, then the consumer is not created", () => {
    for (const maxPollInterval of [0, -1, 1.5]) {
      assert.throws(
        () => ourConsumer(suite.broker().address, quickConsumerConfig("invalid-poll", { maxPollInterval })),
        /maxPollInterval/,
      );
    }
  });

  it("when a handler call outlasts the limit, then the poll timeout fires for its session while it still runs, and never for a call that ends in time", async () => {
    const session = new Session({ generationId: 1, memberId: "m" }, new Map(), new Map());
    const expired: Session[] = [];
    const timeout = new PollTimeout(1, (s) => expired.push(s));
    assert.equal(await timeout.watch(session, async () => "quick"), "quick");
    const stillRunning = await timeout.watch(session, async () => {
      await waitFor(() => expired.length > 0, "the limit to pass", 5_000);
      return expired.length;
    });
    assert.equal(stillRunning, 1);
    assert.deepEqual(expired, [session]);
    const unlimited = new PollTimeout(null, (s) => expired.push(s));
    await unlimited.watch(session, () => new Promise((resolve) => setTimeout(resolve, 5)));
    assert.equal(expired.length, 1);
  });
});
