// The consumer protocol bytes and the round-robin assignment, checked against the real kafkajs:
// both clients must be able to share a group whichever of them leads it.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PartitionAssigners as KafkaJSAssigners, AssignerProtocol as KafkaJSProtocol } from "kafkajs";
import type { GroupMember, MemberAssignment, MemberMetadata } from "../../../../broker/client/consumer/index.ts";
import { AssignerProtocol, PartitionAssigners } from "../../../../broker/client/consumer/index.ts";
import { createLogger, logLevel } from "../../../../broker/client/logger.ts";
import { ProtocolDecodeError } from "../../../../broker/protocol/primitives.ts";

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

describe("consumer protocol bytes", () => {
  it("when member metadata is encoded, then the bytes equal kafkajs's and each side decodes the other's", () => {
    const values: MemberMetadata[] = [
      { version: 0, topics: ["orders"], userData: Buffer.alloc(0) },
      { version: 1, topics: ["a", "b-é", "c.d_e"], userData: Buffer.from("user data") },
      { version: 0, topics: [], userData: Buffer.alloc(0) },
    ];
    for (const value of values) {
      const ours = AssignerProtocol.MemberMetadata.encode(value);
      const theirs = KafkaJSProtocol.MemberMetadata.encode(value);
      assert.deepEqual(ours, theirs);
      assert.deepEqual(AssignerProtocol.MemberMetadata.decode(theirs), value);
      assert.deepEqual(KafkaJSProtocol.MemberMetadata.decode(ours), value);
    }
  });

  it("when a member assignment is encoded, then the bytes equal kafkajs's and each side decodes the other's", () => {
    const values: MemberAssignment[] = [
      { version: 0, assignment: { orders: [0, 2, 4] }, userData: Buffer.alloc(0) },
      { version: 0, assignment: { b: [1], a: [0, 3], "c-é": [7] }, userData: Buffer.from([1, 2, 3]) },
      { version: 0, assignment: {}, userData: Buffer.alloc(0) },
    ];
    for (const value of values) {
      const ours = AssignerProtocol.MemberAssignment.encode(value);
      const theirs = KafkaJSProtocol.MemberAssignment.encode(value);
      assert.deepEqual(ours, theirs);
      assert.deepEqual(AssignerProtocol.MemberAssignment.decode(theirs), value);
      assert.deepEqual(KafkaJSProtocol.MemberAssignment.decode(ours), value);
    }
  });

  it("when an assignment is empty bytes, then it decodes to null as in kafkajs", () => {
    assert.equal(AssignerProtocol.MemberAssignment.decode(Buffer.alloc(0)), null);
    assert.equal(KafkaJSProtocol.MemberAssignment.decode(Buffer.alloc(0)), null);
  });

  it("when newer versions add trailing fields or leave userData out, then both still decode", () => {
    const metadata = { version: 3, topics: ["orders"], userData: Buffer.from("u") };
    const withTrailing = Buffer.concat([
      AssignerProtocol.MemberMetadata.encode(metadata),
      Buffer.from([0, 0, 0, 7, 1]),
    ]);
    assert.deepEqual(AssignerProtocol.MemberMetadata.decode(withTrailing), metadata);
    const assignment = { version: 1, assignment: { orders: [1, 2] }, userData: Buffer.alloc(0) };
    const encoded = AssignerProtocol.MemberAssignment.encode(assignment);
    const withoutUserData = encoded.subarray(0, encoded.length - 4);
    assert.deepEqual(AssignerProtocol.MemberAssignment.decode(withoutUserData), assignment);
  });

  it("when a count claims more items than the bytes hold, then decoding throws a ProtocolDecodeError", () => {
    const metadata = AssignerProtocol.MemberMetadata.encode({ version: 0, topics: ["a"], userData: Buffer.alloc(0) });
    metadata.writeInt32BE(0x7fffffff, 2);
    assert.throws(() => AssignerProtocol.MemberMetadata.decode(metadata), ProtocolDecodeError);
    const assignment = AssignerProtocol.MemberAssignment.encode({
      version: 0,
      assignment: { a: [0] },
      userData: Buffer.alloc(0),
    });
    assignment.writeInt32BE(1_000_000, 2 + 4 + 3); // the partition count of topic "a"
    assert.throws(() => AssignerProtocol.MemberAssignment.decode(assignment), ProtocolDecodeError);
  });
});

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
      const ours = PartitionAssigners.roundRobin({ cluster, groupId: "g", logger });
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
