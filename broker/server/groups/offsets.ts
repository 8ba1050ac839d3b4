// Committed consumer offsets: an in-memory view rebuilt from, and written through to, the
// compacted internal topic `__consumer_offsets`, using Kafka's own record key/value layout so the
// topic reads like Kafka's.
//
// Ownership: the store holds no locks. Every call that touches one group's offsets is made from
// that group's serial queue in the coordinator, so for a given group a commit's log append and
// its in-memory update happen before the next operation on that group starts.

import { ErrorCode } from "../../protocol/errors.ts";
import type { KafkaErrorCode } from "./types.ts";

export const CONSUMER_OFFSETS_TOPIC = "__consumer_offsets";

/** Kafka's key schema versions: 0 and 1 are offset commits, 2 is group metadata. */
export const OFFSET_COMMIT_KEY_VERSION = 1;
export const GROUP_METADATA_KEY_VERSION = 2;
export const OFFSET_COMMIT_VALUE_VERSION = 3;

/** The offset OffsetFetch reports for a partition the group never committed. */
export const NO_COMMITTED_OFFSET = -1n;
export const NO_LEADER_EPOCH = -1;

export interface OffsetsLogRecord {
  key: Buffer;
  /** null is a tombstone: compaction drops the key. */
  value: Buffer | null;
}

/** The coordinator's view of `__consumer_offsets`; the server adapts it to the partition logs. */
export interface OffsetsLog {
  /** Resolves once the records are durable per the log's flush policy. */
  append(partition: number, records: OffsetsLogRecord[]): Promise<void>;
  read(partition: number): Iterable<OffsetsLogRecord>;
}

export interface CommittedOffset {
  offset: bigint;
  leaderEpoch: number;
  metadata: string | null;
  commitTimestamp: bigint;
}

export interface OffsetToStore {
  topic: string;
  partition: number;
  offset: bigint;
  leaderEpoch: number;
  metadata: string | null;
}

export interface TopicPartitionsQuery {
  topic: string;
  partitions: number[];
}

export interface FetchedPartitionOffset {
  partition: number;
  offset: bigint;
  leaderEpoch: number;
  metadata: string;
  errorCode: KafkaErrorCode;
}

export interface FetchedTopicOffsets {
  topic: string;
  partitions: FetchedPartitionOffset[];
}

/** Java's String.hashCode: over UTF-16 code units, wrapping at 32 bits. */
export function javaStringHashCode(text: string): number {
  let hash = 0;
  for (let index = 0; index < text.length; index += 1) {
    hash = (Math.imul(31, hash) + text.charCodeAt(index)) | 0;
  }
  return hash;
}

/**
 * The `__consumer_offsets` partition (and so the coordinator) of a group, as Kafka computes it:
 * Utils.abs(groupId.hashCode) % partitions, where Utils.abs maps Integer.MIN_VALUE to 0 (not a
 * bit mask: a negative hash h lands on |h| % partitions).
 */
export function offsetsPartitionFor(groupId: string, partitions: number): number {
  const hash = javaStringHashCode(groupId);
  const magnitude = hash === -0x80000000 ? 0 : Math.abs(hash);
  return magnitude % partitions;
}

export interface OffsetCommitKey {
  groupId: string;
  topic: string;
  partition: number;
}

export type OffsetsRecordKey =
  | { kind: "offset-commit"; key: OffsetCommitKey }
  | { kind: "group-metadata"; groupId: string };

export function encodeOffsetCommitKey(key: OffsetCommitKey): Buffer {
  const writer = new RecordWriter();
  writer.int16(OFFSET_COMMIT_KEY_VERSION);
  writer.string(key.groupId);
  writer.string(key.topic);
  writer.int32(key.partition);
  return writer.toBuffer();
}

export function encodeOffsetCommitValue(committed: CommittedOffset): Buffer {
  const writer = new RecordWriter();
  writer.int16(OFFSET_COMMIT_VALUE_VERSION);
  writer.int64(committed.offset);
  writer.int32(committed.leaderEpoch);
  // Kafka's value schema has a non-nullable string here and stores "no metadata" as "".
  writer.string(committed.metadata ?? "");
  writer.int64(committed.commitTimestamp);
  return writer.toBuffer();
}

export function decodeOffsetsRecordKey(buffer: Buffer): OffsetsRecordKey {
  const reader = new RecordReader(buffer);
  const version = reader.int16();
  if (version === 0 || version === 1) {
    const groupId = reader.string();
    const topic = reader.string();
    const partition = reader.int32();
    return { kind: "offset-commit", key: { groupId, topic, partition } };
  }
  if (version === GROUP_METADATA_KEY_VERSION) {
    return { kind: "group-metadata", groupId: reader.string() };
  }
  throw new Error(`unknown ${CONSUMER_OFFSETS_TOPIC} key version ${version}`);
}

/** Reads every value version Kafka has written for offset commits before the flexible v4. */
export function decodeOffsetCommitValue(buffer: Buffer): CommittedOffset {
  const reader = new RecordReader(buffer);
  const version = reader.int16();
  switch (version) {
    case 0:
    case 2: {
      const offset = reader.int64();
      const metadata = reader.string();
      const commitTimestamp = reader.int64();
      return { offset, leaderEpoch: NO_LEADER_EPOCH, metadata, commitTimestamp };
    }
    case 1: {
      const offset = reader.int64();
      const metadata = reader.string();
      const commitTimestamp = reader.int64();
      reader.int64(); // expire timestamp: retention is not per-commit any more
      return { offset, leaderEpoch: NO_LEADER_EPOCH, metadata, commitTimestamp };
    }
    case 3: {
      const offset = reader.int64();
      const leaderEpoch = reader.int32();
      const metadata = reader.string();
      const commitTimestamp = reader.int64();
      return { offset, leaderEpoch, metadata, commitTimestamp };
    }
    default:
      throw new Error(`unsupported ${CONSUMER_OFFSETS_TOPIC} offset value version ${version}`);
  }
}

export class OffsetStore {
  private readonly committed = new Map<string, Map<string, Map<number, CommittedOffset>>>();

  constructor(
    private readonly log: OffsetsLog,
    private readonly numPartitions: number,
  ) {}

  /** Rebuilds the view from the log: the latest record per key wins, a tombstone removes it. */
  load(): void {
    this.committed.clear();
    for (let partition = 0; partition < this.numPartitions; partition += 1) {
      for (const record of this.log.read(partition)) {
        const decodedKey = decodeOffsetsRecordKey(record.key);
        // Group metadata records are not written by this broker and carry nothing we restore.
        if (decodedKey.kind !== "offset-commit") continue;
        const { groupId, topic, partition: topicPartition } = decodedKey.key;
        if (record.value === null) {
          this.forget(groupId, topic, topicPartition);
        } else {
          this.remember(groupId, topic, topicPartition, decodeOffsetCommitValue(record.value));
        }
      }
    }
  }

  groupIds(): string[] {
    return [...this.committed.keys()];
  }

  hasOffsets(groupId: string): boolean {
    return this.committed.has(groupId);
  }

  partitionFor(groupId: string): number {
    return offsetsPartitionFor(groupId, this.numPartitions);
  }

  /** Appends one record per offset, then updates the view; rejects (view unchanged) if the append fails. */
  async store(groupId: string, offsets: readonly OffsetToStore[], commitTimestamp: bigint): Promise<void> {
    if (offsets.length === 0) return;
    const entries = offsets.map((offset) => ({
      topic: offset.topic,
      partition: offset.partition,
      committed: {
        offset: offset.offset,
        leaderEpoch: offset.leaderEpoch,
        metadata: offset.metadata,
        commitTimestamp,
      } satisfies CommittedOffset,
    }));
    await this.log.append(
      this.partitionFor(groupId),
      entries.map((entry) => ({
        key: encodeOffsetCommitKey({ groupId, topic: entry.topic, partition: entry.partition }),
        value: encodeOffsetCommitValue(entry.committed),
      })),
    );
    for (const entry of entries) this.remember(groupId, entry.topic, entry.partition, entry.committed);
  }

  /** Writes a tombstone for each committed offset of the group, then drops them from the view. */
  async deleteGroup(groupId: string): Promise<void> {
    const byTopic = this.committed.get(groupId);
    if (byTopic === undefined) return;
    const tombstones: OffsetsLogRecord[] = [];
    for (const [topic, byPartition] of byTopic) {
      for (const partition of byPartition.keys()) {
        tombstones.push({ key: encodeOffsetCommitKey({ groupId, topic, partition }), value: null });
      }
    }
    await this.log.append(this.partitionFor(groupId), tombstones);
    this.committed.delete(groupId);
  }

  committedOffset(groupId: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.committed.get(groupId)?.get(topic)?.get(partition);
  }

  /** `topics` null means every partition the group has committed. */
  fetch(groupId: string, topics: readonly TopicPartitionsQuery[] | null): FetchedTopicOffsets[] {
    const byTopic = this.committed.get(groupId);
    const query =
      topics ??
      [...(byTopic ?? new Map<string, Map<number, CommittedOffset>>())].map(([topic, byPartition]) => ({
        topic,
        partitions: [...byPartition.keys()].sort((left, right) => left - right),
      }));
    return query.map(({ topic, partitions }) => ({
      topic,
      partitions: partitions.map((partition) => {
        const committed = byTopic?.get(topic)?.get(partition);
        return {
          partition,
          offset: committed?.offset ?? NO_COMMITTED_OFFSET,
          leaderEpoch: committed?.leaderEpoch ?? NO_LEADER_EPOCH,
          metadata: committed?.metadata ?? "",
          errorCode: ErrorCode.NONE,
        };
      }),
    }));
  }

  private remember(groupId: string, topic: string, partition: number, committed: CommittedOffset): void {
    let byTopic = this.committed.get(groupId);
    if (byTopic === undefined) {
      byTopic = new Map();
      this.committed.set(groupId, byTopic);
    }
    let byPartition = byTopic.get(topic);
    if (byPartition === undefined) {
      byPartition = new Map();
      byTopic.set(topic, byPartition);
    }
    byPartition.set(partition, committed);
  }

  private forget(groupId: string, topic: string, partition: number): void {
    const byTopic = this.committed.get(groupId);
    const byPartition = byTopic?.get(topic);
    if (byTopic === undefined || byPartition === undefined) return;
    byPartition.delete(partition);
    if (byPartition.size === 0) byTopic.delete(topic);
    if (byTopic.size === 0) this.committed.delete(groupId);
  }
}

// Kafka's schema primitives for these records: big-endian integers, strings as int16 length +
// UTF-8 bytes.
class RecordWriter {
  private readonly chunks: Buffer[] = [];

  int16(value: number): void {
    const chunk = Buffer.alloc(2);
    chunk.writeInt16BE(value);
    this.chunks.push(chunk);
  }

  int32(value: number): void {
    const chunk = Buffer.alloc(4);
    chunk.writeInt32BE(value);
    this.chunks.push(chunk);
  }

  int64(value: bigint): void {
    const chunk = Buffer.alloc(8);
    chunk.writeBigInt64BE(value);
    this.chunks.push(chunk);
  }

  string(value: string): void {
    const bytes = Buffer.from(value, "utf8");
    if (bytes.length > 0x7fff) throw new RangeError(`string of ${bytes.length} bytes does not fit an int16 length`);
    this.int16(bytes.length);
    this.chunks.push(bytes);
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

class RecordReader {
  private position = 0;

  constructor(private readonly buffer: Buffer) {}

  int16(): number {
    const value = this.buffer.readInt16BE(this.position);
    this.position += 2;
    return value;
  }

  int32(): number {
    const value = this.buffer.readInt32BE(this.position);
    this.position += 4;
    return value;
  }

  int64(): bigint {
    const value = this.buffer.readBigInt64BE(this.position);
    this.position += 8;
    return value;
  }

  string(): string {
    const length = this.int16();
    if (length < 0) throw new Error(`${CONSUMER_OFFSETS_TOPIC} record holds a null string where one is required`);
    const end = this.position + length;
    if (end > this.buffer.length) throw new RangeError(`${CONSUMER_OFFSETS_TOPIC} record string runs past the end`);
    const value = this.buffer.toString("utf8", this.position, end);
    this.position = end;
    return value;
  }
}
