// What a partition log does to records before it stores them (Kafka's LogValidator): checks they
// are whole magic-2 batches it can append, then assigns offsets by rewriting each batch's
// baseOffset in place, consecutively from the log end, and stamps the leader epoch. Both fields
// lie outside the CRC, so the batch stays valid and is stored as received, with no copy. CRCs
// are the caller's to check (the broker's Partition does, before the records reach the log).
// A follower's batches come from its leader with offsets and epochs already set: they are
// checked (layout, CRC, offsets rising from the log end) and stored untouched.
//
// Ownership: none kept. The caller's buffer is rewritten in place; it belongs to the append.

import { lastOffsetOf, writeBaseOffset, writePartitionLeaderEpoch } from "../protocol/record-batch/layout.ts";
import { type BatchLocation, crcIsValid, splitBatches } from "../protocol/record-batch/splitter.ts";
import { NO_TIMESTAMP } from "./record-batch.ts";

export class MalformedRecordsError extends Error {}

/**
 * A follower's records start below the log end (Kafka's UnexpectedAppendOffsetException): the
 * follower fetched from the wrong offset, or from a leader whose log is not batch-aligned there.
 */
export class UnexpectedAppendOffsetError extends Error {
  constructor(
    readonly firstOffset: bigint,
    readonly logEndOffset: bigint,
  ) {
    super(`records start at offset ${firstOffset}, below the log end offset ${logEndOffset}`);
  }
}

/** A follower's batches do not have rising offsets (Kafka's OffsetsOutOfOrderException). */
export class OffsetsOutOfOrderError extends Error {}

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

export interface FollowerBatches extends AssignedOffsets {
  batches: readonly BatchLocation[];
  baseOffset: bigint;
}

/**
 * Checks a follower's records before they are stored as they are: whole magic-2 batches with
 * valid CRCs (else MalformedRecordsError), the first starting at or after `logEndOffset` (else
 * UnexpectedAppendOffsetError) and each after the one before (else OffsetsOutOfOrderError). A gap
 * above the log end is accepted, as Kafka does: a compacted leader log has such gaps.
 */
export function followerBatches(records: Buffer, logEndOffset: bigint): FollowerBatches {
  const batches = appendableBatches(records);
  const baseOffset = batches[0]!.header.baseOffset;
  if (baseOffset < logEndOffset) throw new UnexpectedAppendOffsetError(baseOffset, logEndOffset);
  let nextOffset = baseOffset;
  let maxTimestamp = NO_TIMESTAMP;
  let recordCount = 0;
  for (const { position, header } of batches) {
    if (!crcIsValid(records, position))
      throw new MalformedRecordsError(`batch at byte ${position} fails its CRC check`);
    if (header.baseOffset < nextOffset) {
      throw new OffsetsOutOfOrderError(
        `batch at byte ${position} starts at offset ${header.baseOffset}, expected at least ${nextOffset}`,
      );
    }
    nextOffset = lastOffsetOf(header) + 1n;
    if (header.maxTimestamp > maxTimestamp) maxTimestamp = header.maxTimestamp;
    recordCount += header.recordCount;
  }
  return { batches, baseOffset, lastOffset: nextOffset - 1n, maxTimestamp, recordCount };
}

function wholeBatches(records: Buffer): readonly BatchLocation[] {
  const { batches, problem } = splitBatches(records);
  if (problem !== null) throw new MalformedRecordsError(problem.message);
  return batches;
}
