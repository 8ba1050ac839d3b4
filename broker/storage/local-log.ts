// The files of one partition log's directory (Kafka's LocalLog): its segments, of which only the
// last (active) one is appended to, each segment's aborted transactions (aborted-transactions.ts)
// and the producer snapshots taken at each roll and close (producer-snapshot-files.ts). It exists
// apart from PartitionLog (Kafka's UnifiedLog) so that the order of file operations lives in one
// place: what is fsynced when (log-flush.ts), that a sealed segment is durable before the next one
// starts, and that deletions are durable before a remaining segment is cut, so a power loss never
// leaves a gap. PartitionLog keeps the offsets and epochs and decides what goes; this carries it
// out. As Kafka's LocalLog does, it also holds the guard every file operation of the log runs
// through (log-offline.ts: the first I/O failure takes the log offline), and whether it is closed.
//
// Ownership: a LocalLog is owned by its PartitionLog, which calls it synchronously, and runs each
// of its own file operations and each call here that touches files through whileOnline. It owns
// the segments, the config they roll and flush by, the flush state, the aborted transactions, the
// producer snapshot files and the offline state.

import { AbortedTransactions, type AbortedTxn } from "./aborted-transactions.ts";
import { closeAll, type FileSystem } from "./file-system.ts";
import { MAX_RELATIVE_OFFSET } from "./index-file.ts";
import type { LogConfig } from "./log-config.ts";
import { CLEANED_FILE_SUFFIX } from "./log-files.ts";
import { FlushState } from "./log-flush.ts";
import type { LoadedLog } from "./log-loader.ts";
import { OfflineState } from "./log-offline.ts";
import type { AssignedOffsets } from "./log-validator.ts";
import type { ProducerSnapshot, SnapshotProducer } from "./producer-snapshot.ts";
import { ProducerSnapshotFiles } from "./producer-snapshot-files.ts";
import { Segment, type SegmentOptions, segmentIndexFor } from "./segment.ts";

export class LocalLog {
  readonly dir: string;
  readonly #fs: FileSystem;
  readonly #clock: () => number;
  #config: Readonly<LogConfig>;
  #segmentOptions: SegmentOptions;
  readonly #segments: Segment[];
  readonly #flush: FlushState;
  readonly #producerSnapshots: ProducerSnapshotFiles;
  readonly #abortedTxns: AbortedTransactions;
  readonly #offline: OfflineState;
  #closed = false;

  /**
   * Takes over the segments `loaded` opened; `now` is when flush.ms starts counting, `onOffline`
   * hears the failure that takes the log offline.
   */
  constructor(
    fs: FileSystem,
    dir: string,
    config: Readonly<LogConfig>,
    clock: () => number,
    loaded: Pick<LoadedLog, "segments" | "dirsToSync">,
    now: number,
    onOffline?: (cause: unknown) => void,
  ) {
    this.#fs = fs;
    this.dir = dir;
    this.#config = config;
    this.#clock = clock;
    this.#segmentOptions = { indexIntervalBytes: config.indexIntervalBytes, clock };
    this.#segments = loaded.segments;
    this.#flush = new FlushState(now, loaded.dirsToSync);
    this.#offline = new OfflineState(dir, onOffline);
    this.#producerSnapshots = new ProducerSnapshotFiles(fs, dir);
    this.#abortedTxns = AbortedTransactions.open(
      fs,
      dir,
      loaded.segments.map((segment) => segment.baseOffset),
    );
  }

  get isOffline(): boolean {
    return this.#offline.isOffline;
  }

  /** The failure that took the log offline, or null while it is online. */
  get offlineCause(): unknown {
    return this.#offline.cause;
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  /** Throws unless the log may be written: not once closed, nor once offline. */
  assertWritable(): void {
    if (this.#closed) throw new Error(`log ${this.dir} is closed`);
    this.#offline.assertOnline();
  }

  /** Runs file operations; any failure takes the log offline (log-offline.ts) before it propagates. */
  whileOnline<T>(operation: () => T): T {
    return this.#offline.run(operation);
  }

  get config(): Readonly<LogConfig> {
    return this.#config;
  }

  /** Later appends roll, flush and index by `config`. */
  reconfigure(config: Readonly<LogConfig>): void {
    this.#config = config;
    this.#segmentOptions = { ...this.#segmentOptions, indexIntervalBytes: config.indexIntervalBytes };
  }

  /** Oldest first; never empty, the last is the active segment. */
  get segments(): readonly Segment[] {
    return this.#segments;
  }

  get active(): Segment {
    return this.#segments[this.#segments.length - 1]!;
  }

  /** Total bytes of all segments. */
  get size(): number {
    let total = 0;
    for (const segment of this.#segments) total += segment.size;
    return total;
  }

  /** See PartitionLog.trackProducerState. */
  trackProducerState(state: () => readonly SnapshotProducer[]): void {
    this.#producerSnapshots.track(state);
  }

  /** The newest usable producer snapshot within [logStartOffset, log end], or null. */
  loadProducerSnapshot(logStartOffset: bigint): ProducerSnapshot | null {
    return this.#producerSnapshots.loadLatest(logStartOffset, this.active.nextOffset);
  }

  /** Indexes a transaction aborted by the marker at `txn.lastOffset`, in that marker's segment's txn index. */
  appendAbortedTransaction(txn: AbortedTxn): void {
    const segment = this.#segments[segmentIndexFor(this.#segments, txn.lastOffset)]!;
    this.#abortedTxns.append(segment.baseOffset, txn);
  }

  /** See PartitionLog.abortedTransactions. */
  abortedTransactions(fetchOffset: bigint, upperBoundOffset: bigint): AbortedTxn[] {
    const from = segmentIndexFor(this.#segments, fetchOffset);
    return this.#abortedTxns.collect(this.#segments, from, fetchOffset, upperBoundOffset);
  }

  forgetAbortedTransactionsFrom(offset: bigint): void {
    this.#abortedTxns.forgetFrom(offset);
  }

  /** Writes batches whose offsets and epochs are set, rolling first and flushing after as the config says. */
  append(
    records: Buffer,
    baseOffset: bigint,
    { lastOffset, maxTimestamp, recordCount }: AssignedOffsets,
    now: number,
  ): void {
    if (this.#shouldRoll(records.length, lastOffset, now)) this.roll();
    this.active.append(records, baseOffset, lastOffset, maxTimestamp);
    if (this.#flush.appended(recordCount, now, this.#config)) this.flush(now);
  }

  /**
   * Seals the active segment and starts a new one at the log end. Sealed segments are never
   * recovered at startup, so their log and indexes are made durable here.
   */
  roll(): void {
    const sealed = this.active;
    sealed.onBecomeInactive();
    this.#flush.syncPendingDirs(this.#fs);
    sealed.flush();
    this.#segments.push(Segment.create(this.#fs, this.dir, sealed.nextOffset, this.#segmentOptions));
    this.#fs.syncDir(this.dir);
    this.#abortedTxns.sync();
    this.#producerSnapshots.snapshotAt(this.active.nextOffset);
    this.#flush.reset(this.#clock());
  }

  /**
   * Fsyncs what was appended since the last flush. The active segment's indexes are rebuilt by
   * recovery, so its log is all that needs syncing.
   */
  flush(now: number): void {
    if (this.#flush.hasUnflushedData) {
      this.#flush.syncPendingDirs(this.#fs);
      this.active.syncLog();
    }
    this.#flush.reset(now);
  }

  /** True when flushIntervalMs has passed with data left unflushed. */
  isFlushDue(now: number): boolean {
    return this.#flush.isDue(now, this.#config);
  }

  /**
   * Deletes the first `count` segments (never the active one) and the producer snapshots below
   * `logStartOffset`, the log's start once they are gone.
   */
  deleteFront(count: number, logStartOffset: bigint): void {
    const doomed = this.#segments.splice(0, count);
    for (const segment of doomed) this.#deleteSegment(segment);
    this.#producerSnapshots.removeBelow(logStartOffset);
    this.#fs.syncDir(this.dir);
  }

  /** Removes every batch holding an offset ≥ `offset` (which is within the log), with their segments. */
  truncateTo(offset: bigint): void {
    this.#flush.syncPendingDirs(this.#fs);
    const segmentCount = this.#segments.length;
    while (this.#segments.length > 1 && this.active.baseOffset > offset) this.#deleteSegment(this.#segments.pop()!);
    this.#abortedTxns.forgetFrom(offset);
    // Snapshots past the cut describe batches about to go, perhaps replaced by others later.
    const snapshotsRemoved = this.#producerSnapshots.removeAbove(offset);
    // The deletions are durable before the remaining segment is cut: else a power loss could
    // bring later segments back behind the cut one, a gap followed by records truncated away.
    if (this.#segments.length < segmentCount || snapshotsRemoved) this.#fs.syncDir(this.dir);
    this.active.truncateTo(offset);
    this.#flush.reset();
  }

  /** Deletes every segment and snapshot, and restarts the log with one empty segment at `offset`. */
  truncateFullyAndStartAt(offset: bigint): void {
    this.#flush.syncPendingDirs(this.#fs);
    // Deleted before the new segment is created, which may have the same base offset.
    for (const segment of this.#segments) this.#deleteSegment(segment);
    this.#producerSnapshots.removeAbove(-1n);
    this.#segments.splice(0, this.#segments.length, Segment.create(this.#fs, this.dir, offset, this.#segmentOptions));
    this.#fs.syncDir(this.dir);
    this.#flush.reset();
  }

  /** Makes everything durable before closing: the pending directories, the active segment, the txn indexes, a producer snapshot. */
  flushForClose(): void {
    if (this.#segments.length > 1 || !this.active.isEmpty) this.#flush.syncPendingDirs(this.#fs);
    this.active.flush();
    this.#abortedTxns.sync();
    this.#producerSnapshots.snapshotAt(this.active.nextOffset);
  }

  /** Closes every file; the log is writable no more. */
  close(): void {
    this.#closed = true;
    closeAll([...this.#segments, this.#abortedTxns]);
  }

  /** Removes the directory, once closed. */
  removeDir(): void {
    this.#fs.removeDir(this.dir);
  }

  /** Sealed segments, oldest first: what the cleaner may rewrite. */
  sealedSegments(): readonly Segment[] {
    return this.#segments.slice(0, -1);
  }

  /** An empty `.cleaned` segment for the cleaner to fill before replaceSegment. */
  createCleanedSegment(baseOffset: bigint): Segment {
    return Segment.create(this.#fs, this.dir, baseOffset, this.#segmentOptions, CLEANED_FILE_SUFFIX);
  }

  /** Swaps a flushed cleaned segment in for `original`, one of sealedSegments(). */
  replaceSegment(original: Segment, cleaned: Segment): void {
    const slot = this.#segments.indexOf(original);
    cleaned.replace(original);
    this.#segments[slot] = cleaned;
  }

  #shouldRoll(appendBytes: number, lastOffset: bigint, now: number): boolean {
    const active = this.active;
    if (active.isEmpty) return false;
    const rollingBase = active.rollingBaseTimeMs;
    return (
      active.size + appendBytes > this.#config.segmentBytes ||
      (rollingBase !== null && now - rollingBase > this.#config.segmentMs) ||
      lastOffset - active.baseOffset > MAX_RELATIVE_OFFSET
    );
  }

  #deleteSegment(segment: Segment): void {
    segment.delete();
    this.#abortedTxns.removeSegment(segment.baseOffset);
  }
}
