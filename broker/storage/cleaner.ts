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

import type { PartitionLog } from "./partition-log.ts";
import {
  BATCH_HEADER_SIZE,
  BatchField,
  LOG_OVERHEAD,
  compressionCodecOf,
  computeBatchCrc,
  isControlBatch,
  isTransactionalBatch,
  readBatchHeader,
} from "./record-batch.ts";
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

export interface DecodedRecord {
  offset: bigint;
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
  /** Byte range of the whole record (length prefix included) inside its batch. */
  start: number;
  end: number;
}

export class RecordDecodeError extends Error {}

/** Decodes the records of one uncompressed magic-2 batch (`batch` holds exactly that batch). */
export function decodeRecords(batch: Buffer): DecodedRecord[] {
  const header = readBatchHeader(batch);
  if (compressionCodecOf(header.attributes) !== 0) throw new RecordDecodeError("compressed batches are not decoded");
  const reader = new VarintReader(batch, BATCH_HEADER_SIZE);
  const records: DecodedRecord[] = [];
  for (let i = 0; i < header.recordCount; i++) {
    const start = reader.position;
    const length = reader.varint();
    const bodyStart = reader.position;
    if (length < 0 || bodyStart + length > batch.length) throw new RecordDecodeError(`record ${i} overruns its batch`);
    reader.skip(1); // attributes: unused by magic 2
    const timestampDelta = reader.varlong();
    const offsetDelta = reader.varint();
    const key = reader.nullableBytes();
    const value = reader.nullableBytes();
    const headerCount = reader.varint();
    if (headerCount < 0) throw new RecordDecodeError(`record ${i} has ${headerCount} headers`);
    for (let h = 0; h < headerCount; h++) {
      const keyLength = reader.varint();
      if (keyLength < 0) throw new RecordDecodeError(`record ${i} has a header with a null key`);
      reader.skip(keyLength);
      reader.nullableBytes();
    }
    if (reader.position !== bodyStart + length) throw new RecordDecodeError(`record ${i} is not ${length} bytes long`);
    records.push({
      offset: header.baseOffset + BigInt(offsetDelta),
      timestamp: header.baseTimestamp + timestampDelta,
      key,
      value,
      start,
      end: reader.position,
    });
  }
  if (reader.position !== batch.length) throw new RecordDecodeError("bytes left after the last record");
  return records;
}

/** Compacts the sealed segments of `log`; see the top of this file. */
export function compactLog(log: PartitionLog, options: CleanerOptions = {}): CleanerResult {
  if (log.config.cleanupPolicy !== "compact") throw new Error(`log ${log.dir} is not compacted (cleanupPolicy ${log.config.cleanupPolicy})`);
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

type BatchVerdict = { kind: "keep" } | { kind: "drop"; removedRecords: number } | { kind: "rewrite"; bytes: Buffer; removedRecords: number };

/**
 * The records the cleaner may filter, or null for a batch it must copy unchanged: compressed,
 * transactional or control batches, and batches whose records do not decode (the broker checks a
 * produced batch's CRC, not its record encoding, so a faulty producer must not stall cleaning).
 */
function filterableRecords(batch: StoredBatch): DecodedRecord[] | null {
  if (compressionCodecOf(batch.attributes) !== 0 || isTransactionalBatch(batch.attributes) || isControlBatch(batch.attributes)) {
    return null;
  }
  try {
    return decodeRecords(batch.bytes);
  } catch (error) {
    if (error instanceof RecordDecodeError) return null;
    throw error;
  }
}

function buildLatestOffsetMap(segments: readonly Segment[]): { latestOffsetByKey: Map<string, bigint>; sawOpaqueBatch: boolean } {
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

function filterBatch(batch: StoredBatch, latestOffsetByKey: Map<string, bigint>, dropTombstones: boolean): BatchVerdict {
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
  return { kind: "rewrite", bytes: rebuildBatch(batch.bytes, kept), removedRecords };
}

function rebuildBatch(original: Buffer, kept: readonly DecodedRecord[]): Buffer {
  let recordsSize = 0;
  for (const record of kept) recordsSize += record.end - record.start;
  const rebuilt = Buffer.allocUnsafe(BATCH_HEADER_SIZE + recordsSize);
  original.copy(rebuilt, 0, 0, BATCH_HEADER_SIZE);
  rebuilt.writeInt32BE(rebuilt.length - LOG_OVERHEAD, BatchField.batchLength);
  rebuilt.writeInt32BE(kept.length, BatchField.recordCount);
  let position = BATCH_HEADER_SIZE;
  for (const record of kept) position += original.copy(rebuilt, position, record.start, record.end);
  rebuilt.writeUInt32BE(computeBatchCrc(rebuilt), BatchField.crc);
  return rebuilt;
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

class VarintReader {
  readonly #bytes: Buffer;
  #position: number;

  constructor(bytes: Buffer, position: number) {
    this.#bytes = bytes;
    this.#position = position;
  }

  get position(): number {
    return this.#position;
  }

  skip(count: number): void {
    if (this.#position + count > this.#bytes.length) throw new RecordDecodeError("record overruns its batch");
    this.#position += count;
  }

  /** Zigzag varint of at most 5 bytes (int32). */
  varint(): number {
    let unsigned = 0;
    for (let shift = 0; shift <= 28; shift += 7) {
      const byte = this.#nextByte();
      unsigned += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) {
        if (unsigned > 0xffffffff) break;
        return unsigned % 2 === 0 ? unsigned / 2 : -(unsigned + 1) / 2;
      }
    }
    throw new RecordDecodeError("varint longer than 5 bytes");
  }

  /** Zigzag varint of at most 10 bytes (int64). */
  varlong(): bigint {
    let unsigned = 0n;
    for (let shift = 0n; shift <= 63n; shift += 7n) {
      const byte = this.#nextByte();
      unsigned |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return (unsigned >> 1n) ^ -(unsigned & 1n);
    }
    throw new RecordDecodeError("varlong longer than 10 bytes");
  }

  /** A varint length (−1 = null) followed by that many bytes, returned as a view. */
  nullableBytes(): Buffer | null {
    const length = this.varint();
    if (length < -1) throw new RecordDecodeError(`negative length ${length}`);
    if (length === -1) return null;
    const start = this.#position;
    this.skip(length);
    return this.#bytes.subarray(start, start + length);
  }

  #nextByte(): number {
    if (this.#position >= this.#bytes.length) throw new RecordDecodeError("record overruns its batch");
    return this.#bytes[this.#position++]!;
  }
}
