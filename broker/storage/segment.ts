// One segment of a partition log: `<base>.log` holding whole record batches back to back, with
// its sparse `<base>.index` and `<base>.timeindex` (names in log-files.ts). The log file is the
// source of truth; both indexes can always be rebuilt from it (segment-recovery.ts).
//
// Ownership: a Segment owns its three files and what it keeps in memory about them (next offset,
// largest timestamp, bytes since the last index entry, rolling base time). Its LocalLog owns
// the Segment (the cleaner owns a `.cleaned` one until it is swapped in); only the active
// segment of a log is appended to.

import { join } from "node:path";
import { BATCH_LOG_OVERHEAD, BatchField } from "../protocol/record-batch/layout.ts";
import type { FileHandle, FileSystem } from "./file-system.ts";
import { closeAll, openAll } from "./file-system.ts";
import { MAX_RELATIVE_OFFSET } from "./index-file.ts";
import { INDEX_FILE_SUFFIX, LOG_FILE_SUFFIX, segmentFileName, TIME_INDEX_FILE_SUFFIX } from "./log-files.ts";
import { OffsetIndex } from "./offset-index.ts";
import { RecentBatches } from "./recent-batches.ts";
import type { ScanStep, StoredBatchHeader } from "./record-batch.ts";
import {
  BatchFileScanner,
  BULK_SCAN_BUFFER_BYTES,
  NO_TIMESTAMP,
  READ_SCAN_BUFFER_BYTES,
  readExactly,
  readStoredBatchHeader,
} from "./record-batch.ts";
import { type RecoveryResult, recoverLog, rollingBaseTimeAfterRestart, stateFromIndexes } from "./segment-recovery.ts";
import { TimeIndex } from "./time-index.ts";

const EMPTY = Buffer.alloc(0);

export interface SegmentOptions {
  indexIntervalBytes: number;
  clock: () => number;
  /** How many of the last appended batches the active segment locates from memory (recent-batches.ts); 0 for none. */
  recentBatches?: number;
}

/** Enough for every reader within a few hundred small batches of the tail, at 2.5 KB per active segment. */
export const DEFAULT_RECENT_BATCHES = 128;

export type ReadStop = "segment-end" | "max-bytes" | "upper-bound";

export interface SegmentRead {
  /** Whole batches, exactly as stored; empty when none qualified. */
  data: Buffer;
  /** Why reading stopped; only "segment-end" lets a reader go on into the next segment. */
  stoppedBy: ReadStop;
}

export interface StoredBatch extends StoredBatchHeader {
  /** Byte position of the batch in its segment's log file. */
  position: number;
  segmentBaseOffset: bigint;
  /** The whole batch, owned by the caller. */
  bytes: Buffer;
}

export class CorruptSegmentError extends Error {}

/** Where in `segments` (a log's, oldest first, never empty) the segment that would hold `offset` is. */
export function segmentIndexFor(segments: readonly Segment[], offset: bigint): number {
  let low = 0;
  let high = segments.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >>> 1;
    if (segments[middle]!.baseOffset <= offset) low = middle;
    else high = middle - 1;
  }
  return low;
}

export class Segment {
  readonly baseOffset: bigint;
  readonly dir: string;
  readonly #fs: FileSystem;
  readonly #options: SegmentOptions;
  readonly #log: FileHandle;
  readonly #offsetIndex: OffsetIndex;
  readonly #timeIndex: TimeIndex;
  #fileSuffix: string;
  #nextOffset: bigint;
  #maxTimestamp = NO_TIMESTAMP;
  #offsetOfMaxTimestamp: bigint;
  #bytesSinceLastIndexEntry = 0;
  #rollingBaseTimeMs: number | null = null;
  /** Only while the segment is appended to: from its first append until it becomes inactive. */
  #recent: RecentBatches | null = null;

  private constructor(
    fs: FileSystem,
    dir: string,
    baseOffset: bigint,
    options: SegmentOptions,
    fileSuffix: string,
    files: { log: FileHandle; index: FileHandle; timeIndex: FileHandle },
  ) {
    this.#fs = fs;
    this.dir = dir;
    this.baseOffset = baseOffset;
    this.#options = options;
    this.#fileSuffix = fileSuffix;
    this.#log = files.log;
    this.#offsetIndex = new OffsetIndex(files.index, baseOffset);
    this.#timeIndex = new TimeIndex(files.timeIndex, baseOffset);
    this.#nextOffset = baseOffset;
    this.#offsetOfMaxTimestamp = baseOffset;
  }

  /**
   * Creates an empty segment. With a `fileSuffix` (the cleaner's `.cleaned`) any leftover files of
   * that name are emptied; without one, existing data is refused rather than overwritten.
   */
  static create(fs: FileSystem, dir: string, baseOffset: bigint, options: SegmentOptions, fileSuffix = ""): Segment {
    const path = (suffix: string) => join(dir, segmentFileName(baseOffset, suffix) + fileSuffix);
    const files = openAll(fs, [path(LOG_FILE_SUFFIX), path(INDEX_FILE_SUFFIX), path(TIME_INDEX_FILE_SUFFIX)], true);
    const [log, index, timeIndex] = files;
    if (log.size() > 0 && fileSuffix === "") {
      closeAll(files);
      throw new Error(`${log.path} already holds ${log.size()} bytes`);
    }
    for (const file of files) if (file.size() > 0) file.truncate(0);
    return new Segment(fs, dir, baseOffset, options, fileSuffix, { log, index, timeIndex });
  }

  /**
   * Opens an existing segment. With `recover`, or when an index is missing or fails its checks,
   * the log is scanned and validated batch by batch, a bad tail is cut off and both indexes are
   * rebuilt; otherwise only the part of the log after the last index entry is read.
   */
  static open(
    fs: FileSystem,
    dir: string,
    baseOffset: bigint,
    options: SegmentOptions,
    { recover }: { recover: boolean },
  ): { segment: Segment; recovery: RecoveryResult | null } {
    const path = (suffix: string) => join(dir, segmentFileName(baseOffset, suffix));
    const indexesPresent = fs.exists(path(INDEX_FILE_SUFFIX)) && fs.exists(path(TIME_INDEX_FILE_SUFFIX));
    const log = fs.open(path(LOG_FILE_SUFFIX), { create: false });
    const [index, timeIndex] = openAll(fs, [path(INDEX_FILE_SUFFIX), path(TIME_INDEX_FILE_SUFFIX)], true, [log]);
    const segment = new Segment(fs, dir, baseOffset, options, "", { log, index, timeIndex });
    try {
      const needsRecovery = recover || !indexesPresent || !segment.#loadFromIndexes();
      // The active segment's indexes (`recover`) are rebuilt at every start and made durable at its
      // roll, so recovering it fsyncs its log only: a thousand partitions start without two
      // thousand index fsyncs. A sealed segment's rebuilt indexes are trusted from now on.
      return { segment, recovery: needsRecovery ? segment.recover({ syncIndexes: !recover }) : null };
    } catch (error) {
      segment.close();
      throw error;
    }
  }

  get logPath(): string {
    return this.#path(LOG_FILE_SUFFIX);
  }

  get indexPath(): string {
    return this.#path(INDEX_FILE_SUFFIX);
  }

  get timeIndexPath(): string {
    return this.#path(TIME_INDEX_FILE_SUFFIX);
  }

  get size(): number {
    return this.#log.size();
  }

  get isEmpty(): boolean {
    return this.#log.size() === 0;
  }

  /** One past the last offset stored here (the base offset when empty). */
  get nextOffset(): bigint {
    return this.#nextOffset;
  }

  /** Largest batch maxTimestamp stored here, or NO_TIMESTAMP. */
  get maxTimestamp(): bigint {
    return this.#maxTimestamp;
  }

  get offsetIndex(): OffsetIndex {
    return this.#offsetIndex;
  }

  get timeIndex(): TimeIndex {
    return this.#timeIndex;
  }

  /**
   * The time segment age is measured from for rolling: when the first batch was appended, or
   * after a restart the first batch's timestamp if that is earlier than the restart.
   */
  get rollingBaseTimeMs(): number | null {
    return this.#rollingBaseTimeMs;
  }

  /** The time retention by age compares: the largest batch timestamp, else the file's modification time. */
  largestTimestampMs(): number {
    return this.#maxTimestamp >= 0n ? Number(this.#maxTimestamp) : this.#log.lastModifiedMs();
  }

  /**
   * Appends whole batches whose offsets were already assigned: `batches` spans offsets
   * `baseOffset`..`lastOffset` and its largest batch timestamp is `maxTimestamp`.
   */
  append(batches: Buffer, baseOffset: bigint, lastOffset: bigint, maxTimestamp: bigint): void {
    if (baseOffset < this.#nextOffset) {
      throw new RangeError(
        `offset ${baseOffset} is below segment ${this.baseOffset}'s next offset ${this.#nextOffset}`,
      );
    }
    if (lastOffset - this.baseOffset > MAX_RELATIVE_OFFSET) {
      throw new RangeError(`offset ${lastOffset} is too far from segment base ${this.baseOffset}`);
    }
    const position = this.#log.size();
    this.#log.append(batches);
    this.#recent ??= new RecentBatches(this.#options.recentBatches ?? DEFAULT_RECENT_BATCHES);
    this.#rollingBaseTimeMs ??= this.#options.clock();
    if (BATCH_LOG_OVERHEAD + batches.readInt32BE(BatchField.batchLength) === batches.length) {
      this.#trackAppended(position, batches.length, baseOffset, lastOffset, maxTimestamp);
      return;
    }
    // Several batches are indexed one by one, as recovery indexes them: a time index entry must
    // name the batch that holds its timestamp, or truncating that batch away would leave it behind.
    for (let at = 0; at < batches.length; ) {
      const header = readStoredBatchHeader(batches, at);
      this.#trackAppended(position + at, header.sizeInBytes, header.baseOffset, header.lastOffset, header.maxTimestamp);
      at += header.sizeInBytes;
    }
  }

  /**
   * Reads whole batches starting with the one that contains `startOffset` (or the first after it),
   * as many as fit in `maxBytes`; with `minOneBatch` the first batch is returned even when it alone
   * is larger. Batches holding offsets ≥ `upperBoundOffset` are left out.
   */
  read(startOffset: bigint, maxBytes: number, minOneBatch: boolean, upperBoundOffset?: bigint): SegmentRead {
    const recent = this.#recent?.plan(
      Number(startOffset - this.baseOffset),
      maxBytes,
      minOneBatch,
      upperBoundOffset === undefined ? undefined : Number(upperBoundOffset - this.baseOffset),
    );
    if (recent) {
      if (recent.length === 0) return { data: EMPTY, stoppedBy: recent.stoppedBy };
      const data = Buffer.allocUnsafe(recent.length);
      readExactly(this.#log, data, recent.position);
      return { data, stoppedBy: recent.stoppedBy };
    }
    const found = this.#firstBatchEndingAtOrAfter(startOffset, READ_SCAN_BUFFER_BYTES);
    if (found === null) return { data: EMPTY, stoppedBy: "segment-end" };
    const { scanner } = found;
    const startPosition = found.first.position;
    let step: ScanStep = found.first;
    let total = 0;
    let stoppedBy: ReadStop = "segment-end";
    while (step.kind === "batch") {
      const { header } = step;
      if (upperBoundOffset !== undefined && header.lastOffset >= upperBoundOffset) {
        stoppedBy = "upper-bound";
        break;
      }
      if (total + header.sizeInBytes > maxBytes && !(total === 0 && minOneBatch)) {
        stoppedBy = "max-bytes";
        break;
      }
      total += header.sizeInBytes;
      step = scanner.next();
    }
    if (step.kind === "invalid") this.#throwCorrupt(step.position, step.problem);
    if (total === 0) return { data: EMPTY, stoppedBy };
    const data = Buffer.allocUnsafe(total);
    readExactly(this.#log, data, startPosition);
    return { data, stoppedBy };
  }

  /** Batches from the one containing `fromOffset` to the end, read through a large buffer. */
  *batches(fromOffset: bigint = this.baseOffset, bufferBytes = BULK_SCAN_BUFFER_BYTES): Generator<StoredBatch> {
    const found = this.#firstBatchEndingAtOrAfter(fromOffset, bufferBytes);
    if (found === null) return;
    const { scanner } = found;
    let step: ScanStep = found.first;
    while (step.kind === "batch") {
      yield {
        ...step.header,
        position: step.position,
        segmentBaseOffset: this.baseOffset,
        bytes: scanner.copyCurrentBatchBytes(),
      };
      step = scanner.next();
    }
    if (step.kind === "invalid") this.#throwCorrupt(step.position, step.problem);
  }

  /** The headers of the batches `batches()` would return, without reading their bytes out. */
  *batchHeaders(
    fromOffset: bigint = this.baseOffset,
    bufferBytes = BULK_SCAN_BUFFER_BYTES,
  ): Generator<StoredBatchHeader> {
    const found = this.#firstBatchEndingAtOrAfter(fromOffset, bufferBytes);
    if (found === null) return;
    let step: ScanStep = found.first;
    while (step.kind === "batch") {
      yield step.header;
      step = found.scanner.next();
    }
    if (step.kind === "invalid") this.#throwCorrupt(step.position, step.problem);
  }

  /** The first batch at or after `minOffset` whose maxTimestamp ≥ `timestamp`. */
  findByTimestamp(timestamp: bigint, minOffset: bigint): { offset: bigint; timestamp: bigint } | null {
    if (this.#maxTimestamp < timestamp) return null;
    const indexed = this.#timeIndex.lastEntryBefore(timestamp);
    let startOffset = indexed?.offset ?? this.baseOffset;
    if (startOffset < minOffset) startOffset = minOffset;
    const found = this.#firstBatchEndingAtOrAfter(startOffset, READ_SCAN_BUFFER_BYTES);
    if (found === null) return null;
    let step: ScanStep = found.first;
    while (step.kind === "batch") {
      if (step.header.maxTimestamp >= timestamp) {
        const offset = step.header.baseOffset > minOffset ? step.header.baseOffset : minOffset;
        return { offset, timestamp: step.header.maxTimestamp };
      }
      step = found.scanner.next();
    }
    if (step.kind === "invalid") this.#throwCorrupt(step.position, step.problem);
    return null;
  }

  /**
   * Scans the whole log checking each batch (framing, magic 2, CRC, offsets increasing), cuts the
   * file at the end of the last valid batch and rebuilds both indexes; makes the log durable, and
   * the indexes too with `syncIndexes` (the default).
   */
  recover({ syncIndexes }: { syncIndexes: boolean } = { syncIndexes: true }): RecoveryResult {
    this.#offsetIndex.reset();
    this.#timeIndex.reset();
    this.#resetTrackedState();
    const result = recoverLog(this.#log, this.baseOffset, (position, header) => {
      this.#rollingBaseTimeMs ??= rollingBaseTimeAfterRestart(header, this.#options.clock());
      this.#trackAppended(position, header.sizeInBytes, header.baseOffset, header.lastOffset, header.maxTimestamp);
    });
    if (syncIndexes) this.flush();
    else this.syncLog();
    return result;
  }

  /**
   * Removes every batch holding an offset ≥ `offset` (a batch straddling it goes whole); the next
   * offset becomes `offset`. Returns the number of bytes removed.
   */
  truncateTo(offset: bigint): number {
    if (offset < this.baseOffset) throw new RangeError(`offset ${offset} is below segment base ${this.baseOffset}`);
    if (offset >= this.#nextOffset) {
      this.#nextOffset = offset;
      return 0;
    }
    const found = this.#firstBatchEndingAtOrAfter(offset, READ_SCAN_BUFFER_BYTES);
    const cutPosition = found?.first.position ?? this.#log.size();
    // Index entries pointing at the first removed batch go too, even if that batch starts below `offset`.
    const firstRemovedOffset =
      found !== null && found.first.header.baseOffset < offset ? found.first.header.baseOffset : offset;
    const removedBytes = this.#log.size() - cutPosition;
    this.#offsetIndex.truncateTo(firstRemovedOffset);
    this.#timeIndex.truncateTo(firstRemovedOffset);
    this.#log.truncate(cutPosition);
    if (!this.#loadFromIndexes()) this.recover();
    this.#nextOffset = offset;
    if (this.isEmpty) this.#rollingBaseTimeMs = null;
    this.flush();
    return removedBytes;
  }

  /** Called when the segment stops being the active one: indexes its largest timestamp. */
  onBecomeInactive(): void {
    this.#recent = null;
    if (this.#maxTimestamp >= 0n) this.#timeIndex.maybeAppend(this.#maxTimestamp, this.#offsetOfMaxTimestamp);
  }

  /** Makes the log data durable; enough for the active segment, whose indexes are rebuilt by recovery. */
  syncLog(): void {
    this.#log.sync();
  }

  /** Makes the log and both indexes durable. */
  flush(): void {
    this.#log.sync();
    this.#offsetIndex.sync();
    this.#timeIndex.sync();
  }

  close(): void {
    closeAll([this.#log, { close: () => this.#offsetIndex.close() }, { close: () => this.#timeIndex.close() }]);
  }

  /** Closes and removes the files; the log goes first, so a crash leaves at most orphan indexes. */
  delete(): void {
    this.close();
    this.#fs.remove(this.logPath);
    this.#fs.remove(this.indexPath);
    this.#fs.remove(this.timeIndexPath);
  }

  /**
   * Makes this (flushed) cleaned segment take the place of `original`, which has the same base
   * offset. The old indexes go first and the log rename is the commit point: a crash before it
   * leaves the original log without indexes, after it the cleaned log without indexes, and
   * either is recovered by rebuilding its indexes; `.cleaned` leftovers are discarded at startup.
   */
  replace(original: Segment): void {
    if (original.baseOffset !== this.baseOffset)
      throw new Error("a cleaned segment replaces a segment with its own base offset");
    original.close();
    this.#recent = null;
    this.#fs.remove(original.indexPath);
    this.#fs.remove(original.timeIndexPath);
    this.#fs.rename(this.logPath, original.logPath);
    this.#fs.rename(this.indexPath, original.indexPath);
    this.#fs.rename(this.timeIndexPath, original.timeIndexPath);
    this.#fileSuffix = "";
    this.#fs.syncDir(this.dir);
  }

  #path(suffix: string): string {
    return join(this.dir, segmentFileName(this.baseOffset, suffix) + this.#fileSuffix);
  }

  #trackAppended(position: number, size: number, baseOffset: bigint, lastOffset: bigint, maxTimestamp: bigint): void {
    this.#recent?.push(Number(baseOffset - this.baseOffset), Number(lastOffset - this.baseOffset), position, size);
    if (maxTimestamp > this.#maxTimestamp) {
      this.#maxTimestamp = maxTimestamp;
      this.#offsetOfMaxTimestamp = baseOffset;
    }
    if (this.#bytesSinceLastIndexEntry >= this.#options.indexIntervalBytes) {
      this.#offsetIndex.append(baseOffset, position);
      if (this.#maxTimestamp >= 0n) this.#timeIndex.maybeAppend(this.#maxTimestamp, this.#offsetOfMaxTimestamp);
      this.#bytesSinceLastIndexEntry = 0;
    }
    this.#bytesSinceLastIndexEntry += size;
    this.#nextOffset = lastOffset + 1n;
  }

  #resetTrackedState(): void {
    this.#recent?.clear();
    this.#nextOffset = this.baseOffset;
    this.#maxTimestamp = NO_TIMESTAMP;
    this.#offsetOfMaxTimestamp = this.baseOffset;
    this.#bytesSinceLastIndexEntry = 0;
    this.#rollingBaseTimeMs = null;
  }

  /**
   * Takes the state the indexes give (see stateFromIndexes). Returns false, leaving the state
   * reset, when they disagree with the log, in which case the segment needs recovery.
   */
  #loadFromIndexes(): boolean {
    this.#resetTrackedState();
    const state = stateFromIndexes(this.#log, this.#offsetIndex, this.#timeIndex, this.baseOffset);
    if (state === null) return false;
    this.#nextOffset = state.nextOffset;
    this.#maxTimestamp = state.maxTimestamp;
    this.#offsetOfMaxTimestamp = state.offsetOfMaxTimestamp;
    this.#bytesSinceLastIndexEntry = state.bytesSinceLastIndexEntry;
    if (state.firstBatch !== null) {
      this.#rollingBaseTimeMs = rollingBaseTimeAfterRestart(state.firstBatch, this.#options.clock());
    }
    return true;
  }

  /** Scanner positioned after the first batch whose last offset is ≥ `offset`, and that batch. */
  #firstBatchEndingAtOrAfter(
    offset: bigint,
    bufferBytes: number,
  ): { scanner: BatchFileScanner; first: ScanStep & { kind: "batch" } } | null {
    const { position } = this.#offsetIndex.lookup(offset);
    const scanner = new BatchFileScanner(this.#log, position, this.#log.size(), bufferBytes);
    for (;;) {
      const step = scanner.next();
      if (step.kind === "end") return null;
      if (step.kind === "invalid") this.#throwCorrupt(step.position, step.problem);
      if (step.header.lastOffset >= offset) return { scanner, first: step };
    }
  }

  #throwCorrupt(position: number, problem: string): never {
    throw new CorruptSegmentError(`${this.logPath}: ${problem} at position ${position}`);
  }
}
