// Kafka's GroupMetadataManager: what this coordinator knows of its groups — the Group objects and
// their committed offsets — kept in step with the compacted topic `__consumer_offsets`, and which
// partition of that topic coordinates each group. The coordinator's modules keep the rules; this
// keeps the state and writes it to the log.
//
// Ownership: the one owner of each group's state is that group's serial queue (coordinator.ts).
// Every call here that reads or changes one group's entry or offsets (the pending transactional
// ones too) is made from that group's queue, so for a given group a commit's log append and its in-memory update happen before the
// next operation on that group starts. The registry itself changes only inside the queue of the
// group being added or removed, or while one partition's groups load — when the coordinator lets
// no request of that partition run (it is not serving the partition yet).
//
// Coordinator failover is done one `__consumer_offsets` partition at a time (Kafka's
// loadGroupsAndOffsets / removeGroupsForPartition): a broker that becomes the partition's leader
// loads the groups whose `partitionFor` is that partition from its committed records; one that
// stops leading it forgets them (the log keeps them for the next leader).

import { ErrorCode } from "../../protocol/errors.ts";
import type { ConsumerGroup } from "./consumer-group.ts";
import { Group } from "./group.ts";
import {
  type CommittedOffset,
  decodeOffsetCommitValue,
  decodeOffsetsRecordKey,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
  NO_LEADER_EPOCH,
} from "./offsets-record-format.ts";
import type { FetchedTopicOffsets, TopicPartitionsQuery } from "./types.ts";

/** The offset OffsetFetch reports for a partition the group never committed. */
export const NO_COMMITTED_OFFSET = -1n;

export interface OffsetsLogRecord {
  key: Buffer;
  /** null is a tombstone: compaction drops the key. */
  value: Buffer | null;
  /** Set on a record of a transactional batch (TxnOffsetCommit): it counts once its producer's COMMIT marker follows. */
  producerId?: bigint;
  /** Set on a transaction marker (its key and value are the control record's): the producer's transaction ends. */
  marker?: { commit: boolean };
}

/** The coordinator's view of `__consumer_offsets`; the server adapts it to the partition logs. */
export interface OffsetsLog {
  /**
   * Resolves once every ISR member of the partition has the records; rejects otherwise, with an
   * OffsetsAppendError when Kafka has a code for why.
   */
  append(
    partition: number,
    records: OffsetsLogRecord[],
    producer?: { producerId: bigint; producerEpoch: number },
  ): Promise<void>;
  /** The partition's committed records (below its high watermark), in offset order. */
  read(partition: number): Iterable<OffsetsLogRecord>;
  /**
   * Resolves true once every record this replica of the partition holds now is committed, so that
   * `read` gives the whole committed state (what a new leader waits for before loading); false if
   * this broker stops leading the partition first.
   */
  awaitLoadable(partition: number): Promise<boolean>;
}

/** An append the log refused or could not replicate, with the Kafka error code saying why. */
export class OffsetsAppendError extends Error {
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
    this.name = "OffsetsAppendError";
  }
}

export interface OffsetToStore {
  topic: string;
  partition: number;
  offset: bigint;
  leaderEpoch: number;
  metadata: string | null;
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

export class GroupMetadataManager {
  private readonly groups = new Map<string, Group>();
  /** Groups of the KIP-848 consumer protocol; a group id is in this map or in `groups`, not both. */
  private readonly consumerGroups = new Map<string, ConsumerGroup>();
  private readonly committed = new Map<string, Map<string, Map<number, CommittedOffset>>>();
  /**
   * Offsets committed in transactions not yet ended (TxnOffsetCommit), by producer id, then group:
   * they become committed offsets on the producer's COMMIT marker and are dropped on ABORT.
   */
  private readonly pending = new Map<bigint, Map<string, Map<string, Map<number, CommittedOffset>>>>();

  constructor(
    private readonly log: OffsetsLog,
    private readonly numPartitions: number,
  ) {}

  partitionFor(groupId: string): number {
    return offsetsPartitionFor(groupId, this.numPartitions);
  }

  // ---------------------------------------------------------------- loading and unloading

  /** See OffsetsLog.awaitLoadable. */
  awaitLoadable(partition: number): Promise<boolean> {
    return this.log.awaitLoadable(partition);
  }

  /**
   * Rebuilds the view of one partition's groups from its committed records: the latest record per
   * key wins, a tombstone removes it. Groups that only have offsets exist afterwards (for
   * ListGroups, DescribeGroups and DeleteGroups), as in Kafka. Whatever was held of the
   * partition's groups before is forgotten first.
   */
  loadPartition(partition: number): { groups: number; offsets: number } {
    for (const groupId of this.groupIdsOf(partition)) this.unloadGroup(groupId);
    const offsets = this.loadOffsets(partition);
    const loaded = [...this.committed.keys()].filter((groupId) => this.partitionFor(groupId) === partition);
    for (const groupId of loaded) this.groups.set(groupId, new Group(groupId));
    return { groups: loaded.length, offsets };
  }

  /** The groups of `partition` held here: with a Group, with committed offsets, or both. */
  groupIdsOf(partition: number): string[] {
    const ids = new Set([...this.groups.keys(), ...this.consumerGroups.keys(), ...this.committed.keys()]);
    for (const byGroup of this.pending.values()) for (const groupId of byGroup.keys()) ids.add(groupId);
    return [...ids].filter((groupId) => this.partitionFor(groupId) === partition);
  }

  /** Forgets a group and its committed offsets here; the log keeps them (another broker coordinates it now). */
  unloadGroup(groupId: string): void {
    this.groups.delete(groupId);
    this.consumerGroups.delete(groupId);
    this.committed.delete(groupId);
    for (const [producerId, byGroup] of this.pending) {
      byGroup.delete(groupId);
      if (byGroup.size === 0) this.pending.delete(producerId);
    }
  }

  // ---------------------------------------------------------------- groups

  group(groupId: string): Group | undefined {
    return this.groups.get(groupId);
  }

  allGroups(): IterableIterator<Group> {
    return this.groups.values();
  }

  groupIds(): string[] {
    return [...this.groups.keys()];
  }

  addGroup(group: Group): void {
    this.groups.set(group.groupId, group);
  }

  removeGroup(groupId: string): void {
    this.groups.delete(groupId);
  }

  consumerGroup(groupId: string): ConsumerGroup | undefined {
    return this.consumerGroups.get(groupId);
  }

  allConsumerGroups(): IterableIterator<ConsumerGroup> {
    return this.consumerGroups.values();
  }

  /** Adds a consumer-protocol group; a classic group of that id must have been removed first. */
  addConsumerGroup(group: ConsumerGroup): void {
    if (this.groups.has(group.groupId)) throw new Error(`group ${group.groupId} is a classic group`);
    this.consumerGroups.set(group.groupId, group);
  }

  removeConsumerGroup(groupId: string): void {
    this.consumerGroups.delete(groupId);
  }

  // ---------------------------------------------------------------- committed offsets

  hasOffsets(groupId: string): boolean {
    return this.committed.has(groupId);
  }

  /** Appends one record per offset, then updates the view; rejects (view unchanged) if the append fails. */
  async storeOffsets(groupId: string, offsets: readonly OffsetToStore[], commitTimestamp: bigint): Promise<void> {
    const entries = await this.appendOffsets(groupId, offsets, commitTimestamp);
    for (const entry of entries) this.remember(groupId, entry.topic, entry.partition, entry.committed);
  }

  /**
   * A transactional commit (TxnOffsetCommit): one transactional batch of the producer's id and
   * epoch, then the offsets are pending until the producer's transaction ends (completeTransaction).
   * Rejects (view unchanged) if the append fails.
   */
  async storeTransactionalOffsets(
    groupId: string,
    producer: { producerId: bigint; producerEpoch: number },
    offsets: readonly OffsetToStore[],
    commitTimestamp: bigint,
  ): Promise<void> {
    const entries = await this.appendOffsets(groupId, offsets, commitTimestamp, producer);
    for (const entry of entries)
      this.rememberPending(producer.producerId, groupId, entry.topic, entry.partition, entry.committed);
  }

  /** One record per offset in the group's partition (in the producer's transaction when given); the view is the caller's to update. */
  private async appendOffsets(
    groupId: string,
    offsets: readonly OffsetToStore[],
    commitTimestamp: bigint,
    producer?: { producerId: bigint; producerEpoch: number },
  ): Promise<{ topic: string; partition: number; committed: CommittedOffset }[]> {
    if (offsets.length === 0) return [];
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
      producer,
    );
    return entries;
  }

  /** The groups of `partition` holding offsets of the producer's open transaction. */
  groupsWithPendingOffsets(partition: number, producerId: bigint): string[] {
    return [...(this.pending.get(producerId)?.keys() ?? [])].filter(
      (groupId) => this.partitionFor(groupId) === partition,
    );
  }

  /** The producer's transaction ended: its offsets for the group become committed (COMMIT) or are dropped (ABORT). */
  completeTransaction(groupId: string, producerId: bigint, commit: boolean): void {
    const byGroup = this.pending.get(producerId);
    const byTopic = byGroup?.get(groupId);
    if (byGroup === undefined || byTopic === undefined) return;
    byGroup.delete(groupId);
    if (byGroup.size === 0) this.pending.delete(producerId);
    if (!commit) return;
    for (const [topic, byPartition] of byTopic)
      for (const [partition, committed] of byPartition) this.remember(groupId, topic, partition, committed);
  }

  /** Writes a tombstone for each committed offset of the group, then drops them from the view. */
  async deleteOffsets(groupId: string): Promise<void> {
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

  /**
   * `topics` null means every partition the group has committed. `requireStable` (OffsetFetch v7+,
   * a read_committed consumer): a partition with an offset pending in an open transaction answers
   * UNSTABLE_OFFSET_COMMIT, so that the consumer asks again once the transaction has ended.
   */
  fetchOffsets(
    groupId: string,
    topics: readonly TopicPartitionsQuery[] | null,
    requireStable = false,
  ): FetchedTopicOffsets[] {
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
        if (requireStable && this.hasPendingOffset(groupId, topic, partition)) {
          return {
            partition,
            offset: NO_COMMITTED_OFFSET,
            leaderEpoch: NO_LEADER_EPOCH,
            metadata: "",
            errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT,
          };
        }
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

  /** Replays the partition's committed records onto the view; returns how many offsets it holds after. */
  private loadOffsets(partition: number): number {
    for (const record of this.log.read(partition)) {
      if (record.marker !== undefined && record.producerId !== undefined) {
        for (const groupId of this.groupsWithPendingOffsets(partition, record.producerId))
          this.completeTransaction(groupId, record.producerId, record.marker.commit);
        continue;
      }
      const decodedKey = decodeOffsetsRecordKey(record.key);
      // Group metadata records are not written by this broker and carry nothing we restore.
      if (decodedKey.kind !== "offset-commit") continue;
      const { groupId, topic, partition: topicPartition } = decodedKey.key;
      if (record.producerId !== undefined && record.value !== null) {
        this.rememberPending(record.producerId, groupId, topic, topicPartition, decodeOffsetCommitValue(record.value));
      } else if (record.value === null) {
        this.forget(groupId, topic, topicPartition);
      } else {
        this.remember(groupId, topic, topicPartition, decodeOffsetCommitValue(record.value));
      }
    }
    let offsets = 0;
    for (const [groupId, byTopic] of this.committed) {
      if (this.partitionFor(groupId) !== partition) continue;
      for (const byPartition of byTopic.values()) offsets += byPartition.size;
    }
    return offsets;
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

  private hasPendingOffset(groupId: string, topic: string, partition: number): boolean {
    for (const byGroup of this.pending.values()) if (byGroup.get(groupId)?.get(topic)?.has(partition)) return true;
    return false;
  }

  private rememberPending(
    producerId: bigint,
    groupId: string,
    topic: string,
    partition: number,
    committed: CommittedOffset,
  ): void {
    let byGroup = this.pending.get(producerId);
    if (byGroup === undefined) {
      byGroup = new Map();
      this.pending.set(producerId, byGroup);
    }
    let byTopic = byGroup.get(groupId);
    if (byTopic === undefined) {
      byTopic = new Map();
      byGroup.set(groupId, byTopic);
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
