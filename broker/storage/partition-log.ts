// The log of one partition (Kafka's UnifiedLog on one node): a directory `<dataDir>/<topic>-<partition>/`
// of segments, of which only the last (active) one is appended to. It keeps three positions
// apart: the log start offset (moved by retention or a truncation below it), the log end offset
// (the next offset to assign, the active segment's) and the high watermark (offsets below it are
// committed); and the leader epoch stamped into appended batches. Around it: log-config.ts (its
// settings), log-loader.ts (opening the directory), log-validator.ts (what append does to the
// batches), retention.ts (which segments retention deletes), segment.ts and the cleaner.
//
// Ownership rule: one owner per piece of mutable state. A PartitionLog is owned by its partition
// and owns its segments; all its operations are synchronous, so they run one after another on
// the event loop: no locks, and no operation ever observes another one half-done.

import type { BatchLocation } from "../protocol/record-batch/splitter.ts";
import type { FileSystem } from "./file-system.ts";
import { closeAll } from "./file-system.ts";
import { MAX_RELATIVE_OFFSET } from "./index-file.ts";
import { type LogConfig, resolveLogConfig } from "./log-config.ts";
import { CLEANED_FILE_SUFFIX } from "./log-files.ts";
import { loadSegments, type SegmentRecovery } from "./log-loader.ts";
import { appendableBatches, assignOffsets } from "./log-validator.ts";
import { type RetentionResult, segmentsPastRetention } from "./retention.ts";
import { Segment, type SegmentOptions, type StoredBatch } from "./segment.ts";

export interface AppendResult {
  baseOffset: bigint;
  lastOffset: bigint;
  logAppendTime: bigint;
}

export type ReadResult =
  | { kind: "records"; chunks: Buffer[]; size: number }
  | { kind: "offset-out-of-range"; logStartOffset: bigint; logEndOffset: bigint };

/**
 * Thrown by every write once an I/O operation has failed: after a failed write or fsync the
 * state of the files is unknown (a failed fsync may even have dropped dirty pages), so the log
 * refuses further writes until it is reopened, which recovers it from what is on disk.
 */
export class LogOfflineError extends Error {}

export class PartitionLog {
  readonly dir: string;
  readonly config: Readonly<LogConfig>;
  /** What recovery found in each segment it scanned while opening. */
  readonly recoveries: readonly SegmentRecovery[];
  readonly #fs: FileSystem;
  readonly #clock: () => number;
  readonly #segmentOptions: SegmentOptions;
  readonly #segments: Segment[];
  #logStartOffset: bigint;
  #highWatermark: bigint;
  #leaderEpoch = 0;
  #unflushedMessages = 0;
  #hasUnflushedData = false;
  #lastFlushTimeMs: number;
  #offlineCause: unknown = null;
  #closed = false;

  private constructor(
    fs: FileSystem,
    dir: string,
    config: Readonly<LogConfig>,
    clock: () => number,
    segments: Segment[],
    recoveries: SegmentRecovery[],
  ) {
    this.#fs = fs;
    this.dir = dir;
    this.config = config;
    this.#clock = clock;
    this.#segmentOptions = { indexIntervalBytes: config.indexIntervalBytes, clock };
    this.#segments = segments;
    this.recoveries = recoveries;
    this.#logStartOffset = segments[0]!.baseOffset;
    this.#highWatermark = this.logEndOffset;
    this.#lastFlushTimeMs = clock();
  }

  /**
   * Opens (creating if needed) the log in `dir`. After a crash the active segment is cut at its
   * last whole valid batch, so writes continue from there (see log-loader.ts).
   */
  static open(
    fs: FileSystem,
    dir: string,
    config: Partial<LogConfig> = {},
    clock: () => number = Date.now,
  ): PartitionLog {
    const resolved = resolveLogConfig(config);
    fs.mkdirp(dir);
    const { segments, recoveries } = loadSegments(fs, dir, { indexIntervalBytes: resolved.indexIntervalBytes, clock });
    return new PartitionLog(fs, dir, resolved, clock, segments, recoveries);
  }

  get logStartOffset(): bigint {
    return this.#logStartOffset;
  }

  /** The offset the next appended record gets. */
  get logEndOffset(): bigint {
    return this.#active.nextOffset;
  }

  /**
   * Offsets below it are committed. A single node advances it to the log end after each append;
   * a replication layer would move it with updateHighWatermark as followers catch up.
   */
  get highWatermark(): bigint {
    return this.#highWatermark;
  }

  get leaderEpoch(): number {
    return this.#leaderEpoch;
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
    return this.#offlineCause !== null;
  }

  /** The epoch stamped into the partitionLeaderEpoch field of batches appended from now on. */
  setLeaderEpoch(epoch: number): void {
    if (!Number.isInteger(epoch) || epoch < 0 || epoch > 0x7fffffff) throw new RangeError(`bad leader epoch ${epoch}`);
    this.#leaderEpoch = epoch;
  }

  /** Moves the high watermark, kept within [logStartOffset, logEndOffset]. */
  updateHighWatermark(offset: bigint): void {
    this.#highWatermark = clamp(offset, this.#logStartOffset, this.logEndOffset);
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
    const { lastOffset, maxTimestamp, recordCount } = assignOffsets(records, batches, baseOffset, this.#leaderEpoch);
    const now = this.#clock();
    this.#whileOnline(() => {
      if (this.#shouldRoll(records.length, lastOffset, now)) this.#rollActive();
      this.#active.append(records, baseOffset, lastOffset, maxTimestamp);
      this.#unflushedMessages += recordCount;
      this.#hasUnflushedData = true;
      if (
        this.#unflushedMessages >= this.config.flushIntervalMessages ||
        now - this.#lastFlushTimeMs >= this.config.flushIntervalMs
      ) {
        this.#flushActive(now);
      }
    });
    // Advanced only once the flush policy is satisfied, so a failed fsync never exposes the batch.
    this.#highWatermark = this.logEndOffset;
    return { baseOffset, lastOffset, logAppendTime: BigInt(now) };
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
    const chunks: Buffer[] = [];
    let size = 0;
    let startOffset = fetchOffset;
    for (let i = this.#segmentIndexFor(fetchOffset); i < this.#segments.length; i++) {
      const segment = this.#segments[i]!;
      if (segment.baseOffset > startOffset) startOffset = segment.baseOffset;
      const { data, stoppedBy } = segment.read(
        startOffset,
        maxBytes - size,
        minOneBatch && size === 0,
        upperBoundOffset,
      );
      if (data.length > 0) {
        chunks.push(data);
        size += data.length;
      }
      if (stoppedBy !== "segment-end") break;
    }
    return { kind: "records", chunks, size };
  }

  /** The first batch whose maxTimestamp ≥ `timestamp`: its base offset (at least the log start) and that timestamp. */
  offsetForTimestamp(timestamp: bigint): { offset: bigint; timestamp: bigint } | null {
    for (const segment of this.#segments) {
      if (segment.maxTimestamp < timestamp) continue;
      const found = segment.findByTimestamp(timestamp, this.#logStartOffset);
      if (found !== null) return found;
    }
    return null;
  }

  /**
   * Every stored batch from the one containing `fromOffset`, for rebuilding state at startup.
   * Reads through a large buffer; do not write to the log while iterating.
   */
  *batches(fromOffset: bigint = this.#logStartOffset): Generator<StoredBatch> {
    const first = this.#segmentIndexFor(fromOffset);
    for (let i = first; i < this.#segments.length; i++) {
      const segment = this.#segments[i]!;
      yield* segment.batches(i === first && fromOffset > segment.baseOffset ? fromOffset : segment.baseOffset);
    }
  }

  /**
   * Deletes the segments past retention (see retention.ts): whole sealed segments from the front,
   * never the active one nor any holding offsets at or above the high watermark.
   */
  applyRetention(now: number = this.#clock()): RetentionResult {
    this.#assertWritable();
    const due = segmentsPastRetention(this.#segments, this.#highWatermark, this.config, now);
    if (due.deletedSegments === 0) return due;
    const doomed = this.#segments.splice(0, due.deletedSegments);
    this.#logStartOffset = this.#segments[0]!.baseOffset;
    if (this.#highWatermark < this.#logStartOffset) this.#highWatermark = this.#logStartOffset;
    this.#whileOnline(() => {
      for (const segment of doomed) segment.delete();
      this.#fs.syncDir(this.dir);
    });
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
   * follower diverging from its leader). Below the log start, the log is emptied and restarts at `offset`.
   */
  truncateTo(offset: bigint): void {
    this.#assertWritable();
    if (offset >= this.logEndOffset) return;
    this.#whileOnline(() => {
      while (this.#segments.length > 1 && this.#active.baseOffset > offset) this.#segments.pop()!.delete();
      if (this.#active.baseOffset > offset) {
        this.#segments.pop()!.delete();
        this.#segments.push(Segment.create(this.#fs, this.dir, offset, this.#segmentOptions));
        this.#logStartOffset = offset;
      } else {
        this.#active.truncateTo(offset);
      }
      this.#fs.syncDir(this.dir);
    });
    this.#unflushedMessages = 0;
    this.#hasUnflushedData = false;
    this.#highWatermark = clamp(this.#highWatermark, this.#logStartOffset, this.logEndOffset);
  }

  /** Fsyncs what was appended since the last flush. */
  flush(): void {
    this.#assertWritable();
    this.#whileOnline(() => this.#flushActive(this.#clock()));
  }

  /** For a periodic timer: flushes if flushIntervalMs has passed with data left unflushed. */
  flushIfDue(now: number = this.#clock()): void {
    this.#assertWritable();
    if (this.#hasUnflushedData && now - this.#lastFlushTimeMs >= this.config.flushIntervalMs) {
      this.#whileOnline(() => this.#flushActive(now));
    }
  }

  /** Flushes (unless offline) and closes every file. */
  close(): void {
    if (this.#closed) return;
    try {
      if (this.#offlineCause === null) this.#whileOnline(() => this.#active.flush());
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

  // Sealed segments are never recovered at startup, so their log and indexes are made durable here.
  #rollActive(): void {
    const sealed = this.#active;
    sealed.onBecomeInactive();
    sealed.flush();
    this.#segments.push(Segment.create(this.#fs, this.dir, sealed.nextOffset, this.#segmentOptions));
    this.#fs.syncDir(this.dir);
    this.#unflushedMessages = 0;
    this.#hasUnflushedData = false;
    this.#lastFlushTimeMs = this.#clock();
  }

  // The active segment's indexes are rebuilt by recovery, so its log is all that needs syncing.
  #flushActive(now: number): void {
    if (this.#hasUnflushedData) this.#active.syncLog();
    this.#unflushedMessages = 0;
    this.#hasUnflushedData = false;
    this.#lastFlushTimeMs = now;
  }

  #segmentIndexFor(offset: bigint): number {
    let low = 0;
    let high = this.#segments.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if (this.#segments[middle]!.baseOffset <= offset) low = middle;
      else high = middle - 1;
    }
    return low;
  }

  #assertWritable(): void {
    if (this.#closed) throw new Error(`log ${this.dir} is closed`);
    if (this.#offlineCause !== null) {
      throw new LogOfflineError(`log ${this.dir} is offline after an I/O failure; reopen it to recover`, {
        cause: this.#offlineCause,
      });
    }
  }

  /** Runs file operations; any failure takes the log offline before it propagates. */
  #whileOnline<T>(operation: () => T): T {
    try {
      return operation();
    } catch (error) {
      this.#offlineCause = error;
      throw error;
    }
  }

  #closeSegments(): void {
    this.#closed = true;
    closeAll(this.#segments);
  }
}

function clamp(value: bigint, low: bigint, high: bigint): bigint {
  return value < low ? low : value > high ? high : value;
}
