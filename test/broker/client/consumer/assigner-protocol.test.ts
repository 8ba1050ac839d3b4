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
