// The round-robin assignment, checked against the real kafkajs: both clients must be able to share
// a group whichever of them leads it.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PartitionAssigners as KafkaJSAssigners } from "kafkajs";
import { AssignerProtocol } from "../../../../broker/client/consumer/assigner-protocol.ts";
import type { GroupMember } from "../../../../broker/client/consumer/index.ts";
import { roundRobin } from "../../../../broker/client/consumer/round-robin-assigner.ts";
import { createLogger, logLevel } from "../../../../broker/client/logger.ts";

const logger = createLogger(logLevel.NOTHING);

/** A cluster stand-in for both assigners: topic name → partition count. */
function fakeCluster(topics: Record<string, number>) {
  const metadata = (topic: string) =>
    Array.from({ length: topics[topic] ?? 0 }, (_, partitionId) => ({
      partitionErrorCode: 0,
      partitionId,
      leader: 0,
      replicas: [0],
      isr: [0],
    }));
  return {
    findTopicPartitionMetadata: metadata,
    getNodeIds: () => [0],
    refreshMetadata: async () => undefined,
  };
}

function members(ids: string[], topics: string[]): GroupMember[] {
  return ids.map((memberId) => ({
    memberId,
    memberMetadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }),
  }));
}

describe("RoundRobinAssigner", () => {
  const cases: Array<{ name: string; memberIds: string[]; topics: string[]; partitions: Record<string, number> }> = [
    { name: "three members, one topic of 6", memberIds: ["m-c", "m-a", "m-b"], topics: ["t"], partitions: { t: 6 } },
    { name: "more members than partitions", memberIds: ["z", "y", "x", "w"], topics: ["t"], partitions: { t: 2 } },
    {
      name: "two topics, uneven",
      memberIds: ["consumer-2", "consumer-1"],
      topics: ["beta", "alpha"],
      partitions: { alpha: 3, beta: 5 },
    },
    { name: "one member", memberIds: ["solo"], topics: ["a", "b", "c"], partitions: { a: 1, b: 2, c: 3 } },
    {
      name: "uuid-like ids",
      memberIds: ["c-7f3e", "c-0a11", "c-b2c4", "c-11aa", "c-ffff"],
      topics: ["x"],
      partitions: { x: 16 },
    },
  ];

  for (const { name, memberIds, topics, partitions } of cases) {
    it(`when assigning ${name}, then the assignment bytes equal kafkajs's`, async () => {
      const cluster = fakeCluster(partitions);
      const ours = roundRobin({ cluster, groupId: "g", logger });
      const theirs = KafkaJSAssigners.roundRobin({ cluster: cluster as never, groupId: "g", logger: logger as never });
      assert.equal(ours.name, theirs.name);
      assert.equal(ours.name, "RoundRobinAssigner");
      assert.deepEqual(ours.protocol({ topics }), theirs.protocol({ topics }));
      const groupMembers = members(memberIds, topics);
      const ourAssignment = await ours.assign({ members: groupMembers, topics });
      const theirAssignment = await theirs.assign({ members: groupMembers, topics });
      assert.deepEqual(ourAssignment, theirAssignment);
      // Every partition exactly once.
      const all = ourAssignment.flatMap(({ memberAssignment }) => {
        const decoded = AssignerProtocol.MemberAssignment.decode(memberAssignment)!;
        return Object.entries(decoded.assignment).flatMap(([topic, list]) => list.map((p) => `${topic}/${p}`));
      });
      const expected = Object.entries(partitions).flatMap(([topic, count]) =>
        Array.from({ length: count }, (_, p) => `${topic}/${p}`),
      );
      assert.deepEqual(all.sort(), expected.sort());
    });
  }
});
