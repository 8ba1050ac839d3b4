// How a segment's in-memory state is rebuilt from its files when it is opened or truncated: the
// fast way, from the last entries of its indexes plus a scan of the log after the last offset
// index entry, when those agree; else by recovery, a scan of the whole log that checks each
// batch (framing, magic 2, CRC, offsets increasing and within the segment's range), cuts the
// file after the last valid batch and hands every valid batch back so the indexes are rebuilt.
// Kafka does the same in LogSegment.recover and the index sanity checks.
//
// Ownership: none kept. The Segment owns the files and the state; these functions read its
// files, recovery truncates its log, and both report what the Segment is to take on.

import { BATCH_HEADER_SIZE } from "../protocol/record-batch/layout.ts";
import { crcIsValid } from "../protocol/record-batch/splitter.ts";
import type { FileHandle } from "./file-system.ts";
import { MAX_RELATIVE_OFFSET } from "./index-file.ts";
import type { OffsetIndex } from "./offset-index.ts";
import {
  BatchFileScanner,
  BULK_SCAN_BUFFER_BYTES,
  NO_TIMESTAMP,
  READ_SCAN_BUFFER_BYTES,
  readExactly,
  readStoredBatchHeader,
  type StoredBatchHeader,
} from "./record-batch.ts";
import type { TimeIndex } from "./time-index.ts";

export interface RecoveryResult {
  validBytes: number;
  truncatedBytes: number;
  batchCount: number;
  /** Why the scan stopped before the end of the file, or null when the whole file was valid. */
  problem: string | null;
}

/** A segment's state as its indexes and the log after the last offset index entry give it. */
export interface IndexedState {
  nextOffset: bigint;
  maxTimestamp: bigint;
  offsetOfMaxTimestamp: bigint;
  bytesSinceLastIndexEntry: number;
  /** The header of the segment's first batch, or null when the log is empty. */
  firstBatch: StoredBatchHeader | null;
}

/**
 * Scans the whole log of the segment based at `baseOffset`, passing each valid batch to
 * `onValidBatch` in order, and truncates the file after the last one.
 */
export function recoverLog(
  log: FileHandle,
  baseOffset: bigint,
  onValidBatch: (position: number, header: StoredBatchHeader) => void,
): RecoveryResult {
  const sizeBefore = log.size();
  const scanner = new BatchFileScanner(log, 0, sizeBefore, BULK_SCAN_BUFFER_BYTES);
  let nextOffset = baseOffset;
  let validBytes = 0;
  let batchCount = 0;
  let problem: string | null = null;
  for (;;) {
    const step = scanner.next();
    if (step.kind === "end") break;
    if (step.kind === "invalid") {
      problem = step.problem;
      break;
    }
    const { header } = step;
    problem = batchProblem(header, nextOffset, baseOffset, scanner);
    if (problem !== null) break;
    onValidBatch(step.position, header);
    nextOffset = header.lastOffset + 1n;
    validBytes = step.position + header.sizeInBytes;
    batchCount += 1;
  }
  if (validBytes < sizeBefore) log.truncate(validBytes);
  return { validBytes, truncatedBytes: sizeBefore - validBytes, batchCount, problem };
}

/**
 * The state of the segment based at `baseOffset` from its indexes plus a scan of the log after
 * the last offset index entry (every earlier batch is covered by the last time index entry), or
 * null when the indexes or that tail are inconsistent, in which case the segment needs recovery.
 */
export function stateFromIndexes(
  log: FileHandle,
  offsetIndex: OffsetIndex,
  timeIndex: TimeIndex,
  baseOffset: bigint,
): IndexedState | null {
  const logSize = log.size();
  if (!offsetIndex.isConsistentWith(logSize)) return null;
  const lastEntry = offsetIndex.lastEntry;
  const lastTimeEntry = timeIndex.lastEntry;
  let maxTimestamp = lastTimeEntry?.timestamp ?? NO_TIMESTAMP;
  let offsetOfMaxTimestamp = lastTimeEntry?.offset ?? baseOffset;
  let nextOffset = lastEntry?.offset ?? baseOffset;
  const tailStart = lastEntry?.position ?? 0;
  const scanner = new BatchFileScanner(log, tailStart, logSize, READ_SCAN_BUFFER_BYTES);
  for (let step = scanner.next(); step.kind !== "end"; step = scanner.next()) {
    if (step.kind === "invalid") return null;
    const { header } = step;
    if (batchProblem(header, nextOffset, baseOffset, scanner) !== null) return null;
    if (header.maxTimestamp > maxTimestamp) {
      maxTimestamp = header.maxTimestamp;
      offsetOfMaxTimestamp = header.baseOffset;
    }
    nextOffset = header.lastOffset + 1n;
  }
  if (!timeIndex.isConsistentWith(nextOffset)) return null;
  let firstBatch: StoredBatchHeader | null = null;
  if (logSize > 0) {
    const first = Buffer.alloc(BATCH_HEADER_SIZE);
    readExactly(log, first, 0);
    firstBatch = readStoredBatchHeader(first);
  }
  return { nextOffset, maxTimestamp, offsetOfMaxTimestamp, bytesSinceLastIndexEntry: logSize - tailStart, firstBatch };
}

/**
 * After a restart, segment age (for rolling) counts from the first batch's timestamp if that is
 * earlier than now: the segment is as old as its data, not as the process.
 */
export function rollingBaseTimeAfterRestart(firstBatch: StoredBatchHeader, now: number): number {
  return firstBatch.maxTimestamp >= 0n && Number(firstBatch.maxTimestamp) < now ? Number(firstBatch.maxTimestamp) : now;
}

/** Why the batch the scanner just returned cannot follow offset `nextOffset` in the segment, or null. */
function batchProblem(
  header: StoredBatchHeader,
  nextOffset: bigint,
  baseOffset: bigint,
  scanner: BatchFileScanner,
): string | null {
  if (header.baseOffset < nextOffset) return "offset-not-increasing";
  if (header.lastOffsetDelta < 0) return "negative-last-offset-delta";
  if (header.lastOffset - baseOffset > MAX_RELATIVE_OFFSET) return "offset-beyond-segment-range";
  return crcIsValid(scanner.currentBatchBytes(), 0) ? null : "crc-mismatch";
}
