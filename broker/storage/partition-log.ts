// Ownership rule: one owner per piece of mutable state. A PartitionLog is owned by its partition,
// and all its operations are synchronous, so they run one after another on the event loop: no
// locks, and no operation ever observes another one half-done.
//
// The log of one partition is a directory `<dataDir>/<topic>-<partition>/` of segments named by
// their 20-digit zero-padded base offset. Only the last (active) segment is appended to.

import { join } from "node:path";
import { BATCH_HEADER_SIZE, writeBaseOffset, writePartitionLeaderEpoch } from "../protocol/record-batch/layout.ts";
import { type BatchLocation, splitBatches } from "../protocol/record-batch/splitter.ts";
import type { FileSystem } from "./file-system.ts";
import type { RecoveryResult, SegmentOptions, StoredBatch } from "./segment.ts";
import {
  CLEANED_FILE_SUFFIX,
  INDEX_FILE_SUFFIX,
  LOG_FILE_SUFFIX,
  MAX_RELATIVE_OFFSET,
  NO_TIMESTAMP,
  parseLogFileName,
  Segment,
  segmentFileName,
  TIME_INDEX_FILE_SUFFIX,
} from "./segment.ts";

export type CleanupPolicy = "delete" | "compact";

export interface LogConfig {
  /** A segment is rolled before an append would take it past this size (at most 2 GiB − 1). */
  segmentBytes: number;
  /** A segment is rolled once this old (measured from its first batch). */
  segmentMs: number;
  /** Oldest segments are deleted while the log is larger than this; −1 keeps everything. */
  retentionBytes: number;
  /** Segments whose newest batch is older than this are deleted; −1 keeps everything. */
  retentionMs: number;
  indexIntervalBytes: number;
  /** Fsync after this many records; 1 means every append; NEVER leaves flushing to the OS. */
  flushIntervalMessages: number;
  /** Fsync when this long has passed since the last one (checked on append and by flushIfDue). */
  flushIntervalMs: number;
  cleanupPolicy: CleanupPolicy;
}

/** Any interval this large never elapses (Kafka spells it Long.MAX_VALUE). */
export const NEVER = Number.MAX_SAFE_INTEGER;

const DAY_MS = 24 * 60 * 60 * 1000;

export const defaultLogConfig: Readonly<LogConfig> = Object.freeze({
  segmentBytes: 1024 * 1024 * 1024,
  segmentMs: 7 * DAY_MS,
  retentionBytes: -1,
  retentionMs: 7 * DAY_MS,
  indexIntervalBytes: 4096,
  flushIntervalMessages: NEVER,
  flushIntervalMs: NEVER,
  cleanupPolicy: "delete",
});

const MAX_SEGMENT_BYTES = 0x7fffffff;

export interface AppendResult {
  baseOffset: bigint;
  lastOffset: bigint;
  logAppendTime: bigint;
}

export type ReadResult =
  | { kind: "records"; chunks: Buffer[]; size: number }
  | { kind: "offset-out-of-range"; logStartOffset: bigint; logEndOffset: bigint };

export interface RetentionResult {
  deletedSegments: number;
  deletedBytes: number;
}

export interface SegmentRecovery extends RecoveryResult {
  baseOffset: bigint;
}

/**
 * Thrown by every write once an I/O operation has failed: after a failed write or fsync the
 * state of the files is unknown (a failed fsync may even have dropped dirty pages), so the log
 * refuses further writes until it is reopened, which recovers it from what is on disk.
 */
export class LogOfflineError extends Error {}

export class MalformedRecordsError extends Error {}

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
   * Opens (creating if needed) the log in `dir`. Sealed segments are loaded from their indexes;
   * the active segment, and any segment whose indexes are missing or inconsistent, is scanned
   * and cut at its last whole valid batch, so after a crash writes continue from there.
   */
  static open(
    fs: FileSystem,
    dir: string,
    config: Partial<LogConfig> = {},
    clock: () => number = Date.now,
  ): PartitionLog {
    const resolved = Object.freeze({ ...defaultLogConfig, ...config });
    validateConfig(resolved);
    fs.mkdirp(dir);
    const segmentOptions: SegmentOptions = { indexIntervalBytes: resolved.indexIntervalBytes, clock };
    const baseOffsets = discardLeftovers(fs, dir);
    const segments: Segment[] = [];
    const recoveries: SegmentRecovery[] = [];
    try {
      if (baseOffsets.length === 0) {
        segments.push(Segment.create(fs, dir, 0n, segmentOptions));
        fs.syncDir(dir);
      }
      for (const [i, baseOffset] of baseOffsets.entries()) {
        const isActive = i === baseOffsets.length - 1;
        const { segment, recovery } = Segment.open(fs, dir, baseOffset, segmentOptions, { recover: isActive });
        segments.push(segment);
        if (recovery !== null) recoveries.push({ baseOffset, ...recovery });
      }
    } catch (error) {
      for (const segment of segments) segment.close();
      throw error;
    }
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
   * Appends one or more whole batches, already validated by the caller (CRC, magic). Offsets are
   * assigned by rewriting each batch's baseOffset in place, consecutively from the log end, and
   * the leader epoch is stamped; both fields lie outside the CRC. The bytes are stored as received.
   */
  append(records: Buffer, split?: readonly BatchLocation[]): AppendResult {
    this.#assertWritable();
    // A caller that already split the batches (the broker validates them first) passes them in,
    // so the produce path reads each header once.
    const batches = split ? checkAppendable(split) : checkAppendable(parseBatches(records));
    const baseOffset = this.logEndOffset;
    let nextOffset = baseOffset;
    let maxTimestamp = NO_TIMESTAMP;
    let recordCount = 0;
    for (const { position, header } of batches) {
      writeBaseOffset(records, position, nextOffset);
      writePartitionLeaderEpoch(records, position, this.#leaderEpoch);
      nextOffset += BigInt(header.lastOffsetDelta) + 1n;
      if (header.maxTimestamp > maxTimestamp) maxTimestamp = header.maxTimestamp;
      recordCount += header.recordCount;
    }
    const lastOffset = nextOffset - 1n;
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
   * Deletes whole sealed segments from the front: those whose newest batch is older than
   * retentionMs, then as many as needed to bring the log within retentionBytes. The active
   * segment and anything above the high watermark are never deleted. A compacted log keeps all.
   */
  applyRetention(now: number = this.#clock()): RetentionResult {
    this.#assertWritable();
    if (this.config.cleanupPolicy !== "delete") return { deletedSegments: 0, deletedBytes: 0 };
    const sealedCount = this.#segments.length - 1;
    const deletable = (segment: Segment) => segment.nextOffset <= this.#highWatermark;
    let count = 0;
    if (this.config.retentionMs >= 0) {
      while (count < sealedCount) {
        const segment = this.#segments[count]!;
        if (!deletable(segment) || now - segment.largestTimestampMs() <= this.config.retentionMs) break;
        count += 1;
      }
    }
    let deletedBytes = 0;
    for (let i = 0; i < count; i++) deletedBytes += this.#segments[i]!.size;
    if (this.config.retentionBytes >= 0) {
      let excess = this.size - deletedBytes - this.config.retentionBytes;
      while (count < sealedCount) {
        const segment = this.#segments[count]!;
        if (!deletable(segment) || excess < segment.size) break;
        excess -= segment.size;
        deletedBytes += segment.size;
        count += 1;
      }
    }
    if (count === 0) return { deletedSegments: 0, deletedBytes: 0 };
    const doomed = this.#segments.splice(0, count);
    this.#logStartOffset = this.#segments[0]!.baseOffset;
    if (this.#highWatermark < this.#logStartOffset) this.#highWatermark = this.#logStartOffset;
    this.#whileOnline(() => {
      for (const segment of doomed) segment.delete();
      this.#fs.syncDir(this.dir);
    });
    return { deletedSegments: count, deletedBytes };
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
    let firstError: unknown = null;
    for (const segment of this.#segments) {
      try {
        segment.close();
      } catch (error) {
        firstError ??= error;
      }
    }
    if (firstError !== null) throw firstError;
  }
}

function clamp(value: bigint, low: bigint, high: bigint): bigint {
  return value < low ? low : value > high ? high : value;
}

function validateConfig(config: LogConfig): void {
  const integerAtLeast = (name: keyof LogConfig, min: number, max = Number.MAX_SAFE_INTEGER) => {
    const value = config[name];
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
      throw new RangeError(`log config ${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
    }
  };
  integerAtLeast("segmentBytes", BATCH_HEADER_SIZE, MAX_SEGMENT_BYTES);
  integerAtLeast("segmentMs", 1);
  integerAtLeast("retentionBytes", -1);
  integerAtLeast("retentionMs", -1);
  integerAtLeast("indexIntervalBytes", 0);
  integerAtLeast("flushIntervalMessages", 1, Number.MAX_VALUE);
  integerAtLeast("flushIntervalMs", 0, Number.MAX_VALUE);
  if (config.cleanupPolicy !== "delete" && config.cleanupPolicy !== "compact") {
    throw new RangeError(`log config cleanupPolicy must be "delete" or "compact", got ${String(config.cleanupPolicy)}`);
  }
}

/** Lists the segments to load, after removing what a crash can leave behind. */
function discardLeftovers(fs: FileSystem, dir: string): bigint[] {
  const names = fs.list(dir);
  const baseOffsets = names.map(parseLogFileName).filter((offset): offset is bigint => offset !== null);
  const logNames = new Set(baseOffsets.map((offset) => segmentFileName(offset, LOG_FILE_SUFFIX)));
  let removed = false;
  for (const name of names) {
    const indexOf = /^(\d{20})(\.index|\.timeindex)$/.exec(name);
    const isOrphanIndex =
      indexOf !== null &&
      (indexOf[2] === INDEX_FILE_SUFFIX || indexOf[2] === TIME_INDEX_FILE_SUFFIX) &&
      !logNames.has(`${indexOf[1]}${LOG_FILE_SUFFIX}`);
    if (name.endsWith(CLEANED_FILE_SUFFIX) || isOrphanIndex) {
      fs.remove(join(dir, name));
      removed = true;
    }
  }
  if (removed) fs.syncDir(dir);
  return baseOffsets.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Checks that `records` is a sequence of whole magic-2 batches and collects what append needs. */
function parseBatches(records: Buffer): BatchLocation[] {
  const { batches, problem } = splitBatches(records);
  if (problem !== null) throw new MalformedRecordsError(problem.message);
  return batches;
}

function checkAppendable(batches: readonly BatchLocation[]): readonly BatchLocation[] {
  if (batches.length === 0) throw new MalformedRecordsError("no batch to append");
  for (const { position, header } of batches) {
    if (header.lastOffsetDelta < 0)
      throw new MalformedRecordsError(`batch at byte ${position} has lastOffsetDelta ${header.lastOffsetDelta}`);
  }
  return batches;
}
