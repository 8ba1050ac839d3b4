// The consumer protocol's member metadata and assignment bytes, checked against the real kafkajs:
// both clients must be able to share a group whichever of them leads it.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AssignerProtocol as KafkaJSProtocol } from "kafkajs";
import { AssignerProtocol } from "../../../../broker/client/consumer/assigner-protocol.ts";
import type { MemberAssignment, MemberMetadata } from "../../../../broker/client/consumer/index.ts";
import { ProtocolDecodeError } from "../../../../broker/protocol/primitives.ts";

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

/** Java's ConsumerProtocolSubscription, written field by field as its generated code lays it out. */
function javaSubscription(fields: {
  version: number;
  topics: string[];
  userData: Buffer | null;
  owned?: Array<[string, number[]]>;
  generationId?: number;
  rackId?: string | null;
}): Buffer {
  const int16 = (n: number) => Buffer.from([(n >> 8) & 0xff, n & 0xff]);
  const int32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(n);
    return b;
  };
  const str = (s: string) => Buffer.concat([int16(Buffer.byteLength(s)), Buffer.from(s)]);
  const parts = [int16(fields.version), int32(fields.topics.length), ...fields.topics.map(str)];
  parts.push(fields.userData === null ? int32(-1) : Buffer.concat([int32(fields.userData.length), fields.userData]));
  if (fields.version >= 1) {
    const owned = fields.owned ?? [];
    parts.push(int32(owned.length));
    for (const [topic, partitions] of owned) parts.push(str(topic), int32(partitions.length), ...partitions.map(int32));
  }
  if (fields.version >= 2) parts.push(int32(fields.generationId ?? -1));
  if (fields.version >= 3) parts.push(fields.rackId == null ? int16(-1) : str(fields.rackId));
  return Buffer.concat(parts);
}

describe("consumer protocol subscription v1-v3 (Java's, for the cooperative-sticky assignor)", () => {
  it("when a subscription with owned partitions and a generation is encoded, then the bytes are Java's v2 layout and decode back", () => {
    const value = {
      version: 2,
      topics: ["orders", "refunds"],
      userData: Buffer.alloc(0),
      ownedPartitions: [
        { topic: "orders", partitions: [0, 2] },
        { topic: "refunds", partitions: [1] },
      ],
      generationId: 5,
    };
    const encoded = AssignerProtocol.MemberMetadata.encode(value);
    const expected = javaSubscription({
      version: 2,
      topics: ["orders", "refunds"],
      userData: Buffer.alloc(0),
      owned: [
        ["orders", [0, 2]],
        ["refunds", [1]],
      ],
      generationId: 5,
    });
    assert.deepEqual(encoded, expected);
    assert.deepEqual(AssignerProtocol.MemberMetadata.decode(encoded), value);
  });

  it("when Java's v1 and v3 subscriptions are decoded, then owned partitions, generation and rack are read", () => {
    assert.deepEqual(
      AssignerProtocol.MemberMetadata.decode(
        javaSubscription({ version: 1, topics: ["t"], userData: Buffer.from("u"), owned: [["t", [3]]] }),
      ),
      { version: 1, topics: ["t"], userData: Buffer.from("u"), ownedPartitions: [{ topic: "t", partitions: [3] }] },
    );
    const v3 = AssignerProtocol.MemberMetadata.decode(
      javaSubscription({ version: 3, topics: ["t"], userData: null, owned: [], generationId: 9, rackId: "rack-a" }),
    );
    assert.deepEqual(
      { ...v3, userData: undefined },
      { version: 3, topics: ["t"], userData: undefined, ownedPartitions: [], generationId: 9, rackId: "rack-a" },
    );
    const encodedV3 = AssignerProtocol.MemberMetadata.encode({
      version: 3,
      topics: ["t"],
      userData: Buffer.alloc(0),
      ownedPartitions: [],
      generationId: 9,
      rackId: "rack-a",
    });
    assert.deepEqual(
      encodedV3,
      javaSubscription({
        version: 3,
        topics: ["t"],
        userData: Buffer.alloc(0),
        owned: [],
        generationId: 9,
        rackId: "rack-a",
      }),
    );
  });

  it("when a kafkajs member's metadata has no owned partitions, then it decodes as v0 did, whatever its version", () => {
    const kafkajsV1 = KafkaJSProtocol.MemberMetadata.encode({ version: 1, topics: ["t"], userData: Buffer.alloc(0) });
    assert.deepEqual(AssignerProtocol.MemberMetadata.decode(kafkajsV1), {
      version: 1,
      topics: ["t"],
      userData: Buffer.alloc(0),
    });
    // A kafkajs-shaped value (no ownedPartitions) still encodes exactly as kafkajs does at any version.
    const value = { version: 2, topics: ["t"], userData: Buffer.from("x") };
    assert.deepEqual(AssignerProtocol.MemberMetadata.encode(value), KafkaJSProtocol.MemberMetadata.encode(value));
  });
});
