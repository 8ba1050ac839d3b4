// The consumer protocol's member metadata and member assignment bytes, which the group coordinator
// relays between members without reading them. They must match kafkajs's (and Java's) byte for
// byte, so members of either client can share one group:
//   MemberMetadata   = version int16, topics [string], userData bytes
//   MemberAssignment = version int16, [topic string, partitions [int32]], userData bytes
// (arrays are an int32 count; strings an int16 length; bytes an int32 length, -1 for null).
import type {
  Assignment,
  ISerializer,
  MemberAssignment as MemberAssignmentValue,
  MemberMetadata as MemberMetadataValue,
} from "./types.ts";

const EMPTY = Buffer.alloc(0);

class ByteWriter {
  private buffer = Buffer.allocUnsafe(64);
  private length = 0;

  private ensure(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + bytes));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }

  int16(value: number): this {
    this.ensure(2);
    this.length = this.buffer.writeInt16BE(value, this.length);
    return this;
  }

  int32(value: number): this {
    this.ensure(4);
    this.length = this.buffer.writeInt32BE(value, this.length);
    return this;
  }

  string(value: string): this {
    const bytes = Buffer.byteLength(value, "utf8");
    this.int16(bytes);
    this.ensure(bytes);
    this.length += this.buffer.write(value, this.length, bytes, "utf8");
    return this;
  }

  bytes(value: Buffer | null): this {
    if (value === null) return this.int32(-1);
    this.int32(value.length);
    this.ensure(value.length);
    this.length += value.copy(this.buffer, this.length);
    return this;
  }

  result(): Buffer {
    return Buffer.from(this.buffer.subarray(0, this.length));
  }
}

class ByteReader {
  private offset = 0;

  constructor(private readonly buffer: Buffer) {}

  canRead(bytes: number): boolean {
    return this.buffer.length - this.offset >= bytes;
  }

  int16(): number {
    const value = this.buffer.readInt16BE(this.offset);
    this.offset += 2;
    return value;
  }

  int32(): number {
    const value = this.buffer.readInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  string(): string {
    const length = this.int16();
    const value = this.buffer.toString("utf8", this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  bytes(): Buffer | null {
    const length = this.int32();
    if (length === -1) return null;
    const value = this.buffer.subarray(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  array<T>(readItem: () => T): T[] {
    const count = this.int32();
    const items: T[] = [];
    for (let i = 0; i < count; i++) items.push(readItem());
    return items;
  }
}

/** Trailing fields of newer protocol versions are ignored; a missing userData reads as empty. */
function readUserData(reader: ByteReader): Buffer {
  return reader.canRead(4) ? (reader.bytes() as Buffer) : EMPTY;
}

export const MemberMetadata: ISerializer<MemberMetadataValue> = {
  encode({ version, topics, userData = EMPTY }) {
    const writer = new ByteWriter().int16(version).int32(topics.length);
    for (const topic of topics) writer.string(topic);
    return writer.bytes(userData).result();
  },

  decode(buffer) {
    const reader = new ByteReader(buffer);
    return {
      version: reader.int16(),
      topics: reader.array(() => reader.string()),
      userData: readUserData(reader),
    };
  },
};

export const MemberAssignment: ISerializer<MemberAssignmentValue> = {
  encode({ version, assignment, userData = EMPTY }) {
    const topics = Object.keys(assignment);
    const writer = new ByteWriter().int16(version).int32(topics.length);
    for (const topic of topics) {
      const partitions = assignment[topic]!;
      writer.string(topic).int32(partitions.length);
      for (const partition of partitions) writer.int32(partition);
    }
    return writer.bytes(userData).result();
  },

  /** null for an empty buffer: a member the leader gave nothing gets no bytes at all. */
  decode(buffer) {
    const reader = new ByteReader(buffer);
    if (!reader.canRead(2)) return null;
    const version = reader.int16();
    const assignment: Assignment = {};
    const count = reader.int32();
    for (let i = 0; i < count; i++) {
      const topic = reader.string();
      assignment[topic] = reader.array(() => reader.int32());
    }
    return { version, assignment, userData: readUserData(reader) };
  },
};

export const AssignerProtocol = { MemberMetadata, MemberAssignment };
