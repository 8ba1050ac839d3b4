// The log of one partition (Kafka's UnifiedLog): a directory `<dataDir>/<topic>-<partition>/`
// of segments, of which only the last (active) one is appended to. It keeps three positions
// apart: the log start offset (moved by retention, DeleteRecords or a truncation below it, and
// kept in log-start-offset-checkpoint.ts when inside the first segment), the log end offset
// (the next offset to assign, the active segment's) and the high watermark (offsets below it are
// committed); the leader epoch stamped into appended batches; and which epoch wrote which
// offsets (leader-epoch-checkpoint.ts), kept as batches are appended, truncated and deleted.
// Appends leave the high watermark alone: its owner (the partition's replication state, or the
// Raft node for `__cluster_metadata`) moves it with updateHighWatermark, as Kafka's log leaves it
// to its Partition, and the log keeps it durable (high-watermark-checkpoint.ts), restored on open.
// Followers store their leader's batches as they are with appendAsFollower. Around it:
// log-config.ts (its settings), log-loader.ts (opening the directory), log-flush.ts (when to
// fsync, and a new directory's fsync deferred to the first), log-validator.ts (what
// append does to the batches), log-reader.ts (reading across segments), retention.ts (which
// segments retention deletes), log-offline.ts (refusing writes after an I/O failure),
// producer-snapshot-files.ts (the producer state at each roll and close), aborted-transactions.ts
// (each segment's aborted transactions), segment.ts, the cleaner.
//
// Ownership rule: one owner per piece of mutable state. A PartitionLog is owned by its partition
// and owns its segments, its epoch cache and its checkpoint files; all its operations are
// synchronous, so they run one after another on the event loop: no locks, and no operation ever
// observes another one half-done.

import type { BatchLocation } from "../protocol/record-batch/splitter.ts";
import { AbortedTransactions, type AbortedTxn } from "./aborted-transactions.ts";
import type { FileSystem } from "./file-system.ts";
import { closeAll } from "./file-system.ts";
import { HighWatermarkCheckpoint } from "./high-watermark-checkpoint.ts";
import { MAX_RELATIVE_OFFSET } from "./index-file.ts";
import type { EpochEndOffset, EpochEntry, LeaderEpochFileCache } from "./leader-epoch-checkpoint.ts";
import { type LogConfig, resolveLogConfig } from "./log-config.ts";
import { CLEANED_FILE_SUFFIX } from "./log-files.ts";
import { FlushState } from "./log-flush.ts";
import { type LoadedLog, loadLog, type SegmentRecovery } from "./log-loader.ts";
import { OfflineState } from "./log-offline.ts";
import { batchesFrom, findOffsetForTimestamp, readBatches } from "./log-reader.ts";
import { LogStartOffsetCheckpoint } from "./log-start-offset-checkpoint.ts";
import { type AssignedOffsets, appendableBatches, assignOffsets, followerBatches } from "./log-validator.ts";
import type { ProducerSnapshot, SnapshotProducer } from "./producer-snapshot.ts";
import { ProducerSnapshotFiles } from "./producer-snapshot-files.ts";
import { type RetentionResult, segmentsPastRetention } from "./retention.ts";
import { Segment, type SegmentOptions, type StoredBatch, segmentIndexFor } from "./segment.ts";

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
}

const DEFAULT_HIGH_WATERMARK_CHECKPOINT_INTERVAL_MS = 5000;

export type ReadResult =
  | { kind: "records"; chunks: Buffer[]; size: number }
  | { kind: "offset-out-of-range"; logStartOffset: bigint; logEndOffset: bigint };

export class PartitionLog {
  readonly dir: string;
  #config: Readonly<LogConfig>;
  /** What recovery found in each segment it scanned while opening. */
  readonly recoveries: readonly SegmentRecovery[];
  /** Why opening rebuilt the leader-epoch checkpoint from the batches, or null when it did not. */
  readonly epochCacheRebuiltBecause: string | null;
  readonly #fs: FileSystem;
  readonly #clock: () => number;
  #segmentOptions: SegmentOptions;
  readonly #segments: Segment[];
  readonly #epochs: LeaderEpochFileCache;
  readonly #highWatermarkCheckpoint: HighWatermarkCheckpoint;
  readonly #logStartOffsetCheckpoint: LogStartOffsetCheckpoint;
  #logStartOffset: bigint;
  #highWatermark: bigint;
  #leaderEpoch = 0;
  readonly #flush: FlushState;
  readonly #offline: OfflineState;
  readonly #producerSnapshots: ProducerSnapshotFiles;
  readonly #abortedTxns: AbortedTransactions;
  #closed = false;

  private constructor(
    fs: FileSystem,
    dir: string,
    config: Readonly<LogConfig>,
    clock: () => number,
    loaded: LoadedLog,
    options: PartitionLogOptions,
  ) {
    this.#fs = fs;
    this.dir = dir;
    this.#config = config;
    this.#clock = clock;
    this.#segmentOptions = { indexIntervalBytes: config.indexIntervalBytes, clock };
    this.#segments = loaded.segments;
    this.recoveries = loaded.recoveries;
    this.#epochs = loaded.epochs.cache;
    this.epochCacheRebuiltBecause = loaded.epochs.rebuiltBecause;
    this.#logStartOffsetCheckpoint = LogStartOffsetCheckpoint.open(fs, dir);
    // Retention may have deleted past a checkpointed start, and a start is never past the log end.
    const checkpointedStart = this.#logStartOffsetCheckpoint.checkpointed ?? 0n;
    const firstBase = loaded.segments[0]!.baseOffset;
    const logEnd = loaded.segments[loaded.segments.length - 1]!.nextOffset;
    this.#logStartOffset = clamp(checkpointedStart, firstBase, logEnd);
    const now = clock();
    this.#flush = new FlushState(now, loaded.dirsToSync);
    this.#offline = new OfflineState(dir, options.onOffline);
    this.#producerSnapshots = new ProducerSnapshotFiles(fs, dir);
    this.#abortedTxns = AbortedTransactions.open(
      fs,
      dir,
      loaded.segments.map((segment) => segment.baseOffset),
    );
    const intervalMs = options.highWatermarkCheckpointIntervalMs ?? DEFAULT_HIGH_WATERMARK_CHECKPOINT_INTERVAL_MS;
    this.#highWatermarkCheckpoint = HighWatermarkCheckpoint.open(fs, dir, intervalMs, now);
    // No checkpoint means nothing is known to be committed: the log start is the safe answer.
    const restored = this.#highWatermarkCheckpoint.checkpointed ?? 0n;
    this.#highWatermark = clamp(restored, this.#logStartOffset, this.logEndOffset);
  }

  get config(): Readonly<LogConfig> {
    return this.#config;
  }

  /**
   * Takes a topic's altered settings at runtime (AlterConfigs): later appends roll, flush and index
   * by them, and the next retention pass deletes by them. A value out of range throws a RangeError.
   */
  reconfigure(overrides: Partial<LogConfig>): void {
    this.#config = resolveLogConfig({ ...this.#config, ...overrides });
    this.#segmentOptions = { ...this.#segmentOptions, indexIntervalBytes: this.#config.indexIntervalBytes };
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
    const { highWatermarkCheckpointIntervalMs, onOffline, ...config } = settings;
    const options = { highWatermarkCheckpointIntervalMs, onOffline };
    const resolved = resolveLogConfig(config);
    const loaded = loadLog(fs, dir, { indexIntervalBytes: resolved.indexIntervalBytes, clock });
    try {
      return new PartitionLog(fs, dir, resolved, clock, loaded, options);
    } catch (error) {
      for (const segment of loaded.segments) segment.close();
      throw error;
    }
  }

  get logStartOffset(): bigint {
    return this.#logStartOffset;
  }

  /** The offset the next appended record gets. */
  get logEndOffset(): bigint {
    return this.#active.nextOffset;
  }

  /** Offsets below it are committed; its owner moves it with updateHighWatermark (see the top of this file). */
  get highWatermark(): bigint {
    return this.#highWatermark;
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
    let total = 0;
    for (const segment of this.#segments) total += segment.size;
    return total;
  }

  get segments(): readonly Segment[] {
    return this.#segments;
  }

  get isOffline(): boolean {
    return this.#offline.isOffline;
  }

  /** The failure that took the log offline, or null while it is online. */
  get offlineCause(): unknown {
    return this.#offline.cause;
  }

  /** The epoch stamped into the partitionLeaderEpoch field of batches appended from now on. */
  setLeaderEpoch(epoch: number): void {
    if (!Number.isInteger(epoch) || epoch < 0 || epoch > 0x7fffffff) throw new RangeError(`bad leader epoch ${epoch}`);
    this.#leaderEpoch = epoch;
  }

  /** Moves the high watermark, kept within [logStartOffset, logEndOffset]; it is checkpointed later. */
  updateHighWatermark(offset: bigint): void {
    this.#highWatermark = clamp(offset, this.#logStartOffset, this.logEndOffset);
  }

  /** Writes the high watermark checkpoint now if the high watermark moved since the last one. */
  checkpointHighWatermark(): void {
    this.#assertWritable();
    this.#whileOnline(() => this.#highWatermarkCheckpoint.writeIfMoved(this.#highWatermark, this.#clock()));
  }

  /**
   * From now on the log snapshots `state()` (its owner's producer state, as of the log end) at
   * each roll and at close, and keeps its snapshot files in step with truncation and retention.
   */
  trackProducerState(state: () => readonly SnapshotProducer[]): void {
    this.#producerSnapshots.track(state);
  }

  /** The newest usable producer snapshot (see producer-snapshot-files.ts), or null: rescan from the log start. */
  loadProducerSnapshot(): ProducerSnapshot | null {
    return this.#whileOnline(() => this.#producerSnapshots.loadLatest(this.#logStartOffset, this.logEndOffset));
  }

  /** Indexes a transaction aborted by the marker at `txn.lastOffset`, in that marker's segment's txn index. */
  appendAbortedTransaction(txn: AbortedTxn): void {
    this.#assertWritable();
    const segment = this.#segments[segmentIndexFor(this.#segments, txn.lastOffset)]!;
    this.#whileOnline(() => this.#abortedTxns.append(segment.baseOffset, txn));
  }

  /** The aborted transactions whose marker is at or after `fetchOffset` and that start below `upperBoundOffset`. */
  abortedTransactions(fetchOffset: bigint, upperBoundOffset: bigint): AbortedTxn[] {
    const from = segmentIndexFor(this.#segments, fetchOffset);
    return this.#abortedTxns.collect(this.#segments, from, fetchOffset, upperBoundOffset);
  }

  /** Forgets the aborted transactions whose marker is at or after `offset`, before the owner replays the log from there. */
  forgetAbortedTransactionsFrom(offset: bigint): void {
    this.#assertWritable();
    this.#whileOnline(() => this.#abortedTxns.forgetFrom(offset));
  }

  /**
   * Appends one or more whole batches, their CRCs already checked by the caller; `split` is their
   * layout when the caller has it (see log-validator.ts). Offsets and the leader epoch are written
   * into the batches in place; the bytes are stored as received otherwise.
   */
  append(records: Buffer, split?: readonly BatchLocation[]): AppendResult {
    this.#assertWritable();
    const batches = appendableBatches(records, split);
    const baseOffset = this.logEndOffset;
    const assigned = assignOffsets(records, batches, baseOffset, this.#leaderEpoch);
    const now = this.#clock();
    this.#whileOnline(() => {
      // The epoch is recorded before the batches are written, as Kafka does: a crash in between
      // leaves an entry past the log end, which opening trims, never a batch without its epoch.
      if (this.#leaderEpoch !== this.#epochs.latestEpoch) this.#epochs.assign(this.#leaderEpoch, baseOffset);
      this.#appendStamped(records, baseOffset, assigned, now);
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
    this.#assertWritable();
    const checked = followerBatches(records, this.logEndOffset);
    const now = this.#clock();
    this.#whileOnline(() => {
      for (const { header } of checked.batches) {
        const epoch = header.partitionLeaderEpoch;
        if (epoch >= 0 && epoch !== this.#epochs.latestEpoch) this.#epochs.assign(epoch, header.baseOffset);
      }
      this.#appendStamped(records, checked.baseOffset, checked, now);
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
    if (fetchOffset < this.#logStartOffset || fetchOffset > this.logEndOffset) {
      return { kind: "offset-out-of-range", logStartOffset: this.#logStartOffset, logEndOffset: this.logEndOffset };
    }
    return { kind: "records", ...readBatches(this.#segments, fetchOffset, maxBytes, minOneBatch, upperBoundOffset) };
  }

  /** The first batch whose maxTimestamp ≥ `timestamp`: its base offset (at least the log start) and that timestamp. */
  offsetForTimestamp(timestamp: bigint): { offset: bigint; timestamp: bigint } | null {
    return findOffsetForTimestamp(this.#segments, timestamp, this.#logStartOffset);
  }

  /**
   * Every stored batch from the one containing `fromOffset`, for rebuilding state at startup.
   * Reads through a large buffer; do not write to the log while iterating.
   */
  batches(fromOffset: bigint = this.#logStartOffset): Generator<StoredBatch> {
    return batchesFrom(this.#segments, fromOffset);
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
    this.#assertWritable();
    if (offset > this.#highWatermark)
      throw new RangeError(`log start offset ${offset} beyond the high watermark ${this.#highWatermark}`);
    if (offset <= this.#logStartOffset) return this.#logStartOffset;
    this.#logStartOffset = offset;
    this.#whileOnline(() => {
      this.#logStartOffsetCheckpoint.writeIfMoved(offset);
      let doomed = 0;
      while (doomed < this.#segments.length - 1 && this.#segments[doomed + 1]!.baseOffset <= offset) doomed += 1;
      this.#deleteFront(doomed);
      this.#epochs.truncateFromStart(offset);
    });
    return this.#logStartOffset;
  }

  /**
   * Deletes the segments past retention (see retention.ts): whole sealed segments from the front,
   * never the active one nor any holding offsets at or above the high watermark.
   */
  applyRetention(now: number = this.#clock()): RetentionResult {
    this.#assertWritable();
    const due = segmentsPastRetention(this.#segments, this.#highWatermark, this.config, now);
    if (due.deletedSegments === 0) return due;
    this.#whileOnline(() => this.#deleteFront(due.deletedSegments));
    return due;
  }

  /** Seals the active segment and starts a new one at the log end; does nothing if it is empty. */
  roll(): void {
    this.#assertWritable();
    if (this.#active.isEmpty) return;
    this.#whileOnline(() => this.#rollActive());
  }

  /**
   * Removes every batch holding an offset ≥ `offset`, so the log ends at `offset` (for a
   * follower diverging from its leader), and the epochs starting there or later. Below the log
   * start, the log is emptied and restarts at `offset`.
   */
  truncateTo(offset: bigint): void {
    this.#assertWritable();
    if (offset >= this.logEndOffset) return;
    if (offset < this.#logStartOffset) {
      this.truncateFullyAndStartAt(offset);
      return;
    }
    this.#whileOnline(() => {
      this.#flush.syncPendingDirs(this.#fs);
      const segmentCount = this.#segments.length;
      while (this.#segments.length > 1 && this.#active.baseOffset > offset) this.#deleteSegment(this.#segments.pop()!);
      this.#abortedTxns.forgetFrom(offset);
      // Snapshots past the cut describe batches about to go, perhaps replaced by others later.
      const snapshotsRemoved = this.#producerSnapshots.removeAbove(offset);
      // The deletions are durable before the remaining segment is cut: else a power loss could
      // bring later segments back behind the cut one, a gap followed by records truncated away.
      if (this.#segments.length < segmentCount || snapshotsRemoved) this.#fs.syncDir(this.dir);
      this.#active.truncateTo(offset);
      this.#epochs.truncateFromEnd(offset);
    });
    this.#flush.reset();
    this.#highWatermark = clamp(this.#highWatermark, this.#logStartOffset, this.logEndOffset);
  }

  /**
   * Empties the log and restarts it at `offset`, above or below its current offsets (Kafka's
   * truncateFullyAndStartAt): for a follower whose log is behind its leader's log start, or that
   * must take a leader's batch starting below its own log end. The epochs are forgotten.
   */
  truncateFullyAndStartAt(offset: bigint): void {
    this.#assertWritable();
    if (offset < 0n) throw new RangeError(`cannot restart a log at offset ${offset}`);
    this.#whileOnline(() => {
      this.#flush.syncPendingDirs(this.#fs);
      // Deleted before the new segment is created, which may have the same base offset.
      for (const segment of this.#segments) this.#deleteSegment(segment);
      this.#producerSnapshots.removeAbove(-1n);
      this.#segments.splice(0, this.#segments.length, Segment.create(this.#fs, this.dir, offset, this.#segmentOptions));
      this.#fs.syncDir(this.dir);
      this.#epochs.reset([]);
    });
    this.#logStartOffset = offset;
    this.#highWatermark = offset;
    this.#flush.reset();
    // A checkpointed start left above the new one would move the start up again on reopening.
    if (this.#logStartOffsetCheckpoint.checkpointed !== null)
      this.#whileOnline(() => this.#logStartOffsetCheckpoint.writeIfMoved(offset));
  }

  /** Fsyncs what was appended since the last flush, then checkpoints a moved high watermark. */
  flush(): void {
    this.#assertWritable();
    const now = this.#clock();
    this.#whileOnline(() => {
      this.#flushActive(now);
      this.#highWatermarkCheckpoint.writeIfMoved(this.#highWatermark, now);
    });
  }

  /**
   * For a periodic timer: flushes if flushIntervalMs has passed with data left unflushed, and
   * checkpoints a moved high watermark every highWatermarkCheckpointIntervalMs.
   */
  flushIfDue(now: number = this.#clock()): void {
    this.#assertWritable();
    if (this.#flush.isDue(now, this.config)) {
      this.#whileOnline(() => this.#flushActive(now));
    }
    this.#whileOnline(() => this.#highWatermarkCheckpoint.writeIfDue(this.#highWatermark, now));
  }

  /** Flushes and checkpoints the high watermark (unless offline), and closes every file. */
  close(): void {
    if (this.#closed) return;
    try {
      if (!this.#offline.isOffline) {
        this.#whileOnline(() => {
          if (this.#segments.length > 1 || !this.#active.isEmpty) this.#flush.syncPendingDirs(this.#fs);
          this.#active.flush();
          this.#abortedTxns.sync();
          this.#producerSnapshots.snapshotAt(this.logEndOffset);
          this.#highWatermarkCheckpoint.writeIfMoved(this.#highWatermark, this.#clock());
        });
      }
    } finally {
      this.#closeSegments();
    }
  }

  /** Closes the log and removes its directory. */
  deleteAll(): void {
    if (!this.#closed) this.#closeSegments();
    this.#fs.removeDir(this.dir);
  }

  /** Sealed segments, oldest first: what the cleaner may rewrite. */
  sealedSegments(): readonly Segment[] {
    return this.#segments.slice(0, -1);
  }

  /** An empty `.cleaned` segment for the cleaner to fill before replaceSegment. */
  createCleanedSegment(baseOffset: bigint): Segment {
    this.#assertWritable();
    return this.#whileOnline(() =>
      Segment.create(this.#fs, this.dir, baseOffset, this.#segmentOptions, CLEANED_FILE_SUFFIX),
    );
  }

  /** Swaps a flushed cleaned segment in for the sealed segment with the same base offset. */
  replaceSegment(original: Segment, cleaned: Segment): void {
    this.#assertWritable();
    const slot = this.#segments.indexOf(original);
    if (slot < 0 || slot === this.#segments.length - 1)
      throw new Error("only a sealed segment of this log can be replaced");
    this.#whileOnline(() => cleaned.replace(original));
    this.#segments[slot] = cleaned;
  }

  /**
   * Deletes the first `count` segments (never the active one); the log then starts at the first
   * remaining segment, or later if the start was already inside it.
   */
  #deleteFront(count: number): void {
    if (count === 0) return;
    const doomed = this.#segments.splice(0, count);
    const firstBase = this.#segments[0]!.baseOffset;
    if (this.#logStartOffset < firstBase) this.#logStartOffset = firstBase;
    if (this.#highWatermark < this.#logStartOffset) this.#highWatermark = this.#logStartOffset;
    for (const segment of doomed) this.#deleteSegment(segment);
    this.#producerSnapshots.removeBelow(this.#logStartOffset);
    this.#fs.syncDir(this.dir);
    this.#epochs.truncateFromStart(this.#logStartOffset);
  }

  get #active(): Segment {
    return this.#segments[this.#segments.length - 1]!;
  }

  #shouldRoll(appendBytes: number, lastOffset: bigint, now: number): boolean {
    const active = this.#active;
    if (active.isEmpty) return false;
    const rollingBase = active.rollingBaseTimeMs;
    return (
      active.size + appendBytes > this.config.segmentBytes ||
      (rollingBase !== null && now - rollingBase > this.config.segmentMs) ||
      lastOffset - active.baseOffset > MAX_RELATIVE_OFFSET
    );
  }

  /** Writes batches whose offsets and epochs are set, rolling first and flushing after as the config says. */
  #appendStamped(
    records: Buffer,
    baseOffset: bigint,
    { lastOffset, maxTimestamp, recordCount }: AssignedOffsets,
    now: number,
  ): void {
    if (this.#shouldRoll(records.length, lastOffset, now)) this.#rollActive();
    this.#active.append(records, baseOffset, lastOffset, maxTimestamp);
    if (this.#flush.appended(recordCount, now, this.config)) this.#flushActive(now);
  }

  // Sealed segments are never recovered at startup, so their log and indexes are made durable here.
  #rollActive(): void {
    const sealed = this.#active;
    sealed.onBecomeInactive();
    this.#flush.syncPendingDirs(this.#fs);
    sealed.flush();
    this.#segments.push(Segment.create(this.#fs, this.dir, sealed.nextOffset, this.#segmentOptions));
    this.#fs.syncDir(this.dir);
    this.#abortedTxns.sync();
    this.#producerSnapshots.snapshotAt(this.logEndOffset);
    this.#flush.reset(this.#clock());
  }

  // The active segment's indexes are rebuilt by recovery, so its log is all that needs syncing.
  #flushActive(now: number): void {
    if (this.#flush.hasUnflushedData) {
      this.#flush.syncPendingDirs(this.#fs);
      this.#active.syncLog();
    }
    this.#flush.reset(now);
  }

  #assertWritable(): void {
    if (this.#closed) throw new Error(`log ${this.dir} is closed`);
    this.#offline.assertOnline();
  }

  /** Runs file operations; any failure takes the log offline (log-offline.ts) before it propagates. */
  #whileOnline<T>(operation: () => T): T {
    return this.#offline.run(operation);
  }

  #deleteSegment(segment: Segment): void {
    segment.delete();
    this.#abortedTxns.removeSegment(segment.baseOffset);
  }

  #closeSegments(): void {
    this.#closed = true;
    closeAll([...this.#segments, this.#abortedTxns]);
  }
}

function clamp(value: bigint, low: bigint, high: bigint): bigint {
  return value < low ? low : value > high ? high : value;
}
