// Shared machinery of the offset and time indexes: a file of fixed-size entries, sorted by a key,
// searched with binary search through positional reads. Entries are never all held in memory,
// so memory does not grow with retained data; a few recently probed entries are cached.
//
// Appended entries are held in memory and written PENDING_ENTRIES_LIMIT at a time, or when the
// index is synced or truncated: a produce request then costs the broker one write (its batches)
// instead of three (an offset index entry and a time index entry come with every few KB of log).
// close() writes what is pending too, though nothing depends on it today: only the active segment's
// index can hold such entries, and the active segment's indexes are rebuilt from its log at every
// start (a crash loses them); a sealed segment's were written and made durable by its roll's flush.

import type { FileHandle } from "./file-system.ts";

const PROBE_CACHE_CAPACITY = 64;
/**
 * Lookups cluster near the end of an index (consumers fetch recent data), so the search first
 * decides between this tail and the rest; the tail's probe path then stays the same from one
 * lookup to the next and hits the cache, as the tail barely moves while entries are appended.
 */
const WARM_TAIL_ENTRIES = 1024;

/**
 * Entries held in memory before they are written: one write per this many, a few KB of memory per
 * active segment at most (an entry object each), which keeps a thousand partitions' RSS flat.
 */
export const PENDING_ENTRIES_LIMIT = 64;

export interface EntryCodec<Entry> {
  readonly entrySize: number;
  decode(bytes: Buffer): Entry;
  encode(entry: Entry, into: Buffer): void;
}

export class IndexEntryFile<Entry> {
  readonly #file: FileHandle;
  readonly #codec: EntryCodec<Entry>;
  readonly #probeCache = new Map<number, Entry>();
  readonly #scratch: Buffer;
  /** Entries in the file; those after them are in #pending. */
  #writtenCount: number;
  /** Appended entries not yet written, oldest first. */
  #pending: Entry[] = [];
  #lastEntry: Entry | null = null;

  constructor(file: FileHandle, codec: EntryCodec<Entry>) {
    this.#file = file;
    this.#codec = codec;
    this.#scratch = Buffer.alloc(codec.entrySize);
    this.#writtenCount = Math.floor(file.size() / codec.entrySize);
    if (this.#writtenCount > 0) this.#lastEntry = this.entryAt(this.#writtenCount - 1);
  }

  get path(): string {
    return this.#file.path;
  }

  get entryCount(): number {
    return this.#writtenCount + this.#pending.length;
  }

  /** True when the file holds a whole number of entries (a torn append leaves a remainder); pending ones always are. */
  get isWholeEntries(): boolean {
    return this.#file.size() % this.#codec.entrySize === 0;
  }

  get lastEntry(): Entry | null {
    return this.#lastEntry;
  }

  entryAt(slot: number): Entry {
    if (slot >= this.#writtenCount) {
      const pending = this.#pending[slot - this.#writtenCount];
      if (pending === undefined) throw new Error(`${this.#file.path}: index entry ${slot} is missing`);
      return pending;
    }
    const cached = this.#probeCache.get(slot);
    if (cached !== undefined) return cached;
    const read = this.#file.read(this.#scratch, 0, this.#codec.entrySize, slot * this.#codec.entrySize);
    if (read !== this.#codec.entrySize) throw new Error(`${this.#file.path}: index entry ${slot} is missing`);
    const entry = this.#codec.decode(this.#scratch);
    if (this.#probeCache.size >= PROBE_CACHE_CAPACITY) {
      const oldest = this.#probeCache.keys().next().value;
      if (oldest !== undefined) this.#probeCache.delete(oldest);
    }
    this.#probeCache.set(slot, entry);
    return entry;
  }

  /** Slot of the last entry for which `isAtOrBelowTarget` holds (entries must be sorted so that it holds for a prefix), or -1. */
  lastSlotWhere(isAtOrBelowTarget: (entry: Entry) => boolean): number {
    const count = this.entryCount;
    if (count === 0 || !isAtOrBelowTarget(this.entryAt(0))) return -1;
    const warmStart = Math.max(0, count - WARM_TAIL_ENTRIES);
    if (isAtOrBelowTarget(this.entryAt(warmStart))) return this.#binarySearch(warmStart, count - 1, isAtOrBelowTarget);
    return this.#binarySearch(0, warmStart - 1, isAtOrBelowTarget);
  }

  /** Adds an entry at the end; it is written with the next PENDING_ENTRIES_LIMIT, or by sync(). */
  append(entry: Entry): void {
    this.#pending.push(entry);
    this.#lastEntry = entry;
    if (this.#pending.length >= PENDING_ENTRIES_LIMIT) this.#writePending();
  }

  /** Keeps the first `count` entries; also drops a torn partial entry at the end. */
  truncateToEntries(count: number): void {
    const total = this.entryCount;
    const kept = Math.min(count, total);
    if (kept === total && this.isWholeEntries) return;
    if (kept >= this.#writtenCount) {
      if (!this.isWholeEntries) this.#file.truncate(this.#writtenCount * this.#codec.entrySize);
      this.#pending.length = kept - this.#writtenCount;
    } else {
      this.#pending = [];
      this.#file.truncate(kept * this.#codec.entrySize);
      this.#writtenCount = kept;
      this.#probeCache.clear();
    }
    const remaining = this.entryCount;
    this.#lastEntry = remaining > 0 ? this.entryAt(remaining - 1) : null;
  }

  /** Writes the pending entries, then makes the file durable. */
  sync(): void {
    this.#writePending();
    this.#file.sync();
  }

  /** Writes the pending entries (not durably) and closes the file. */
  close(): void {
    try {
      this.#writePending();
    } finally {
      this.#file.close();
    }
  }

  #writePending(): void {
    const pending = this.#pending;
    if (pending.length === 0) return;
    const size = this.#codec.entrySize;
    const bytes = Buffer.allocUnsafe(pending.length * size);
    for (let i = 0; i < pending.length; i++) this.#codec.encode(pending[i]!, bytes.subarray(i * size, (i + 1) * size));
    this.#file.append(bytes);
    this.#writtenCount += pending.length;
    this.#pending = [];
  }

  /** Binary search in [low, high] where the predicate is known to hold at `low`. */
  #binarySearch(low: number, high: number, isAtOrBelowTarget: (entry: Entry) => boolean): number {
    let found = low;
    let lo = low + 1;
    let hi = high;
    while (lo <= hi) {
      const middle = (lo + hi) >>> 1;
      if (isAtOrBelowTarget(this.entryAt(middle))) {
        found = middle;
        lo = middle + 1;
      } else {
        hi = middle - 1;
      }
    }
    return found;
  }
}

/** An index entry's offset is stored as an int32 relative to its segment's base offset. */
export interface RelativeOffsetEntry {
  relativeOffset: number;
}

/** Offsets inside a segment are stored as int32 relative to its base offset. */
export const MAX_RELATIVE_OFFSET = 0x7fffffffn;

/**
 * What the offset and time indexes of a segment share: entries keyed by offsets relative to the
 * segment's base offset, growing along the file, and the file's plumbing. `Absolute` is an entry
 * as callers see it, with absolute offsets.
 */
export abstract class SegmentIndex<Entry extends RelativeOffsetEntry, Absolute> {
  readonly baseOffset: bigint;
  protected readonly entries: IndexEntryFile<Entry>;
  readonly #name: string;

  /** `name` says which index this is in error messages. */
  constructor(file: FileHandle, baseOffset: bigint, codec: EntryCodec<Entry>, name: string) {
    this.baseOffset = baseOffset;
    this.entries = new IndexEntryFile(file, codec);
    this.#name = name;
  }

  get path(): string {
    return this.entries.path;
  }

  get entryCount(): number {
    return this.entries.entryCount;
  }

  get lastEntry(): Absolute | null {
    const last = this.entries.lastEntry;
    return last === null ? null : this.toAbsolute(last);
  }

  /** Removes the entries for offsets ≥ `offset`. */
  truncateTo(offset: bigint): void {
    if (offset <= this.baseOffset) {
      this.entries.truncateToEntries(0);
      return;
    }
    const relativeTarget = this.relativeForSearch(offset);
    // Relative offsets only grow along the file, so "offset < target" holds for a prefix.
    const slot = this.entries.lastSlotWhere((entry) => entry.relativeOffset < relativeTarget);
    this.entries.truncateToEntries(slot + 1);
  }

  reset(): void {
    this.entries.truncateToEntries(0);
  }

  sync(): void {
    this.entries.sync();
  }

  close(): void {
    this.entries.close();
  }

  protected abstract toAbsolute(entry: Entry): Absolute;

  /** `offset` relative to the base offset, checked to fit an entry. */
  protected relativeOffsetOf(offset: bigint): number {
    const relative = offset - this.baseOffset;
    if (relative < 0n || relative > MAX_RELATIVE_OFFSET) {
      throw new RangeError(`offset ${offset} does not fit the ${this.#name} of segment ${this.baseOffset}`);
    }
    return Number(relative);
  }

  /** Clamped so targets outside the segment still compare correctly against int32 entries. */
  protected relativeForSearch(offset: bigint): number {
    const relative = offset - this.baseOffset;
    if (relative < -1n) return -1;
    if (relative > MAX_RELATIVE_OFFSET) return Number(MAX_RELATIVE_OFFSET) + 1;
    return Number(relative);
  }
}
