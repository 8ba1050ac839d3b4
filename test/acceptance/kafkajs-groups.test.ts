// Acceptance: consumer group membership through kafkajs — partitions split between members,
// more members than partitions, and a crashed member's partitions moving to the survivor.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AssignerProtocol, type Consumer } from "kafkajs";
import { type AssignmentTracker, splitsExactly, trackAssignment } from "../helpers/group-assignment.ts";
import { spawnChildMember } from "../helpers/group-member-process.ts";
import { range, waitFor } from "../helpers/wait.ts";
import { collectFromBeginning, type ReceivedMessage, useAcceptanceSuite, withBrokerLog } from "./helpers.ts";

interface Member {
  consumer: Consumer;
  assignment: AssignmentTracker;
  received: ReceivedMessage[];
}

describe("kafkajs consumer groups", () => {
  const suite = useAcceptanceSuite("acceptance-groups");

  const startMember = async (groupId: string, topic: string): Promise<Member> => {
    const consumer = suite.consumer(groupId);
    const assignment = trackAssignment(consumer, topic);
    const received: ReceivedMessage[] = [];
    await collectFromBeginning(consumer, topic, received);
    return { consumer, assignment, received };
  };

  const describeMembers = async (groupId: string): Promise<{ state: string; members: Map<string, number[]> }> => {
    const { groups } = await suite.admin.describeGroups([groupId]);
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
    await withBrokerLog(suite.broker, async () => {
      const topic = "split";
      const groupId = "split-group";
      await suite.createTopic(topic, 6);

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
      await suite.producer.send({
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
    });
  });

  it("when 7 consumers join one group on a 6-partition topic, then once stable six own one partition each and exactly one owns none", {
    timeout: 120_000,
  }, async () => {
    await withBrokerLog(suite.broker, async () => {
      const topic = "seven";
      const groupId = "seven-group";
      await suite.createTopic(topic, 6);

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
    });
  });

  it("when a member is killed without leaving, then after its session timeout its partitions move to the survivor, which consumes new messages on them", {
    timeout: 120_000,
  }, async () => {
    await withBrokerLog(suite.broker, async () => {
      const topic = "failover";
      const groupId = "failover-group";
      await suite.createTopic(topic, 6);

      const survivor = await startMember(groupId, topic);
      await waitFor(() => splitsExactly([survivor.assignment.partitions()], 6), {
        message: () => `the survivor to own all 6 partitions first (${show([survivor])})`,
      });

      // The other member runs in its own process (a plain kafkajs consumer) with a 3 s session timeout.
      const child = spawnChildMember(undefined, suite.broker.address, groupId, topic, 3000);
      suite.track({ disconnect: () => child.kill() });

      await waitFor(
        () =>
          splitsExactly([survivor.assignment.partitions(), child.partitions()], 6) &&
          (child.partitions()?.length ?? 0) > 0 &&
          survivor.assignment.partitions()!.length > 0,
        {
          timeoutMs: 60_000,
          message: () =>
            `survivor and child to split 6 partitions (survivor ${JSON.stringify(survivor.assignment.partitions())}, child ${JSON.stringify(child.partitions())}) ${child.output()}`,
        },
      );
      const childPartitions = child.partitions()!;

      // The child really consumes its partitions before it dies.
      await suite.producer.send({
        topic,
        acks: -1,
        messages: childPartitions.map((p) => ({ partition: p, value: `before crash ${p}` })),
      });
      await waitFor(() => child.received().length >= childPartitions.length, {
        message: () => `the child to consume its partitions (${JSON.stringify(child.received())})`,
      });

      const joinsBeforeCrash = survivor.assignment.joins();
      await child.kill();

      await waitFor(() => splitsExactly([survivor.assignment.partitions()], 6), {
        timeoutMs: 60_000,
        message: () =>
          `the survivor to take over all 6 partitions after the child's session expired (${show([survivor])})`,
      });
      assert.ok(survivor.assignment.joins() > joinsBeforeCrash, "the survivor must have rejoined");
      const described = await describeMembers(groupId);
      assert.equal(described.members.size, 1, "the dead member is gone from the group");
      assert.deepEqual(described.members.get(survivor.assignment.memberId()!), range(6));

      await suite.producer.send({
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
    });
  });
});
