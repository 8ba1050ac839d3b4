// Reading across the segments of one partition log: whole batches from an offset on, the first
// batch at or after a timestamp, and every batch for a state rebuild. Each segment reads its
// own files (segment.ts); this walks from one segment into the next.
//
// Ownership: none kept. The LocalLog owns the segments and its PartitionLog calls these
// synchronously, so no write happens while they read.

import { type Segment, type StoredBatch, segmentIndexFor } from "./segment.ts";

/**
 * Whole batches, as stored, from the one containing `fetchOffset` (within the log), crossing into
 * later segments while under `maxBytes`; see PartitionLog.read.
 */
export function readBatches(
  segments: readonly Segment[],
  fetchOffset: bigint,
  maxBytes: number,
  minOneBatch: boolean,
  upperBoundOffset: bigint,
): { chunks: Buffer[]; size: number } {
  const chunks: Buffer[] = [];
  let size = 0;
  let startOffset = fetchOffset;
  for (let i = segmentIndexFor(segments, fetchOffset); i < segments.length; i++) {
    const segment = segments[i]!;
    if (segment.baseOffset > startOffset) startOffset = segment.baseOffset;
    const { data, stoppedBy } = segment.read(startOffset, maxBytes - size, minOneBatch && size === 0, upperBoundOffset);
    if (data.length > 0) {
      chunks.push(data);
      size += data.length;
    }
    if (stoppedBy !== "segment-end") break;
  }
  return { chunks, size };
}

/** The first batch whose maxTimestamp ≥ `timestamp`: its base offset (at least `logStartOffset`) and that timestamp. */
export function findOffsetForTimestamp(
  segments: readonly Segment[],
  timestamp: bigint,
  logStartOffset: bigint,
): { offset: bigint; timestamp: bigint } | null {
  for (const segment of segments) {
    if (segment.maxTimestamp < timestamp) continue;
    const found = segment.findByTimestamp(timestamp, logStartOffset);
    if (found !== null) return found;
  }
  return null;
}

/** Every stored batch from the one containing `fromOffset`, read through a large buffer. */
export function* batchesFrom(segments: readonly Segment[], fromOffset: bigint): Generator<StoredBatch> {
  const first = segmentIndexFor(segments, fromOffset);
  for (let i = first; i < segments.length; i++) {
    const segment = segments[i]!;
    yield* segment.batches(i === first && fromOffset > segment.baseOffset ? fromOffset : segment.baseOffset);
  }
}
