// When a partition log fsyncs what it appended (Kafka's flush.messages and flush.ms), and what has
// to be durable before its first fsync. A new log's directory (its entry in the data dir) and its
// first segment's files are created without an fsync, so creating a topic of thousands of
// partitions does not pay two directory fsyncs per partition; they are synced before the first
// fsync that promises the log's data (a flush, a roll, a truncation, a close with data). Until
// then a crash can lose only a log whose data nothing promised durable, the same data an unflushed
// log loses, or an empty directory, which opening creates again: every log a broker hosts is
// opened from the metadata log, where the topic itself is durable.
//
// Ownership: a FlushState is owned by its LocalLog, which calls it synchronously.

import type { FileSystem } from "./file-system.ts";
import type { LogConfig } from "./log-config.ts";

export class FlushState {
  #unflushedMessages = 0;
  #hasUnflushedData = false;
  #lastFlushTimeMs: number;
  /** Directories created without an fsync, parent first; synced once, then empty. */
  readonly #dirsToSync: string[];

  constructor(now: number, dirsToSync: readonly string[]) {
    this.#lastFlushTimeMs = now;
    this.#dirsToSync = [...dirsToSync];
  }

  get hasUnflushedData(): boolean {
    return this.#hasUnflushedData;
  }

  /** Counts appended records; true when flush.messages or flush.ms says to flush now. */
  appended(recordCount: number, now: number, config: Readonly<LogConfig>): boolean {
    this.#unflushedMessages += recordCount;
    this.#hasUnflushedData = true;
    return (
      this.#unflushedMessages >= config.flushIntervalMessages || now - this.#lastFlushTimeMs >= config.flushIntervalMs
    );
  }

  /** For a periodic timer: true when flush.ms has passed with data left unflushed. */
  isDue(now: number, config: Readonly<LogConfig>): boolean {
    return this.#hasUnflushedData && now - this.#lastFlushTimeMs >= config.flushIntervalMs;
  }

  /** What was appended is durable (flushed at `now`), or gone (truncated: no time given). */
  reset(flushedAtMs?: number): void {
    this.#unflushedMessages = 0;
    this.#hasUnflushedData = false;
    if (flushedAtMs !== undefined) this.#lastFlushTimeMs = flushedAtMs;
  }

  /** Makes the directories created without an fsync durable; called before any fsync of the log's data. */
  syncPendingDirs(fs: FileSystem): void {
    while (this.#dirsToSync.length > 0) {
      fs.syncDir(this.#dirsToSync[0]!);
      this.#dirsToSync.shift();
    }
  }
}
