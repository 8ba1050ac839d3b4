// What a partition log does to records before it stores them (Kafka's LogValidator): checks they
// are whole magic-2 batches it can append, then assigns offsets by rewriting each batch's
// baseOffset in place, consecutively from the log end, and stamps the leader epoch. Both fields
// lie outside the CRC, so the batch stays valid and is stored as received, with no copy. CRCs
// are the caller's to check (the broker's Partition does, before the records reach the log).
//
// Ownership: none kept. The caller's buffer is rewritten in place; it belongs to the append.

import { writeBaseOffset, writePartitionLeaderEpoch } from "../protocol/record-batch/layout.ts";
import { type BatchLocation, splitBatches } from "../protocol/record-batch/splitter.ts";
import { NO_TIMESTAMP } from "./record-batch.ts";

export class MalformedRecordsError extends Error {}

export interface AssignedOffsets {
  lastOffset: bigint;
  /** Largest batch maxTimestamp, or NO_TIMESTAMP. */
  maxTimestamp: bigint;
  recordCount: number;
}

/**
 * The batches of `records` to append: `split` when the caller already split them (the produce
 * path reads each header once), else those found by splitting `records`. Throws
 * MalformedRecordsError when there is none, the bytes are not whole batches, or a batch's
 * lastOffsetDelta is negative.
 */
export function appendableBatches(records: Buffer, split?: readonly BatchLocation[]): readonly BatchLocation[] {
  const batches = split ?? wholeBatches(records);
  if (batches.length === 0) throw new MalformedRecordsError("no batch to append");
  for (const { position, header } of batches) {
    if (header.lastOffsetDelta < 0)
      throw new MalformedRecordsError(`batch at byte ${position} has lastOffsetDelta ${header.lastOffsetDelta}`);
  }
  return batches;
}

/** Gives the batches consecutive offsets from `baseOffset` and the leader epoch, in place in `records`. */
export function assignOffsets(
  records: Buffer,
  batches: readonly BatchLocation[],
  baseOffset: bigint,
  leaderEpoch: number,
): AssignedOffsets {
  let nextOffset = baseOffset;
  let maxTimestamp = NO_TIMESTAMP;
  let recordCount = 0;
  for (const { position, header } of batches) {
    writeBaseOffset(records, position, nextOffset);
    writePartitionLeaderEpoch(records, position, leaderEpoch);
    nextOffset += BigInt(header.lastOffsetDelta) + 1n;
    if (header.maxTimestamp > maxTimestamp) maxTimestamp = header.maxTimestamp;
    recordCount += header.recordCount;
  }
  return { lastOffset: nextOffset - 1n, maxTimestamp, recordCount };
}

function wholeBatches(records: Buffer): readonly BatchLocation[] {
  const { batches, problem } = splitBatches(records);
  if (problem !== null) throw new MalformedRecordsError(problem.message);
  return batches;
}
