// Sparse time index of one segment, `<base offset>.timeindex`: entries of (timestamp int64,
// offset relative to the segment's base int32), strictly increasing in both. An entry (t, o) is
// the largest batch timestamp seen up to some point of the segment and the offset where it was
// seen, so every batch before o has a timestamp ≤ t: a search for timestamp T can skip to the last
// entry with t < T and scan the log from its offset.

import type { FileHandle } from "./file-system.ts";
import type { EntryCodec, RelativeOffsetEntry } from "./index-file.ts";
import { SegmentIndex } from "./index-file.ts";

export const TIME_INDEX_ENTRY_SIZE = 12;

export interface TimestampOffset {
  timestamp: bigint;
  offset: bigint;
}

interface RelativeEntry extends RelativeOffsetEntry {
  timestamp: bigint;
}

const codec: EntryCodec<RelativeEntry> = {
  entrySize: TIME_INDEX_ENTRY_SIZE,
  decode: (bytes) => ({ timestamp: bytes.readBigInt64BE(0), relativeOffset: bytes.readInt32BE(8) }),
  encode: (entry, into) => {
    into.writeBigInt64BE(entry.timestamp, 0);
    into.writeInt32BE(entry.relativeOffset, 8);
  },
};

export class TimeIndex extends SegmentIndex<RelativeEntry, TimestampOffset> {
  constructor(file: FileHandle, baseOffset: bigint) {
    super(file, baseOffset, codec, "time index");
  }

  /** The last entry whose timestamp is strictly below `timestamp`, or null: scan from the segment start. */
  lastEntryBefore(timestamp: bigint): TimestampOffset | null {
    const slot = this.entries.lastSlotWhere((entry) => entry.timestamp < timestamp);
    return slot < 0 ? null : this.toAbsolute(this.entries.entryAt(slot));
  }

  /** Appends only when `timestamp` is above the last entry's, which keeps the index strictly increasing. */
  maybeAppend(timestamp: bigint, offset: bigint): boolean {
    const last = this.entries.lastEntry;
    if (last !== null && timestamp <= last.timestamp) return false;
    const relativeOffset = this.relativeOffsetOf(offset);
    if (last !== null && relativeOffset < last.relativeOffset) {
      throw new Error(`${this.path}: offset ${offset} is before the last entry's`);
    }
    this.entries.append({ timestamp, relativeOffset });
    return true;
  }

  isConsistentWith(segmentNextOffset: bigint): boolean {
    if (!this.entries.isWholeEntries) return false;
    const last = this.entries.lastEntry;
    if (last === null) return true;
    return last.relativeOffset >= 0 && this.baseOffset + BigInt(last.relativeOffset) < segmentNextOffset;
  }

  protected toAbsolute(entry: RelativeEntry): TimestampOffset {
    return { timestamp: entry.timestamp, offset: this.baseOffset + BigInt(entry.relativeOffset) };
  }
}
