// Acceptance: consumer group membership through kafkajs — partitions split between members,
// more members than partitions, and a crashed member's partitions moving to the survivor.

import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { type Admin, AssignerProtocol, type Consumer, type Kafka, type Producer } from "kafkajs";
import { type BrokerProcess, startBroker } from "../helpers/broker-process.ts";
import { type AssignmentTracker, splitsExactly, trackAssignment } from "../helpers/group-assignment.ts";
import { range, waitFor } from "../helpers/wait.ts";
import {
  closeClientsAndBroker,
  collectInto,
  connectAdminAndProducer,
  kafkaClient,
  quickConsumerConfig,
  quickGroupBrokerConfig,
  type ReceivedMessage,
  withBrokerLog,
} from "./helpers.ts";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const memberFixture = fileURLToPath(new URL("../helpers/group-member.ts", import.meta.url));

interface Member {
  consumer: Consumer;
  assignment: AssignmentTracker;
  received: ReceivedMessage[];
}

describe("kafkajs consumer groups", () => {
  let broker: BrokerProcess | undefined;
  let kafka: Kafka;
  let admin: Admin | undefined;
  let producer: Producer | undefined;
  const consumers: Consumer[] = [];
  const children: ChildProcess[] = [];

  before(async () => {
    broker = await startBroker({ config: quickGroupBrokerConfig });
    kafka = kafkaClient(broker.address, "acceptance-groups");
    ({ admin, producer } = await connectAdminAndProducer(kafka));
  });

  after(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await closeClientsAndBroker(broker, ...consumers, producer, admin);
  });

  const createTopic = async (topic: string, numPartitions: number): Promise<void> => {
    assert.equal(await admin!.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: true }), true);
  };

  const startMember = async (groupId: string, topic: string): Promise<Member> => {
    const consumer = kafka.consumer(quickConsumerConfig(groupId));
    consumers.push(consumer);
    const assignment = trackAssignment(consumer, topic);
    const received: ReceivedMessage[] = [];
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await collectInto(consumer, received);
    return { consumer, assignment, received };
  };

  const describeMembers = async (groupId: string): Promise<{ state: string; members: Map<string, number[]> }> => {
    const { groups } = await admin!.describeGroups([groupId]);
    const group = groups[0]!;
    const members = new Map<string, number[]>();
    for (const member of group.members) {
      const decoded =
        member.memberAssignment.length > 0 ? AssignerProtocol.MemberAssignment.decode(member.memberAssignment) : null;
      const partitions = Object.values(decoded?.assignment ?? {})
        .flat()
        .sort((a, b) => a - b);
      members.set(member.memberId, partitions);
    }
    return { state: group.state, members };
  };

  const show = (members: Member[]): string =>
    members.map((m, i) => `member ${i}: ${JSON.stringify(m.assignment.partitions())}`).join("; ");

  it("when two consumers join one group on a 6-partition topic, then they split the partitions: each gets some, disjoint, together all 6", {
    timeout: 90_000,
  }, async () => {
    await withBrokerLog(
      () => broker,
      async () => {
        const topic = "split";
        const groupId = "split-group";
        await createTopic(topic, 6);

        const first = await startMember(groupId, topic);
        await waitFor(() => splitsExactly([first.assignment.partitions()], 6), {
          message: () => `the only member to own all 6 partitions (${show([first])})`,
        });

        const second = await startMember(groupId, topic);
        const pair = [first, second];
        await waitFor(
          () =>
            splitsExactly(
              pair.map((m) => m.assignment.partitions()),
              6,
            ) && pair.every((m) => m.assignment.partitions()!.length > 0),
          { timeoutMs: 45_000, message: () => `two members to split 6 partitions (${show(pair)})` },
        );
        assert.ok(second.assignment.joins() >= 1);
        assert.ok(first.assignment.joins() >= 2, "the first member must have rejoined for the rebalance");

        const described = await describeMembers(groupId);
        assert.equal(described.state, "Stable");
        assert.equal(described.members.size, 2);
        for (const member of pair) {
          assert.deepEqual(
            described.members.get(member.assignment.memberId()!),
            member.assignment.partitions(),
            "DescribeGroups shows the assignment the member got",
          );
        }

        // Each member consumes exactly the partitions it owns.
        await producer!.send({
          topic,
          acks: -1,
          messages: range(6).map((p) => ({ partition: p, value: `for partition ${p}` })),
        });
        await waitFor(() => first.received.length + second.received.length >= 6, {
          message: () => `6 messages to be consumed (got ${first.received.length} + ${second.received.length})`,
        });
        for (const member of pair) {
          const owned = member.assignment.partitions()!;
          assert.deepEqual(
            [...new Set(member.received.map((m) => m.partition))].sort((a, b) => a - b),
            owned,
          );
          for (const message of member.received) assert.equal(message.value, `for partition ${message.partition}`);
        }
        await Promise.all(pair.map((m) => m.consumer.disconnect()));
      },
    );
  });

  it("when 7 consumers join one group on a 6-partition topic, then once stable six own one partition each and exactly one owns none", {
    timeout: 120_000,
  }, async () => {
    await withBrokerLog(
      () => broker,
      async () => {
        const topic = "seven";
        const groupId = "seven-group";
        await createTopic(topic, 6);

        const members = await Promise.all(range(7).map(() => startMember(groupId, topic)));
        let described: Awaited<ReturnType<typeof describeMembers>> | undefined;
        await waitFor(
          async () => {
            const lists = members.map((m) => m.assignment.partitions());
            if (!splitsExactly(lists, 6)) return false;
            if (lists.filter((l) => l!.length === 0).length !== 1) return false;
            described = await describeMembers(groupId);
            return described.state === "Stable" && described.members.size === 7;
          },
          {
            timeoutMs: 90_000,
            message: () =>
              `7 members to settle (${show(members)}; described: ${described ? `${described.state}, ${described.members.size} members` : "-"})`,
          },
        );

        const sizes = members.map((m) => m.assignment.partitions()!.length).sort();
        assert.deepEqual(sizes, [0, 1, 1, 1, 1, 1, 1]);
        const memberIds = new Set(members.map((m) => m.assignment.memberId()));
        assert.equal(memberIds.size, 7, "every member has its own member id");
        for (const member of members) {
          assert.deepEqual(described!.members.get(member.assignment.memberId()!), member.assignment.partitions());
        }
        await Promise.all(members.map((m) => m.consumer.disconnect()));
        await waitFor(async () => (await describeMembers(groupId)).members.size === 0, {
          message: "the group to be empty after all members left",
        });
      },
    );
  });

  it("when a member is killed without leaving, then after its session timeout its partitions move to the survivor, which consumes new messages on them", {
    timeout: 120_000,
  }, async () => {
    await withBrokerLog(
      () => broker,
      async () => {
        const topic = "failover";
        const groupId = "failover-group";
        await createTopic(topic, 6);

        const survivor = await startMember(groupId, topic);
        await waitFor(() => splitsExactly([survivor.assignment.partitions()], 6), {
          message: () => `the survivor to own all 6 partitions first (${show([survivor])})`,
        });

        // The other member runs in its own process (node itself, not tsx's CLI wrapper, so that
        // SIGKILL hits the consumer) with a 3 s session timeout.
        const child = spawn(
          process.execPath,
          ["--import", "tsx", memberFixture, broker!.address, groupId, topic, "3000"],
          {
            cwd: repoRoot,
            stdio: ["ignore", "pipe", "pipe"],
          },
        );
        children.push(child);
        let childAssignment: number[] | undefined;
        const childMessages: Array<{ partition: number; value: string }> = [];
        let childStderr = "";
        child.stderr!.on("data", (chunk: Buffer) => {
          childStderr += chunk.toString();
        });
        createInterface({ input: child.stdout! }).on("line", (line) => {
          try {
            const event = JSON.parse(line) as {
              event: string;
              partitions?: number[];
              partition?: number;
              value?: string;
            };
            if (event.event === "assignment") childAssignment = event.partitions;
            if (event.event === "message") childMessages.push({ partition: event.partition!, value: event.value! });
          } catch {
            childStderr += `${line}\n`;
          }
        });

        await waitFor(
          () =>
            splitsExactly([survivor.assignment.partitions(), childAssignment], 6) &&
            (childAssignment?.length ?? 0) > 0 &&
            survivor.assignment.partitions()!.length > 0,
          {
            timeoutMs: 60_000,
            message: () =>
              `survivor and child to split 6 partitions (survivor ${JSON.stringify(survivor.assignment.partitions())}, child ${JSON.stringify(childAssignment)}) ${childStderr}`,
          },
        );
        const childPartitions = childAssignment!;

        // The child really consumes its partitions before it dies.
        await producer!.send({
          topic,
          acks: -1,
          messages: childPartitions.map((p) => ({ partition: p, value: `before crash ${p}` })),
        });
        await waitFor(() => childMessages.length >= childPartitions.length, {
          message: () => `the child to consume its partitions (${JSON.stringify(childMessages)})`,
        });

        const joinsBeforeCrash = survivor.assignment.joins();
        child.kill("SIGKILL");
        await new Promise((resolve) =>
          child.exitCode !== null || child.signalCode !== null ? resolve(undefined) : child.once("exit", resolve),
        );

        await waitFor(() => splitsExactly([survivor.assignment.partitions()], 6), {
          timeoutMs: 60_000,
          message: () =>
            `the survivor to take over all 6 partitions after the child's session expired (${show([survivor])})`,
        });
        assert.ok(survivor.assignment.joins() > joinsBeforeCrash, "the survivor must have rejoined");
        const described = await describeMembers(groupId);
        assert.equal(described.members.size, 1, "the dead member is gone from the group");
        assert.deepEqual(described.members.get(survivor.assignment.memberId()!), range(6));

        await producer!.send({
          topic,
          acks: -1,
          messages: childPartitions.map((p) => ({ partition: p, value: `after crash ${p}` })),
        });
        await waitFor(
          () =>
            childPartitions.every((p) =>
              survivor.received.some((m) => m.partition === p && m.value === `after crash ${p}`),
            ),
          {
            timeoutMs: 30_000,
            message: () =>
              `the survivor to consume the new messages on ${JSON.stringify(childPartitions)} (got ${JSON.stringify(survivor.received.map((m) => m.value))})`,
          },
        );
        await survivor.consumer.disconnect();
      },
    );
  });
});
