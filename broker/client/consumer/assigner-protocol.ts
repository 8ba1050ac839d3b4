// The consumer protocol's member metadata and member assignment bytes, which the group coordinator
// relays between members without reading them. They must match kafkajs's (and Java's) byte for
// byte, so members of either client can share one group:
//   MemberMetadata   = version int16, topics [string], userData bytes
//                      v1+: ownedPartitions [topic string, partitions [int32]]
//                      v2+: generationId int32;  v3+: rackId nullable string
//   MemberAssignment = version int16, [topic string, partitions [int32]], userData bytes
// (arrays are an int32 count; strings an int16 length; bytes an int32 length, -1 for null).
// The v1+ metadata fields are Java's ConsumerProtocolSubscription, which the cooperative-sticky
// assignor needs (what each member owns, and in which generation). kafkajs writes any version with
// none of them, so they are written only when the value carries them, and read only when present.
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

/** The partitions a member owns, per topic, as Java's subscription lists them. */
export interface OwnedTopicPartitions {
  topic: string;
  partitions: number[];
}

/**
 * Member metadata with Java's ConsumerProtocolSubscription v1-v3 fields. Values without
 * `ownedPartitions` are kafkajs's MemberMetadata and encode exactly as kafkajs does.
 */
export interface SubscriptionMetadata extends MemberMetadataValue {
  ownedPartitions?: OwnedTopicPartitions[];
  /** v2+; -1 when unknown. */
  generationId?: number;
  /** v3+. */
  rackId?: string | null;
}

function writeTopicPartitions(writer: Writer, list: OwnedTopicPartitions[]): Writer {
  writer.int32(list.length);
  for (const { topic, partitions } of list) {
    writer.string(topic).int32(partitions.length);
    for (const partition of partitions) writer.int32(partition);
  }
  return writer;
}

function readTopicPartitions(reader: Reader): OwnedTopicPartitions[] {
  const list: OwnedTopicPartitions[] = new Array(readCount(reader, 6));
  for (let i = 0; i < list.length; i++) {
    const topic = reader.string();
    const partitions: number[] = new Array(readCount(reader, 4));
    for (let p = 0; p < partitions.length; p++) partitions[p] = reader.int32();
    list[i] = { topic, partitions };
  }
  return list;
}

/** The v1+ fields, from bytes that hold them; a kafkajs member's trailing bytes that do not parse are ignored. */
function readSubscriptionFields(reader: Reader, value: SubscriptionMetadata): SubscriptionMetadata {
  if (value.version < 1 || reader.remaining < 4) return value;
  try {
    const fields: SubscriptionMetadata = { ...value, ownedPartitions: readTopicPartitions(reader) };
    if (value.version >= 2 && reader.remaining >= 4) fields.generationId = reader.int32();
    if (value.version >= 3 && reader.remaining >= 2) fields.rackId = reader.nullableString();
    return fields;
  } catch (error) {
    if (!(error instanceof ProtocolDecodeError)) throw error;
    return value;
  }
}

export const MemberMetadata: ISerializer<SubscriptionMetadata> = {
  encode({ version, topics, userData = EMPTY, ownedPartitions, generationId = -1, rackId = null }) {
    const writer = new Writer(64).int16(version).int32(topics.length);
    for (const topic of topics) writer.string(topic);
    writer.nullableBytes(userData);
    if (version >= 1 && ownedPartitions !== undefined) {
      writeTopicPartitions(writer, ownedPartitions);
      if (version >= 2) writer.int32(generationId);
      if (version >= 3) writer.nullableString(rackId);
    }
    return writer.toBuffer();
  },

  decode(buffer) {
    const reader = new Reader(buffer);
    const version = reader.int16();
    const topics: string[] = new Array(readCount(reader, 2));
    for (let i = 0; i < topics.length; i++) topics[i] = reader.string();
    return readSubscriptionFields(reader, { version, topics, userData: readUserData(reader) });
  },
};

export const MemberAssignment: ISerializer<MemberAssignmentValue> = {
  encode({ version, assignment, userData = EMPTY }) {
    const list = Object.keys(assignment).map((topic) => ({ topic, partitions: assignment[topic]! }));
    return writeTopicPartitions(new Writer(64).int16(version), list).nullableBytes(userData).toBuffer();
  },

  /** null for an empty buffer: a member the leader gave nothing gets no bytes at all. */
  decode(buffer) {
    const reader = new Reader(buffer);
    if (reader.remaining < 2) return null;
    const version = reader.int16();
    const assignment: Assignment = {};
    for (const { topic, partitions } of readTopicPartitions(reader)) assignment[topic] = partitions;
    return { version, assignment, userData: readUserData(reader) };
  },
};

export const AssignerProtocol = { MemberMetadata, MemberAssignment };
