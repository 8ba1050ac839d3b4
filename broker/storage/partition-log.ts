// The log of one partition (Kafka's UnifiedLog), over the files of its directory
// `<dataDir>/<topic>-<partition>/` (local-log.ts: the segments, of which only the last, active one
// is appended to). It keeps three positions apart: the log start offset (log-start-offset.ts:
// moved by retention, DeleteRecords or a truncation below it), the log end offset (the next
// offset to assign, the active segment's) and the high watermark (high-watermark.ts: offsets
// below it are committed, moved by the log's owner with updateHighWatermark, never by appends);
// the leader epoch stamped into appended batches; and which epoch wrote which offsets
// (leader-epoch-checkpoint.ts), kept as batches are appended, truncated and deleted. Followers
// store their leader's batches as they are with appendAsFollower. Around it: log-config.ts (its
// settings), log-loader.ts (opening the directory), log-validator.ts (what append does to the
// batches), log-reader.ts (reading across segments), retention.ts (which segments retention
// deletes), log-offline.ts (refusing writes after an I/O failure), the cleaner.
//
// Ownership rule: one owner per piece of mutable state. A PartitionLog is owned by its partition
// and owns its LocalLog (and through it the files and the offline guard), its LogStartOffset, its
// HighWatermark, its epoch cache and the leader epoch; all its operations are synchronous, so they
// run one after another on the event loop: no locks, and no operation ever observes another one
// half-done.

import type { BatchLocation } from "../protocol/record-batch/splitter.ts";
import type { AbortedTxn } from "./aborted-transactions.ts";
import type { FileSystem } from "./file-system.ts";
import { HighWatermark } from "./high-watermark.ts";
import type { EpochEndOffset, EpochEntry, LeaderEpochFileCache } from "./leader-epoch-checkpoint.ts";
import { LocalLog } from "./local-log.ts";
import { type LogConfig, resolveLogConfig } from "./log-config.ts";
import { type LoadedLog, loadLog, type SegmentRecovery } from "./log-loader.ts";
import { batchesFrom, findOffsetForTimestamp, readBatches } from "./log-reader.ts";
import { LogStartOffset } from "./log-start-offset.ts";
import { LogStartOffsetCheckpoint } from "./log-start-offset-checkpoint.ts";
import { appendableBatches, assignOffsets, followerBatches } from "./log-validator.ts";
import type { ProducerSnapshot, SnapshotProducer } from "./producer-snapshot.ts";
import { type RetentionResult, segmentsPastRetention } from "./retention.ts";
import type { Segment, StoredBatch } from "./segment.ts";

export { LogOfflineError } from "./log-offline.ts";

export interface AppendResult {
  baseOffset: bigint;
  lastOffset: bigint;
  logAppendTime: bigint;
}

/** What PartitionLog.open takes besides the LogConfig. */
export interface PartitionLogOptions {
  /**
   * Kafka's replica.high.watermark.checkpoint.interval.ms, default 5000: how often flushIfDue
   * checkpoints a moved high watermark (flush, close and checkpointHighWatermark always do).
   */
  highWatermarkCheckpointIntervalMs?: number;
  /**
   * Called once, with the failure, when the log goes offline (see log-offline.ts), whichever
   * operation failed: its owner reports it and stops serving the partition.
   */
  onOffline?: (cause: unknown) => void;
  /**
   * Kafka's hadCleanShutdown: the log was flushed and closed by a clean shutdown
   * (clean-shutdown.ts), so its active segment loads from its indexes, as sealed ones do, instead
   * of being scanned; should they disagree with the log it is recovered all the same.
   */
  hadCleanShutdown?: boolean;
}

export type ReadResult =
  | { kind: "records"; chunks: Buffer[]; size: number }
  | { kind: "offset-out-of-range"; logStartOffset: bigint; logEndOffset: bigint };

export class PartitionLog {
  readonly dir: string;
  /** What recovery found in each segment it scanned while opening. */
  readonly recoveries: readonly SegmentRecovery[];
  /** Why opening rebuilt the leader-epoch checkpoint from the batches, or null when it did not. */
  readonly epochCacheRebuiltBecause: string | null;
  readonly #clock: () => number;
  readonly #local: LocalLog;
  readonly #epochs: LeaderEpochFileCache;
  readonly #logStart: LogStartOffset;
  readonly #highWatermark: HighWatermark;
  #leaderEpoch = 0;

  private constructor(
    fs: FileSystem,
    dir: string,
    config: Readonly<LogConfig>,
    clock: () => number,
    loaded: LoadedLog,
    options: PartitionLogOptions,
  ) {
    this.dir = dir;
    this.#clock = clock;
    this.recoveries = loaded.recoveries;
    this.#epochs = loaded.epochs.cache;
    this.epochCacheRebuiltBecause = loaded.epochs.rebuiltBecause;
    const logStartCheckpoint = LogStartOffsetCheckpoint.open(fs, dir);
    const now = clock();
    this.#local = new LocalLog(fs, dir, config, clock, loaded, now, options.onOffline);
    this.#logStart = new LogStartOffset(logStartCheckpoint, this.#local, this.#epochs, (start) =>
      this.#highWatermark.raiseTo(start),
    );
    const { highWatermarkCheckpointIntervalMs: intervalMs } = options;
    this.#highWatermark = HighWatermark.open(fs, dir, intervalMs, now, this.logStartOffset, this.logEndOffset);
  }

  get config(): Readonly<LogConfig> {
    return this.#local.config;
  }

  /**
   * Takes a topic's altered settings at runtime (AlterConfigs): later appends roll, flush and index
   * by them, and the next retention pass deletes by them. A value out of range throws a RangeError.
   */
  reconfigure(overrides: Partial<LogConfig>): void {
    this.#local.reconfigure(resolveLogConfig({ ...this.config, ...overrides }));
  }

  /**
   * Opens (creating if needed) the log in `dir` with `settings`: the log config plus the options
   * above. After a crash the active segment is cut at its last whole valid batch, so writes
   * continue from there, and the leader-epoch checkpoint is checked against the batches (see
   * log-loader.ts).
   */
  static open(
    fs: FileSystem,
    dir: string,
    settings: Partial<LogConfig> & PartitionLogOptions = {},
    clock: () => number = Date.now,
  ): PartitionLog {
    const { highWatermarkCheckpointIntervalMs, onOffline, hadCleanShutdown = false, ...config } = settings;
    const options = { highWatermarkCheckpointIntervalMs, onOffline };
    const resolved = resolveLogConfig(config);
    const loaded = loadLog(fs, dir, { indexIntervalBytes: resolved.indexIntervalBytes, clock }, { hadCleanShutdown });
    try {
      return new PartitionLog(fs, dir, resolved, clock, loaded, options);
    } catch (error) {
      for (const segment of loaded.segments) segment.close();
      throw error;
    }
  }

  get logStartOffset(): bigint {
    return this.#logStart.offset;
  }

  /** The offset the next appended record gets. */
  get logEndOffset(): bigint {
    return this.#local.active.nextOffset;
  }

  /** Offsets below it are committed; its owner moves it with updateHighWatermark (see the top of this file). */
  get highWatermark(): bigint {
    return this.#highWatermark.offset;
  }

  /** The epoch stamped into appended batches (see setLeaderEpoch). */
  get leaderEpoch(): number {
    return this.#leaderEpoch;
  }

  /** The newest leader epoch of the batches in the log, or UNDEFINED_EPOCH (−1) when none is known. */
  get latestEpoch(): number {
    return this.#epochs.latestEpoch;
  }

  /** Which epoch wrote from which offset, oldest first (Kafka's leader-epoch checkpoint). */
  get epochEntries(): readonly EpochEntry[] {
    return this.#epochs.epochEntries;
  }

  /**
   * The answer to OffsetForLeaderEpoch for `epoch`: the largest epoch of this log not above it and
   * the offset where that epoch ends (see LeaderEpochFileCache.endOffsetFor).
   */
  endOffsetForEpoch(epoch: number): EpochEndOffset {
    return this.#epochs.endOffsetFor(epoch, this.logEndOffset);
  }

  /** Total bytes of all segments. */
  get size(): number {
    return this.#local.size;
  }

  get segments(): readonly Segment[] {
    return this.#local.segments;
  }

  get isOffline(): boolean {
    return this.#local.isOffline;
  }

  /** The failure that took the log offline, or null while it is online. */
  get offlineCause(): unknown {
    return this.#local.offlineCause;
  }

  /** The epoch stamped into the partitionLeaderEpoch field of batches appended from now on. */
  setLeaderEpoch(epoch: number): void {
    if (!Number.isInteger(epoch) || epoch < 0 || epoch > 0x7fffffff) throw new RangeError(`bad leader epoch ${epoch}`);
    this.#leaderEpoch = epoch;
  }

  /** Moves the high watermark, kept within [logStartOffset, logEndOffset]; it is checkpointed later. */
  updateHighWatermark(offset: bigint): void {
    this.#highWatermark.moveTo(offset, this.logStartOffset, this.logEndOffset);
  }

  /** Writes the high watermark checkpoint now if the high watermark moved since the last one. */
  checkpointHighWatermark(): void {
    this.#local.assertWritable();
    this.#local.whileOnline(() => this.#highWatermark.checkpoint(this.#clock()));
  }

  /**
   * From now on the log snapshots `state()` (its owner's producer state, as of the log end) at
   * each roll and at close, and keeps its snapshot files in step with truncation and retention.
   */
  trackProducerState(state: () => readonly SnapshotProducer[]): void {
    this.#local.trackProducerState(state);
  }

  /** The newest usable producer snapshot (see producer-snapshot-files.ts), or null: rescan from the log start. */
  loadProducerSnapshot(): ProducerSnapshot | null {
    return this.#local.whileOnline(() => this.#local.loadProducerSnapshot(this.logStartOffset));
  }

  /** Indexes a transaction aborted by the marker at `txn.lastOffset`, in that marker's segment's txn index. */
  appendAbortedTransaction(txn: AbortedTxn): void {
    this.#local.assertWritable();
    this.#local.whileOnline(() => this.#local.appendAbortedTransaction(txn));
  }

  /** The aborted transactions whose marker is at or after `fetchOffset` and that start below `upperBoundOffset`. */
  abortedTransactions(fetchOffset: bigint, upperBoundOffset: bigint): AbortedTxn[] {
    return this.#local.abortedTransactions(fetchOffset, upperBoundOffset);
  }

  /** Forgets the aborted transactions whose marker is at or after `offset`, before the owner replays the log from there. */
  forgetAbortedTransactionsFrom(offset: bigint): void {
    this.#local.assertWritable();
    this.#local.whileOnline(() => this.#local.forgetAbortedTransactionsFrom(offset));
  }

  /**
   * Appends one or more whole batches, their CRCs already checked by the caller; `split` is their
   * layout when the caller has it (see log-validator.ts). Offsets and the leader epoch are written
   * into the batches in place; the bytes are stored as received otherwise.
   */
  append(records: Buffer, split?: readonly BatchLocation[]): AppendResult {
    this.#local.assertWritable();
    const batches = appendableBatches(records, split);
    const baseOffset = this.logEndOffset;
    const assigned = assignOffsets(records, batches, baseOffset, this.#leaderEpoch);
    const now = this.#clock();
    this.#local.whileOnline(() => {
      // The epoch is recorded before the batches are written, as Kafka does: a crash in between
      // leaves an entry past the log end, which opening trims, never a batch without its epoch.
      if (this.#leaderEpoch !== this.#epochs.latestEpoch) this.#epochs.assign(this.#leaderEpoch, baseOffset);
      this.#local.append(records, baseOffset, assigned, now);
    });
    return { baseOffset, lastOffset: assigned.lastOffset, logAppendTime: BigInt(now) };
  }

  /**
   * Appends a follower's batches as its leader sent them: offsets and partitionLeaderEpoch are
   * kept, nothing is rewritten. They are checked first (see followerBatches in log-validator.ts):
   * MalformedRecordsError for bad layout or CRC, UnexpectedAppendOffsetError when they start
   * below the log end, OffsetsOutOfOrderError when their offsets do not rise; the log is then
   * unchanged. Each new epoch they carry is recorded.
   */
  appendAsFollower(records: Buffer): AppendResult {
    this.#local.assertWritable();
    const checked = followerBatches(records, this.logEndOffset);
    const now = this.#clock();
    this.#local.whileOnline(() => {
      for (const { header } of checked.batches) {
        const epoch = header.partitionLeaderEpoch;
        if (epoch >= 0 && epoch !== this.#epochs.latestEpoch) this.#epochs.assign(epoch, header.baseOffset);
      }
      this.#local.append(records, checked.baseOffset, checked, now);
    });
    return { baseOffset: checked.baseOffset, lastOffset: checked.lastOffset, logAppendTime: BigInt(now) };
  }

  /**
   * Reads whole batches, as stored, from the one containing `fetchOffset`, crossing into later
   * segments while under `maxBytes`. With `minOneBatch` the first batch is returned whole even if
   * larger than `maxBytes`. Batches holding offsets ≥ `upperBoundOffset` (default: the log end;
   * pass the high watermark for consumers) are left out.
   */
  read(
    fetchOffset: bigint,
    maxBytes: number,
    minOneBatch = true,
    upperBoundOffset: bigint = this.logEndOffset,
  ): ReadResult {
    if (fetchOffset < this.logStartOffset || fetchOffset > this.logEndOffset) {
      return { kind: "offset-out-of-range", logStartOffset: this.logStartOffset, logEndOffset: this.logEndOffset };
    }
    return { kind: "records", ...readBatches(this.segments, fetchOffset, maxBytes, minOneBatch, upperBoundOffset) };
  }

  /** The first batch whose maxTimestamp ≥ `timestamp`: its base offset (at least the log start) and that timestamp. */
  offsetForTimestamp(timestamp: bigint): { offset: bigint; timestamp: bigint } | null {
    return findOffsetForTimestamp(this.segments, timestamp, this.logStartOffset);
  }

  /**
   * Every stored batch from the one containing `fromOffset`, for rebuilding state at startup.
   * Reads through a large buffer; do not write to the log while iterating.
   */
  batches(fromOffset: bigint = this.logStartOffset): Generator<StoredBatch> {
    return batchesFrom(this.segments, fromOffset);
  }

  /**
   * Moves the log start offset up to `offset` (Kafka's maybeIncrementLogStartOffset, for
   * DeleteRecords on a leader and for a follower copying its leader's): it is checkpointed
   * durably, then the segments wholly below it are deleted (never the active one). Reads below it
   * are out of range from then on. A lower offset than the current start changes nothing;
   * RangeError beyond the high watermark, which the caller checks first (records not yet
   * committed cannot be deleted). Returns the new log start offset.
   */
  advanceLogStartOffset(offset: bigint): bigint {
    this.#local.assertWritable();
    if (offset > this.highWatermark)
      throw new RangeError(`log start offset ${offset} beyond the high watermark ${this.highWatermark}`);
    if (offset > this.logStartOffset) this.#local.whileOnline(() => this.#logStart.advanceTo(offset));
    return this.logStartOffset;
  }

  /**
   * Deletes the segments past retention (see retention.ts): whole sealed segments from the front,
   * never the active one nor any holding offsets at or above the high watermark.
   */
  applyRetention(now: number = this.#clock()): RetentionResult {
    this.#local.assertWritable();
    const due = segmentsPastRetention(this.segments, this.highWatermark, this.config, now);
    if (due.deletedSegments > 0) this.#local.whileOnline(() => this.#logStart.deleteFront(due.deletedSegments));
    return due;
  }

  /** Seals the active segment and starts a new one at the log end; does nothing if it is empty. */
  roll(): void {
    this.#local.assertWritable();
    if (this.#local.active.isEmpty) return;
    this.#local.whileOnline(() => this.#local.roll());
  }

  /**
   * Removes every batch holding an offset ≥ `offset`, so the log ends at `offset` (for a
   * follower diverging from its leader), and the epochs starting there or later. Below the log
   * start, the log is emptied and restarts at `offset`.
   */
  truncateTo(offset: bigint): void {
    this.#local.assertWritable();
    if (offset >= this.logEndOffset) return;
    if (offset < this.logStartOffset) {
      this.truncateFullyAndStartAt(offset);
      return;
    }
    this.#local.whileOnline(() => {
      this.#local.truncateTo(offset);
      this.#epochs.truncateFromEnd(offset);
    });
    this.#highWatermark.moveTo(this.highWatermark, this.logStartOffset, this.logEndOffset);
  }

  /**
   * Empties the log and restarts it at `offset`, above or below its current offsets (Kafka's
   * truncateFullyAndStartAt): for a follower whose log is behind its leader's log start, or that
   * must take a leader's batch starting below its own log end. The epochs are forgotten.
   */
  truncateFullyAndStartAt(offset: bigint): void {
    this.#local.assertWritable();
    if (offset < 0n) throw new RangeError(`cannot restart a log at offset ${offset}`);
    this.#local.whileOnline(() => {
      this.#local.truncateFullyAndStartAt(offset);
      this.#epochs.reset([]);
    });
    this.#highWatermark.restartAt(offset);
    this.#local.whileOnline(() => this.#logStart.restartAt(offset));
  }

  /** Fsyncs what was appended since the last flush, then checkpoints a moved high watermark. */
  flush(): void {
    this.#local.assertWritable();
    const now = this.#clock();
    this.#local.whileOnline(() => {
      this.#local.flush(now);
      this.#highWatermark.checkpoint(now);
    });
  }

  /**
   * For a periodic timer: flushes if flushIntervalMs has passed with data left unflushed, and
   * checkpoints a moved high watermark every highWatermarkCheckpointIntervalMs.
   */
  flushIfDue(now: number = this.#clock()): void {
    this.#local.assertWritable();
    if (this.#local.isFlushDue(now)) {
      this.#local.whileOnline(() => this.#local.flush(now));
    }
    this.#local.whileOnline(() => this.#highWatermark.checkpointIfDue(now));
  }

  /** Flushes and checkpoints the high watermark (unless offline), and closes every file. */
  close(): void {
    if (this.#local.isClosed) return;
    try {
      if (!this.#local.isOffline) {
        this.#local.whileOnline(() => {
          this.#local.flushForClose();
          this.#highWatermark.checkpoint(this.#clock());
        });
      }
    } finally {
      this.#local.close();
    }
  }

  /** Closes the log and removes its directory. */
  deleteAll(): void {
    if (!this.#local.isClosed) this.#local.close();
    this.#local.removeDir();
  }

  /** Sealed segments, oldest first: what the cleaner may rewrite. */
  sealedSegments(): readonly Segment[] {
    return this.#local.sealedSegments();
  }

  /** An empty `.cleaned` segment for the cleaner to fill before replaceSegment. */
  createCleanedSegment(baseOffset: bigint): Segment {
    this.#local.assertWritable();
    return this.#local.whileOnline(() => this.#local.createCleanedSegment(baseOffset));
  }

  /** Swaps a flushed cleaned segment in for the sealed segment with the same base offset. */
  replaceSegment(original: Segment, cleaned: Segment): void {
    this.#local.assertWritable();
    if (!this.#local.sealedSegments().includes(original))
      throw new Error("only a sealed segment of this log can be replaced");
    this.#local.whileOnline(() => this.#local.replaceSegment(original, cleaned));
  }
}
