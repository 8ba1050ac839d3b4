// Shared pieces of the segment tests (segment, segment-recovery): a segment at a fixed base
// offset on a temp dir, and batches appended to it with offsets and timestamps that follow on.

import type { TestContext } from "node:test";
import { nodeFileSystem } from "../../../broker/storage/file-system.ts";
import { readStoredBatchHeader } from "../../../broker/storage/record-batch.ts";
import { Segment, type SegmentOptions } from "../../../broker/storage/segment.ts";
import { batchOfSize } from "./batch-builder.ts";
import { manualClock } from "./faulty-file-system.ts";

export const BASE = 100n;

export function options(indexIntervalBytes = 0): SegmentOptions {
  return { indexIntervalBytes, clock: manualClock().clock };
}

export function createSegment(t: TestContext, dir: string, indexIntervalBytes = 0): Segment {
  const segment = Segment.create(nodeFileSystem, dir, BASE, options(indexIntervalBytes));
  t.after(() => segment.close());
  return segment;
}

/** Appends `count` batches of `recordsPerBatch` records with increasing timestamps; returns them with offsets set. */
export function appendBatches(segment: Segment, count: number, recordsPerBatch = 3, valueBytes = 40): Buffer[] {
  const batches: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const baseOffset = segment.nextOffset;
    const batch = batchOfSize(recordsPerBatch, valueBytes, { baseOffset, baseTimestamp: 10_000n + BigInt(i) * 100n });
    const header = readStoredBatchHeader(batch);
    segment.append(batch, baseOffset, header.lastOffset, header.maxTimestamp);
    batches.push(batch);
  }
  return batches;
}
