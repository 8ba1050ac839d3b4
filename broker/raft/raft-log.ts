// The replicated log of the controller quorum: partition 0 of `__cluster_metadata`, a PartitionLog
// in `<dataDir>/__cluster_metadata-0` (Kafka's KafkaMetadataLog over its UnifiedLog). A leader
// appends batches stamped with its epoch; a follower appends the leader's batches as received,
// offsets and epochs kept. The leader-epoch cache answers the questions Raft asks of a log:
// the epoch of its last batch, where an epoch ends, whether a follower's (offset, epoch) is a
// prefix of this log, and where a follower must truncate to when it is not.
//
// The log's high watermark is the Raft commit point, moved only by the RaftNode (appends leave it
// alone) and checkpointed by the storage layer, so a restarted node knows what was committed.
//
// Ownership: a RaftLog is owned by its RaftNode; all calls are synchronous and come from the
// node's serial path.

import { join } from "node:path";
import type { FileSystem } from "../storage/file-system.ts";
import { PartitionLog } from "../storage/partition-log.ts";
import type { StoredBatch } from "../storage/segment.ts";

export const METADATA_TOPIC = "__cluster_metadata";
export const METADATA_PARTITION = 0;
export const METADATA_LOG_DIR_NAME = `${METADATA_TOPIC}-${METADATA_PARTITION}`;

/** An (offset, epoch) pair: a log end or the end of one epoch in a log. */
export interface OffsetAndEpoch {
  offset: bigint;
  epoch: number;
}

export type FetchPosition = { kind: "valid" } | { kind: "diverging"; divergingAt: OffsetAndEpoch };

export class RaftLog {
  readonly dir: string;
  readonly #log: PartitionLog;

  private constructor(log: PartitionLog) {
    this.#log = log;
    this.dir = log.dir;
  }

  /** Opens (creating if needed) `<dataDir>/__cluster_metadata-0`, recovering it after a crash. */
  static open(fs: FileSystem, dataDir: string, clock: () => number = Date.now): RaftLog {
    const log = PartitionLog.open(fs, join(dataDir, METADATA_LOG_DIR_NAME), {}, clock);
    return new RaftLog(log);
  }

  get startOffset(): bigint {
    return this.#log.logStartOffset;
  }

  get endOffset(): bigint {
    return this.#log.logEndOffset;
  }

  /** The epoch of the last batch, 0 for an empty log (Kafka's lastFetchedEpoch). */
  get lastFetchedEpoch(): number {
    const latest = this.#log.latestEpoch;
    return latest === null || latest === undefined || latest < 0 ? 0 : latest;
  }

  /** The log end and last epoch together: what a Vote request offers and a follower fetches from. */
  get endPosition(): OffsetAndEpoch {
    return { offset: this.endOffset, epoch: this.lastFetchedEpoch };
  }

  /** The last committed offset known to this node, plus one (restored from its checkpoint on open). */
  get highWatermark(): bigint {
    return this.#log.highWatermark;
  }

  /**
   * Where `epoch` ends in this log: the start of the next larger epoch, or the log end for the
   * latest; with the largest epoch ≤ `epoch` found. When the log knows no such epoch, the log
   * end and last epoch (Kafka's KafkaMetadataLog.endOffsetForEpoch).
   */
  endOffsetForEpoch(epoch: number): OffsetAndEpoch {
    const found = this.#log.endOffsetForEpoch(epoch);
    if (found === null || found === undefined || found.endOffset < 0n) {
      return { offset: this.endOffset, epoch: this.lastFetchedEpoch };
    }
    return { offset: found.endOffset, epoch: found.epoch };
  }

  /**
   * Whether a replica whose log ends at `fetchOffset`, its last batch of `lastFetchedEpoch`, holds
   * a prefix of this log; if not, the (offset, epoch) it must truncate to (DivergingEpoch).
   */
  validateFetchPosition(fetchOffset: bigint, lastFetchedEpoch: number): FetchPosition {
    if (fetchOffset === 0n && this.startOffset === 0n) return { kind: "valid" };
    const end = this.endOffsetForEpoch(lastFetchedEpoch);
    if (end.epoch !== lastFetchedEpoch || end.offset < fetchOffset) return { kind: "diverging", divergingAt: end };
    return { kind: "valid" };
  }

  /**
   * Truncates to the end of the common prefix the leader's DivergingEpoch points at: within this
   * log's own record of that epoch (Kafka's truncateToEndOffset). Returns the new log end.
   */
  truncateToEndOffset(divergingAt: OffsetAndEpoch): bigint {
    let truncation: bigint;
    if (divergingAt.epoch === 0) {
      truncation = min(divergingAt.offset, this.endOffset);
    } else {
      const local = this.endOffsetForEpoch(divergingAt.epoch);
      truncation = local.epoch === divergingAt.epoch ? min(local.offset, divergingAt.offset) : local.offset;
    }
    this.#log.truncateTo(truncation);
    return this.endOffset;
  }

  /** Appends a leader's batch in `epoch`; returns its last offset. */
  appendAsLeader(batch: Buffer, epoch: number): { baseOffset: bigint; lastOffset: bigint } {
    this.#log.setLeaderEpoch(epoch);
    const { baseOffset, lastOffset } = this.#log.append(batch);
    return { baseOffset, lastOffset };
  }

  /** Appends batches fetched from the leader, as they are; they must start at the log end. */
  appendAsFollower(records: Buffer): void {
    this.#log.appendAsFollower(records);
  }

  /** Whole batches from `fetchOffset` up to the log end, at least one batch, else about `maxBytes`. */
  read(fetchOffset: bigint, maxBytes: number): Buffer[] {
    const result = this.#log.read(fetchOffset, maxBytes);
    return result.kind === "records" ? result.chunks : [];
  }

  /** Every batch from `fromOffset` whose last offset is below `untilOffset`, as stored. */
  batchesBelow(fromOffset: bigint, untilOffset: bigint): StoredBatch[] {
    const found: StoredBatch[] = [];
    if (fromOffset >= untilOffset) return found;
    for (const batch of this.#log.batches(fromOffset > this.startOffset ? fromOffset : this.startOffset)) {
      if (batch.lastOffset >= untilOffset) break;
      if (batch.lastOffset >= fromOffset) found.push(batch);
    }
    return found;
  }

  /** Moves the commit point (never past the log end). */
  updateHighWatermark(offset: bigint): void {
    this.#log.updateHighWatermark(offset);
  }

  /** Makes everything appended durable: Raft counts an entry only once it is on disk. */
  flush(): void {
    this.#log.flush();
  }

  close(): void {
    this.#log.close();
  }
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
