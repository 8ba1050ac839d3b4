// Where the last batches appended to the active segment are, kept in memory: a consumer or a
// follower that is caught up fetches from the tail of the log, and finding its batch through the
// sparse offset index meant reading and parsing up to index.interval.bytes of batch headers from
// the file for every fetch (one command at a time, each its own batch, made that most of a fetch's
// cost). Reads from offsets older than what is remembered go through the index as before.
//
// Ownership: one per active Segment, which pushes every batch it appends and clears it whenever
// the file changes other than by an append (truncation, recovery). Offsets are relative to the
// segment's base offset (they fit in 31 bits, see MAX_RELATIVE_OFFSET), so lookups compare plain
// numbers.

export type RecentReadStop = "segment-end" | "max-bytes" | "upper-bound";

export interface RecentRead {
  /** Byte position of the first batch to return, and how many bytes of whole batches follow from it. */
  position: number;
  length: number;
  stoppedBy: RecentReadStop;
}

export class RecentBatches {
  readonly #baseOffsets: Int32Array;
  readonly #lastOffsets: Int32Array;
  readonly #positions: Float64Array;
  readonly #sizes: Int32Array;
  /** Slot of the oldest entry, and how many entries are held. */
  #oldest = 0;
  #count = 0;

  constructor(readonly capacity: number) {
    this.#baseOffsets = new Int32Array(capacity);
    this.#lastOffsets = new Int32Array(capacity);
    this.#positions = new Float64Array(capacity);
    this.#sizes = new Int32Array(capacity);
  }

  clear(): void {
    this.#oldest = 0;
    this.#count = 0;
  }

  /** The batch just appended, right after the previous one (offsets relative to the segment's base). */
  push(baseOffset: number, lastOffset: number, position: number, size: number): void {
    if (this.capacity === 0) return;
    let slot: number;
    if (this.#count < this.capacity) {
      slot = (this.#oldest + this.#count) % this.capacity;
      this.#count++;
    } else {
      slot = this.#oldest;
      this.#oldest = (this.#oldest + 1) % this.capacity;
    }
    this.#baseOffsets[slot] = baseOffset;
    this.#lastOffsets[slot] = lastOffset;
    this.#positions[slot] = position;
    this.#sizes[slot] = size;
  }

  /**
   * What Segment.read would return for a read from `offset` (relative), from memory: null when the
   * offset is older than the oldest batch remembered. `upperBound` (relative) leaves out batches
   * holding offsets at or above it.
   */
  plan(offset: number, maxBytes: number, minOneBatch: boolean, upperBound?: number): RecentRead | null {
    if (this.#count === 0 || offset < this.#baseOffsets[this.#oldest]!) return null;
    const first = this.#firstEndingAtOrAfter(offset);
    if (first === this.#count) return { position: 0, length: 0, stoppedBy: "segment-end" };
    const position = this.#positions[this.#slot(first)]!;
    let length = 0;
    for (let i = first; i < this.#count; i++) {
      const slot = this.#slot(i);
      if (upperBound !== undefined && this.#lastOffsets[slot]! >= upperBound)
        return { position, length, stoppedBy: "upper-bound" };
      const size = this.#sizes[slot]!;
      if (length + size > maxBytes && !(length === 0 && minOneBatch))
        return { position, length, stoppedBy: "max-bytes" };
      length += size;
    }
    return { position, length, stoppedBy: "segment-end" };
  }

  #slot(i: number): number {
    return (this.#oldest + i) % this.capacity;
  }

  /** The first entry (counted from the oldest) whose last offset is ≥ `offset`; #count when none is. */
  #firstEndingAtOrAfter(offset: number): number {
    let low = 0;
    let high = this.#count;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.#lastOffsets[this.#slot(middle)]! >= offset) high = middle;
      else low = middle + 1;
    }
    return low;
  }
}
