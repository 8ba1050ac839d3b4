// Shared machinery of the offset and time indexes: a file of fixed-size entries, sorted by a key,
// searched with binary search through positional reads. Entries are never all held in memory,
// so memory does not grow with retained data; a few recently probed entries are cached.

import type { FileHandle } from "./file-system.ts";

const PROBE_CACHE_CAPACITY = 64;
/**
 * Lookups cluster near the end of an index (consumers fetch recent data), so the search first
 * decides between this tail and the rest; the tail's probe path then stays the same from one
 * lookup to the next and hits the cache, as the tail barely moves while entries are appended.
 */
const WARM_TAIL_ENTRIES = 1024;

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
  #entryCount: number;
  #lastEntry: Entry | null = null;

  constructor(file: FileHandle, codec: EntryCodec<Entry>) {
    this.#file = file;
    this.#codec = codec;
    this.#scratch = Buffer.alloc(codec.entrySize);
    this.#entryCount = Math.floor(file.size() / codec.entrySize);
    if (this.#entryCount > 0) this.#lastEntry = this.entryAt(this.#entryCount - 1);
  }

  get path(): string {
    return this.#file.path;
  }

  get entryCount(): number {
    return this.#entryCount;
  }

  /** True when the file holds a whole number of entries (a torn append leaves a remainder). */
  get isWholeEntries(): boolean {
    return this.#file.size() % this.#codec.entrySize === 0;
  }

  get lastEntry(): Entry | null {
    return this.#lastEntry;
  }

  entryAt(slot: number): Entry {
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
    const count = this.#entryCount;
    if (count === 0 || !isAtOrBelowTarget(this.entryAt(0))) return -1;
    const warmStart = Math.max(0, count - WARM_TAIL_ENTRIES);
    if (isAtOrBelowTarget(this.entryAt(warmStart))) return this.#binarySearch(warmStart, count - 1, isAtOrBelowTarget);
    return this.#binarySearch(0, warmStart - 1, isAtOrBelowTarget);
  }

  append(entry: Entry): void {
    const bytes = Buffer.alloc(this.#codec.entrySize);
    this.#codec.encode(entry, bytes);
    this.#file.append(bytes);
    this.#entryCount += 1;
    this.#lastEntry = entry;
  }

  /** Keeps the first `count` entries; also drops a torn partial entry at the end. */
  truncateToEntries(count: number): void {
    const kept = Math.min(count, this.#entryCount);
    if (kept === this.#entryCount && this.isWholeEntries) return;
    this.#file.truncate(kept * this.#codec.entrySize);
    this.#entryCount = kept;
    this.#probeCache.clear();
    this.#lastEntry = this.#entryCount > 0 ? this.entryAt(this.#entryCount - 1) : null;
  }

  sync(): void {
    this.#file.sync();
  }

  close(): void {
    this.#file.close();
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
