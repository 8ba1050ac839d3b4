// Log compaction for logs with cleanupPolicy "compact" (such as __consumer_offsets): in the
// sealed segments only the latest record of each key is kept, and a tombstone (null value) that
// is the latest of its key is dropped once its segment is older than deleteRetentionMs.
//
// Offsets never change: a batch that loses records is rebuilt with its original header (base
// offset, lastOffsetDelta, timestamps, producer fields) around the kept records' original bytes,
// whose offset and timestamp deltas stay valid; only length, count and CRC are recomputed.
// Compressed, transactional and control batches, and any whose records do not decode, are
// copied unchanged. Each segment is rewritten into `.cleaned` files and swapped in by rename (see
// Segment.replace).

import { ProtocolDecodeError } from "../protocol/primitives.ts";
import { decodeRecordsWithRanges, type RecordWithRange } from "../protocol/record-batch/decoder.ts";
import { rebuildBatchWithRecords } from "../protocol/record-batch/encoder.ts";
import {
  CompressionCodec,
  compressionCodecOf,
  isControlBatch,
  isTransactionalBatch,
} from "../protocol/record-batch/layout.ts";
import type { PartitionLog } from "./partition-log.ts";
import type { Segment, StoredBatch } from "./segment.ts";

export interface CleanerOptions {
  /** How long a tombstone stays readable after its segment's newest batch; Kafka's delete.retention.ms. */
  deleteRetentionMs?: number;
  now?: number;
}

export interface CleanerResult {
  segmentsRewritten: number;
  recordsRemoved: number;
  bytesBefore: number;
  bytesAfter: number;
}

/** Compacts the sealed segments of `log`; see the top of this file. */
export function compactLog(log: PartitionLog, options: CleanerOptions = {}): CleanerResult {
  if (log.config.cleanupPolicy !== "compact")
    throw new Error(`log ${log.dir} is not compacted (cleanupPolicy ${log.config.cleanupPolicy})`);
  const now = options.now ?? Date.now();
  const deleteRetentionMs = options.deleteRetentionMs ?? 0;
  const sealed = log.sealedSegments();
  const { latestOffsetByKey, sawOpaqueBatch } = buildLatestOffsetMap(sealed);
  const result: CleanerResult = { segmentsRewritten: 0, recordsRemoved: 0, bytesBefore: 0, bytesAfter: 0 };
  for (const segment of sealed) {
    // With opaque batches around, an older copy of a key may survive unseen: keep its tombstone.
    const dropTombstones = !sawOpaqueBatch && segment.largestTimestampMs() < now - deleteRetentionMs;
    const filter = (batch: StoredBatch) => filterBatch(batch, latestOffsetByKey, dropTombstones);
    if (!needsCleaning(segment, filter)) continue;
    const sizeBefore = segment.size;
    const removed = rewriteSegment(log, segment, filter);
    result.segmentsRewritten += 1;
    result.recordsRemoved += removed.records;
    result.bytesBefore += sizeBefore;
    result.bytesAfter += removed.cleanedSize;
  }
  return result;
}

type BatchVerdict =
  | { kind: "keep" }
  | { kind: "drop"; removedRecords: number }
  | { kind: "rewrite"; bytes: Buffer; removedRecords: number };

/**
 * The records the cleaner may filter, or null for a batch it must copy unchanged: compressed,
 * transactional or control batches, and batches whose records do not decode (the broker checks a
 * produced batch's CRC, not its record encoding, so a faulty producer must not stall cleaning).
 */
function filterableRecords(batch: StoredBatch): RecordWithRange[] | null {
  if (
    compressionCodecOf(batch.attributes) !== CompressionCodec.None ||
    isTransactionalBatch(batch.attributes) ||
    isControlBatch(batch.attributes)
  ) {
    return null;
  }
  try {
    return decodeRecordsWithRanges(batch.bytes, 0).records;
  } catch (error) {
    if (error instanceof ProtocolDecodeError) return null;
    throw error;
  }
}

function buildLatestOffsetMap(segments: readonly Segment[]): {
  latestOffsetByKey: Map<string, bigint>;
  sawOpaqueBatch: boolean;
} {
  const latestOffsetByKey = new Map<string, bigint>();
  let sawOpaqueBatch = false;
  for (const segment of segments) {
    for (const batch of segment.batches()) {
      const records = filterableRecords(batch);
      if (records === null) {
        sawOpaqueBatch = true;
        continue;
      }
      for (const record of records) {
        if (record.key !== null) latestOffsetByKey.set(keyOf(record.key), record.offset);
      }
    }
  }
  return { latestOffsetByKey, sawOpaqueBatch };
}

// latin1 maps each byte to one UTF-16 unit, so distinct byte keys stay distinct strings.
function keyOf(key: Buffer): string {
  return key.toString("latin1");
}

function filterBatch(
  batch: StoredBatch,
  latestOffsetByKey: Map<string, bigint>,
  dropTombstones: boolean,
): BatchVerdict {
  const records = filterableRecords(batch);
  if (records === null) return { kind: "keep" };
  // Records without a key cannot be superseded, so they are kept.
  const kept = records.filter(
    (record) =>
      record.key === null ||
      (latestOffsetByKey.get(keyOf(record.key)) === record.offset && !(record.value === null && dropTombstones)),
  );
  const removedRecords = records.length - kept.length;
  if (removedRecords === 0) return { kind: "keep" };
  if (kept.length === 0) return { kind: "drop", removedRecords };
  return { kind: "rewrite", bytes: rebuildBatchWithRecords(batch.bytes, kept), removedRecords };
}

function needsCleaning(segment: Segment, filter: (batch: StoredBatch) => BatchVerdict): boolean {
  for (const batch of segment.batches()) {
    if (filter(batch).kind !== "keep") return true;
  }
  return false;
}

function rewriteSegment(
  log: PartitionLog,
  original: Segment,
  filter: (batch: StoredBatch) => BatchVerdict,
): { records: number; cleanedSize: number } {
  const cleaned = log.createCleanedSegment(original.baseOffset);
  let removedRecords = 0;
  try {
    for (const batch of original.batches()) {
      const verdict = filter(batch);
      if (verdict.kind === "drop") {
        removedRecords += verdict.removedRecords;
        continue;
      }
      const bytes = verdict.kind === "rewrite" ? verdict.bytes : batch.bytes;
      if (verdict.kind === "rewrite") removedRecords += verdict.removedRecords;
      cleaned.append(bytes, batch.baseOffset, batch.lastOffset, batch.maxTimestamp);
    }
    cleaned.onBecomeInactive();
    cleaned.flush();
  } catch (error) {
    try {
      cleaned.delete();
    } catch {
      // The leftover `.cleaned` files are discarded at the next startup anyway.
    }
    throw error;
  }
  log.replaceSegment(original, cleaned);
  return { records: removedRecords, cleanedSize: cleaned.size };
}
