// Sparse time index of one segment, `<base offset>.timeindex`: entries of (timestamp int64,
// offset relative to the segment's base int32), strictly increasing in both. An entry (t, o) is
// the largest batch timestamp seen up to some point of the segment and the offset where it was
// seen, so every batch before o has a timestamp ≤ t: a search for timestamp T can skip to the last
// entry with t < T and scan the log from its offset.

import type { FileHandle } from "./file-system.ts";
import { IndexEntryFile } from "./index-file.ts";
import type { EntryCodec } from "./index-file.ts";

export const TIME_INDEX_ENTRY_SIZE = 12;

export interface TimestampOffset {
  timestamp: bigint;
  offset: bigint;
}

interface RelativeEntry {
  timestamp: bigint;
  relativeOffset: number;
}

const codec: EntryCodec<RelativeEntry> = {
  entrySize: TIME_INDEX_ENTRY_SIZE,
  decode: (bytes) => ({ timestamp: bytes.readBigInt64BE(0), relativeOffset: bytes.readInt32BE(8) }),
  encode: (entry, into) => {
    into.writeBigInt64BE(entry.timestamp, 0);
    into.writeInt32BE(entry.relativeOffset, 8);
  },
};

export class TimeIndex {
  readonly baseOffset: bigint;
  readonly #entries: IndexEntryFile<RelativeEntry>;

  constructor(file: FileHandle, baseOffset: bigint) {
    this.baseOffset = baseOffset;
    this.#entries = new IndexEntryFile(file, codec);
  }

  get path(): string {
    return this.#entries.path;
  }

  get entryCount(): number {
    return this.#entries.entryCount;
  }

  get lastEntry(): TimestampOffset | null {
    const last = this.#entries.lastEntry;
    return last === null ? null : this.#absolute(last);
  }

  /** The last entry whose timestamp is strictly below `timestamp`, or null: scan from the segment start. */
  lastEntryBefore(timestamp: bigint): TimestampOffset | null {
    const slot = this.#entries.lastSlotWhere((entry) => entry.timestamp < timestamp);
    return slot < 0 ? null : this.#absolute(this.#entries.entryAt(slot));
  }

  /** Appends only when `timestamp` is above the last entry's, which keeps the index strictly increasing. */
  maybeAppend(timestamp: bigint, offset: bigint): boolean {
    const last = this.#entries.lastEntry;
    if (last !== null && timestamp <= last.timestamp) return false;
    const relativeOffset = Number(offset - this.baseOffset);
    if (relativeOffset < 0 || relativeOffset > 0x7fffffff) {
      throw new RangeError(`offset ${offset} does not fit the time index of segment ${this.baseOffset}`);
    }
    if (last !== null && relativeOffset < last.relativeOffset) {
      throw new Error(`${this.path}: offset ${offset} is before the last entry's`);
    }
    this.#entries.append({ timestamp, relativeOffset });
    return true;
  }

  /** Removes the entries for offsets ≥ `offset`. */
  truncateTo(offset: bigint): void {
    const relative = offset - this.baseOffset;
    if (relative <= 0n) {
      this.#entries.truncateToEntries(0);
      return;
    }
    const relativeTarget = relative > 0x7fffffffn ? 0x7fffffff + 1 : Number(relative);
    // Offsets in the time index only grow, so "offset < target" holds for a prefix.
    const slot = this.#entries.lastSlotWhere((entry) => entry.relativeOffset < relativeTarget);
    this.#entries.truncateToEntries(slot + 1);
  }

  reset(): void {
    this.#entries.truncateToEntries(0);
  }

  isConsistentWith(segmentNextOffset: bigint): boolean {
    if (!this.#entries.isWholeEntries) return false;
    const last = this.#entries.lastEntry;
    if (last === null) return true;
    return last.relativeOffset >= 0 && this.baseOffset + BigInt(last.relativeOffset) < segmentNextOffset;
  }

  sync(): void {
    this.#entries.sync();
  }

  close(): void {
    this.#entries.close();
  }

  #absolute(entry: RelativeEntry): TimestampOffset {
    return { timestamp: entry.timestamp, offset: this.baseOffset + BigInt(entry.relativeOffset) };
  }
}
