// The aborted transactions of one partition log, across its segments: each segment's `.txnindex`
// (transaction-index.ts) holds the aborts whose marker lies in that segment, so the index goes
// with its segment when retention, DeleteRecords or a truncation deletes it, and a truncation
// cuts it with the log. A read_committed fetch asks for those that concern its range.
//
// Ownership: an AbortedTransactions is owned by its LocalLog, which calls it synchronously from
// its own operations; it owns the TransactionIndex of each segment that has one (or had one at open).

import { join } from "node:path";
import type { FileSystem } from "./file-system.ts";
import { segmentFileName, TXN_INDEX_FILE_SUFFIX } from "./log-files.ts";
import { type AbortedTxn, TransactionIndex } from "./transaction-index.ts";

export type { AbortedTxn } from "./transaction-index.ts";

export class AbortedTransactions {
  readonly #fs: FileSystem;
  readonly #dir: string;
  readonly #indexes = new Map<bigint, TransactionIndex>();

  private constructor(fs: FileSystem, dir: string) {
    this.#fs = fs;
    this.#dir = dir;
  }

  /** The indexes of the segments at `segmentBases` that have a `.txnindex` file. */
  static open(fs: FileSystem, dir: string, segmentBases: readonly bigint[]): AbortedTransactions {
    const aborted = new AbortedTransactions(fs, dir);
    for (const base of segmentBases) {
      const path = aborted.#pathOf(base);
      if (fs.exists(path)) aborted.#indexes.set(base, TransactionIndex.open(fs, path));
    }
    return aborted;
  }

  /** Indexes an abort whose marker is in the segment at `segmentBase`. */
  append(segmentBase: bigint, txn: AbortedTxn): void {
    let index = this.#indexes.get(segmentBase);
    if (index === undefined) {
      index = TransactionIndex.open(this.#fs, this.#pathOf(segmentBase));
      this.#indexes.set(segmentBase, index);
    }
    index.append(txn);
  }

  /**
   * The aborts whose marker is at or after `fetchOffset` and whose first offset is below
   * `upperBoundOffset`, searching `segments` (the log's, oldest first) from `from`, the one holding
   * `fetchOffset` (an abort's marker comes after its records), until one entry shows no later one
   * can qualify.
   */
  collect(
    segments: readonly { baseOffset: bigint }[],
    from: number,
    fetchOffset: bigint,
    upperBoundOffset: bigint,
  ): AbortedTxn[] {
    const found: AbortedTxn[] = [];
    // Most logs never saw an abort: every read_committed fetch of them answers at once.
    if (this.#indexes.size === 0) return found;
    for (let i = from; i < segments.length; i++) {
      const index = this.#indexes.get(segments[i]!.baseOffset);
      if (index?.collect(fetchOffset, upperBoundOffset, found)) break;
    }
    return found;
  }

  /** Every indexed abort, oldest marker first, for tests and diagnostics. */
  all(): AbortedTxn[] {
    const bases = [...this.#indexes.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return bases.flatMap((base) => this.#indexes.get(base)!.entries);
  }

  /** Forgets the aborts whose marker is at or after `offset` (a truncation, or a replay from there). */
  forgetFrom(offset: bigint): void {
    for (const index of this.#indexes.values()) index.truncateFrom(offset);
  }

  /** Deletes the index of the segment at `segmentBase`, if it has one (the segment is being deleted). */
  removeSegment(segmentBase: bigint): void {
    const index = this.#indexes.get(segmentBase);
    if (index === undefined) {
      // A file left by a crash between a segment's deletion and its index's.
      this.#fs.remove(this.#pathOf(segmentBase));
      return;
    }
    index.delete();
    this.#indexes.delete(segmentBase);
  }

  /** Makes every appended abort durable (before a producer snapshot says they need no replay). */
  sync(): void {
    for (const index of this.#indexes.values()) index.sync();
  }

  close(): void {
    for (const index of this.#indexes.values()) index.close();
  }

  #pathOf(segmentBase: bigint): string {
    return join(this.#dir, segmentFileName(segmentBase, TXN_INDEX_FILE_SUFFIX));
  }
}
