// Sparse offset index of one segment, `<base offset>.index`: entries of (offset relative to the
// segment's base, int32; byte position of a batch in the log, int32), one per
// indexIntervalBytes of appended log. An entry (o, p) means the batch at p starts at offset o, so
// the batch holding any offset ≥ o is at p or after it.

import type { FileHandle } from "./file-system.ts";
import type { EntryCodec, RelativeOffsetEntry } from "./index-file.ts";
import { SegmentIndex } from "./index-file.ts";

export const OFFSET_INDEX_ENTRY_SIZE = 8;

export interface OffsetPosition {
  offset: bigint;
  position: number;
}

interface RelativeEntry extends RelativeOffsetEntry {
  position: number;
}

const codec: EntryCodec<RelativeEntry> = {
  entrySize: OFFSET_INDEX_ENTRY_SIZE,
  decode: (bytes) => ({ relativeOffset: bytes.readInt32BE(0), position: bytes.readInt32BE(4) }),
  encode: (entry, into) => {
    into.writeInt32BE(entry.relativeOffset, 0);
    into.writeInt32BE(entry.position, 4);
  },
};

export class OffsetIndex extends SegmentIndex<RelativeEntry, OffsetPosition> {
  constructor(file: FileHandle, baseOffset: bigint) {
    super(file, baseOffset, codec, "index");
  }

  /** The entry with the largest offset ≤ `targetOffset`, or the segment start when there is none. */
  lookup(targetOffset: bigint): OffsetPosition {
    const relativeTarget = this.relativeForSearch(targetOffset);
    const slot = this.entries.lastSlotWhere((entry) => entry.relativeOffset <= relativeTarget);
    if (slot < 0) return { offset: this.baseOffset, position: 0 };
    return this.toAbsolute(this.entries.entryAt(slot));
  }

  entryAt(slot: number): OffsetPosition {
    return this.toAbsolute(this.entries.entryAt(slot));
  }

  append(offset: bigint, position: number): void {
    const relativeOffset = this.relativeOffsetOf(offset);
    const last = this.entries.lastEntry;
    if (last !== null && (relativeOffset <= last.relativeOffset || position <= last.position)) {
      throw new Error(
        `${this.path}: entry (${offset}, ${position}) is not after the last entry (${this.baseOffset + BigInt(last.relativeOffset)}, ${last.position})`,
      );
    }
    this.entries.append({ relativeOffset, position });
  }

  /**
   * Cheap consistency checks for an index loaded without rebuilding: whole entries, and a last
   * entry that points inside the log. A failed check means the index must be rebuilt.
   */
  isConsistentWith(logSize: number): boolean {
    if (!this.entries.isWholeEntries) return false;
    const last = this.entries.lastEntry;
    if (last === null) return true;
    const first = this.entries.entryAt(0);
    return first.relativeOffset >= 0 && last.relativeOffset >= first.relativeOffset && last.position < logSize;
  }

  protected toAbsolute(entry: RelativeEntry): OffsetPosition {
    return { offset: this.baseOffset + BigInt(entry.relativeOffset), position: entry.position };
  }
}
