// The consumer protocol's member metadata and member assignment bytes, which the group coordinator
// relays between members without reading them. They must match kafkajs's (and Java's) byte for
// byte, so members of either client can share one group:
//   MemberMetadata   = version int16, topics [string], userData bytes
//   MemberAssignment = version int16, [topic string, partitions [int32]], userData bytes
// (arrays are an int32 count; strings an int16 length; bytes an int32 length, -1 for null).
// Read and written with the protocol's one Reader and Writer; a count or length that the bytes
// cannot hold is a ProtocolDecodeError.
import { ProtocolDecodeError, Reader, Writer } from "../../protocol/primitives.ts";
import type {
  Assignment,
  ISerializer,
  MemberAssignment as MemberAssignmentValue,
  MemberMetadata as MemberMetadataValue,
} from "./types.ts";

const EMPTY = Buffer.alloc(0);

/** An int32 count of items of at least `minItemBytes` each; a negative count is none, as in kafkajs. */
function readCount(reader: Reader, minItemBytes: number): number {
  const count = reader.int32();
  if (count * minItemBytes > reader.remaining) {
    throw new ProtocolDecodeError(`${count} items of ${minItemBytes}+ bytes claimed, ${reader.remaining} bytes left`);
  }
  return Math.max(count, 0);
}

/** Trailing fields of newer protocol versions are ignored; a missing userData reads as empty. */
function readUserData(reader: Reader): Buffer {
  return reader.remaining >= 4 ? (reader.nullableBytes() as Buffer) : EMPTY;
}

export const MemberMetadata: ISerializer<MemberMetadataValue> = {
  encode({ version, topics, userData = EMPTY }) {
    const writer = new Writer(64).int16(version).int32(topics.length);
    for (const topic of topics) writer.string(topic);
    return writer.nullableBytes(userData).toBuffer();
  },

  decode(buffer) {
    const reader = new Reader(buffer);
    const version = reader.int16();
    const topics: string[] = new Array(readCount(reader, 2));
    for (let i = 0; i < topics.length; i++) topics[i] = reader.string();
    return { version, topics, userData: readUserData(reader) };
  },
};

export const MemberAssignment: ISerializer<MemberAssignmentValue> = {
  encode({ version, assignment, userData = EMPTY }) {
    const topics = Object.keys(assignment);
    const writer = new Writer(64).int16(version).int32(topics.length);
    for (const topic of topics) {
      const partitions = assignment[topic]!;
      writer.string(topic).int32(partitions.length);
      for (const partition of partitions) writer.int32(partition);
    }
    return writer.nullableBytes(userData).toBuffer();
  },

  /** null for an empty buffer: a member the leader gave nothing gets no bytes at all. */
  decode(buffer) {
    const reader = new Reader(buffer);
    if (reader.remaining < 2) return null;
    const version = reader.int16();
    const assignment: Assignment = {};
    const topicCount = readCount(reader, 6);
    for (let i = 0; i < topicCount; i++) {
      const topic = reader.string();
      const partitions: number[] = new Array(readCount(reader, 4));
      for (let p = 0; p < partitions.length; p++) partitions[p] = reader.int32();
      assignment[topic] = partitions;
    }
    return { version, assignment, userData: readUserData(reader) };
  },
};

export const AssignerProtocol = { MemberMetadata, MemberAssignment };
