// Which leader epoch wrote which part of a partition's log (Kafka's LeaderEpochFileCache): one
// entry (epoch, startOffset) per epoch, the offset of the first batch that epoch wrote, epochs
// and offsets both rising. A follower asks its leader for the end offset of its own latest
// epoch (OffsetForLeaderEpoch, endOffsetFor here) and truncates its log to where the two
// histories part, so replicas never keep a divergent tail. The entries are kept in the
// partition directory's `leader-epoch-checkpoint` file, in Kafka's checkpoint text format
// (checkpoint-file.ts): "0", the entry count, then "<epoch> <startOffset>" per line.
//
// Ownership: a LeaderEpochFileCache is owned by its PartitionLog, which calls it synchronously
// as it appends and truncates, and through its LogStartOffset as it drops old segments; every
// change rewrites the file before the call returns. A write that fails leaves the memory ahead
// of the file; the owning log goes offline then, and reopening it checks the file against the
// log (log-loader.ts).

import { join } from "node:path";
import { CheckpointFileError, readCheckpointFile, writeCheckpointFile } from "./checkpoint-file.ts";
import type { FileSystem } from "./file-system.ts";

export const LEADER_EPOCH_CHECKPOINT_FILE = "leader-epoch-checkpoint";
const CHECKPOINT_VERSION = 0;

/** Kafka's UNDEFINED_EPOCH: no epoch known (also NO_PARTITION_LEADER_EPOCH in a batch). */
export const UNDEFINED_EPOCH = -1;
/** Kafka's UNDEFINED_EPOCH_OFFSET: no end offset known. */
export const UNDEFINED_EPOCH_OFFSET = -1n;

const MAX_EPOCH = 0x7fffffff;

export interface EpochEntry {
  readonly epoch: number;
  /** Offset of the first batch written in this epoch. */
  readonly startOffset: bigint;
}

/** An OffsetForLeaderEpoch answer: the epoch found and where it ends, or UNDEFINED_EPOCH / UNDEFINED_EPOCH_OFFSET. */
export interface EpochEndOffset {
  epoch: number;
  endOffset: bigint;
}

export interface LeaderEpochCacheOptions {
  /** Fsync every rewrite of the file (and its rename) before returning. */
  sync: boolean;
}

export class LeaderEpochFileCache {
  readonly path: string;
  readonly #fs: FileSystem;
  readonly #sync: boolean;
  /** Sorted by epoch, and so by start offset. */
  #entries: EpochEntry[] = [];

  /** A cache holding `entries` (applied as by assign), without writing its file. */
  constructor(fs: FileSystem, dir: string, entries: readonly EpochEntry[], options: LeaderEpochCacheOptions) {
    this.#fs = fs;
    this.path = join(dir, LEADER_EPOCH_CHECKPOINT_FILE);
    this.#sync = options.sync;
    for (const entry of entries) this.#assignInMemory(entry.epoch, entry.startOffset);
  }

  /**
   * The entries of the checkpoint file in `dir`, or null when there is none. Throws a
   * CheckpointFileError when the file is not a leader-epoch checkpoint.
   */
  static readEntries(fs: FileSystem, dir: string): EpochEntry[] | null {
    const path = join(dir, LEADER_EPOCH_CHECKPOINT_FILE);
    const lines = readCheckpointFile(fs, path, CHECKPOINT_VERSION);
    return lines?.map((line) => parseEntry(path, line)) ?? null;
  }

  /** Every entry, oldest epoch first. */
  get epochEntries(): readonly EpochEntry[] {
    return [...this.#entries];
  }

  get latestEntry(): EpochEntry | null {
    return this.#entries.at(-1) ?? null;
  }

  /** The newest epoch that wrote to the log, or UNDEFINED_EPOCH when none is known. */
  get latestEpoch(): number {
    return this.#entries.at(-1)?.epoch ?? UNDEFINED_EPOCH;
  }

  /**
   * Records that `epoch` starts at `startOffset`. Nothing changes when it is the latest epoch
   * already starting at or before that offset. Otherwise, as in Kafka, every entry the new one
   * would break the order of (an epoch at least as large, or a start offset at least as large)
   * is dropped first, and the file is rewritten.
   */
  assign(epoch: number, startOffset: bigint): void {
    if (this.#assignInMemory(epoch, startOffset)) this.#write();
  }

  /** Drops the entries starting at or after `endOffset`: the log was truncated to end there. */
  truncateFromEnd(endOffset: bigint): void {
    const latest = this.latestEntry;
    if (endOffset < 0n || latest === null || latest.startOffset < endOffset) return;
    while (this.#entries.length > 0 && this.#entries.at(-1)!.startOffset >= endOffset) this.#entries.pop();
    this.#write();
  }

  /**
   * The log now starts at `startOffset`: entries starting at or before it are dropped, except
   * that the epoch holding `startOffset` stays, moved to start there.
   */
  truncateFromStart(startOffset: bigint): void {
    let covered = 0;
    while (covered < this.#entries.length && this.#entries[covered]!.startOffset <= startOffset) covered += 1;
    if (covered === 0) return;
    const holding = this.#entries[covered - 1]!;
    if (covered === 1 && holding.startOffset === startOffset) return;
    this.#entries.splice(0, covered, entry(holding.epoch, startOffset));
    this.#write();
  }

  /**
   * Kafka's answer to OffsetForLeaderEpoch for `requestedEpoch`: the largest known epoch not
   * above it, and where that epoch ends, which is the start of the next larger epoch, or
   * `logEndOffset` when the latest epoch is asked for. Below every known epoch the answer is the
   * requested epoch and the first entry's start (older epochs are gone with their data);
   * above every known epoch, or for UNDEFINED_EPOCH, it is UNDEFINED_EPOCH / UNDEFINED_EPOCH_OFFSET.
   */
  endOffsetFor(requestedEpoch: number, logEndOffset: bigint): EpochEndOffset {
    const undefinedAnswer = { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    if (requestedEpoch === UNDEFINED_EPOCH) return undefinedAnswer;
    if (requestedEpoch === this.latestEpoch) return { epoch: requestedEpoch, endOffset: logEndOffset };
    const higher = this.#entries.findIndex((candidate) => candidate.epoch > requestedEpoch);
    if (higher < 0) return undefinedAnswer;
    const endOffset = this.#entries[higher]!.startOffset;
    if (higher === 0) return { epoch: requestedEpoch, endOffset };
    return { epoch: this.#entries[higher - 1]!.epoch, endOffset };
  }

  /** The epoch that wrote `offset` as far as the entries tell, or UNDEFINED_EPOCH before the first. */
  epochForOffset(offset: bigint): number {
    let found = UNDEFINED_EPOCH;
    for (const candidate of this.#entries) {
      if (candidate.startOffset > offset) break;
      found = candidate.epoch;
    }
    return found;
  }

  /** Replaces every entry by `entries` (applied as by assign) and rewrites the file once. */
  reset(entries: readonly EpochEntry[]): void {
    this.#entries = [];
    for (const { epoch, startOffset } of entries) this.#assignInMemory(epoch, startOffset);
    this.#write();
  }

  /** Returns whether anything changed. */
  #assignInMemory(epoch: number, startOffset: bigint): boolean {
    if (!Number.isInteger(epoch) || epoch < 0 || epoch > MAX_EPOCH || startOffset < 0n)
      throw new RangeError(`invalid leader epoch entry (${epoch}, ${startOffset})`);
    const latest = this.latestEntry;
    if (latest !== null && latest.epoch === epoch && latest.startOffset <= startOffset) return false;
    while (this.#entries.length > 0) {
      const last = this.#entries.at(-1)!;
      if (last.epoch < epoch && last.startOffset < startOffset) break;
      this.#entries.pop();
    }
    this.#entries.push(entry(epoch, startOffset));
    return true;
  }

  #write(): void {
    const lines = this.#entries.map(({ epoch, startOffset }) => `${epoch} ${startOffset}`);
    writeCheckpointFile(this.#fs, this.path, CHECKPOINT_VERSION, lines, { sync: this.#sync });
  }
}

function entry(epoch: number, startOffset: bigint): EpochEntry {
  return Object.freeze({ epoch, startOffset });
}

function parseEntry(path: string, line: string): EpochEntry {
  const match = /^(\d+)\s+(\d+)$/.exec(line.trim());
  const epoch = match === null ? Number.NaN : Number(match[1]);
  if (match === null || epoch > MAX_EPOCH)
    throw new CheckpointFileError(`${path}: malformed leader epoch entry ${JSON.stringify(line)}`);
  return entry(epoch, BigInt(match[2]!));
}
