// The one record encoder: records of any shape straight into a magic-2 batch. One pass measures
// every record (sizes kept in reused typed arrays), one pass writes keys, values and headers into
// a single buffer, strings included, without an intermediate Buffer per field. Several sources
// (a producer's sends) for one partition become one batch; the caller learns how many it took.
// The caller's record shape stays the caller's: the encoder reads `key`, `value`, `timestamp`,
// `offsetDelta` and `headers` off each record and walks the headers with the caller's walker.
//
// Ownership: the scratch arrays and header counters are module state shared by layout and
// writeRecords, so a layout must be written before the next layout is made (both are synchronous;
// callers do them back to back).
import { gzipSync } from "node:zlib";
import {
  BATCH_HEADER_SIZE,
  BATCH_LOG_OVERHEAD,
  BatchField,
  type BatchHeaderValues,
  CompressionCodec,
  crcOfRange,
  makeAttributes,
  type RecordHeader,
  writeBatchHeader,
} from "./layout.ts";
import { uvarintSize, varintSize, varlongSize, writeVarint, writeVarlong, zigzag32 } from "./varint.ts";

/**
 * A record as the encoder reads it. Keys, values and header values are Buffers, strings (written
 * as utf-8), or null/undefined for null; anything else is written as String(x), as kafkajs does.
 */
export interface EncodableRecord<H> {
  readonly key?: unknown;
  readonly value?: unknown;
  /** Epoch ms as a number, numeric string or bigint; when missing or unparsable, the source's default. */
  readonly timestamp?: unknown;
  /** Defaults to the record's index in the batch. */
  readonly offsetDelta?: number;
  readonly headers?: H | null;
}

/** Calls `visit` once per header of a record, in wire order. */
export type HeaderWalker<H> = (headers: H, visit: (key: string, value: unknown) => void) => void;

/** Records that go into one batch together (one producer send), and the timestamp of those that carry none. */
export interface RecordSource<R> {
  readonly messages: readonly R[];
  readonly defaultTimestamp: number;
}

export interface RecordsLayout {
  /** How many sources (from `first`) the batch takes. */
  sourceCount: number;
  recordCount: number;
  /** Bytes of the uncompressed records section. */
  recordsSize: number;
  baseTimestamp: number;
  maxTimestamp: number;
  lastOffsetDelta: number;
}

/** The header fields that do not follow from the records. */
export interface BatchHeaderFields {
  compression: number;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  /** 0 by default: the broker assigns offsets. */
  baseOffset?: bigint;
  /** -1 by default. */
  partitionLeaderEpoch?: number;
  timestampType?: number;
  transactional?: boolean;
}

/** The timestamp of an empty batch. */
const NO_TIMESTAMP = -1;

let bodySizes = new Int32Array(1024);
let keySizes = new Int32Array(1024);
let valueSizes = new Int32Array(1024);
let headerCounts = new Int32Array(1024);
let timestamps = new Float64Array(1024);

function ensureScratch(records: number): void {
  if (records <= bodySizes.length) return;
  let size = bodySizes.length;
  while (size < records) size *= 2;
  const grow = <T extends Int32Array | Float64Array>(old: T, make: (n: number) => T): T => {
    const next = make(size);
    next.set(old);
    return next;
  };
  bodySizes = grow(bodySizes, (n) => new Int32Array(n));
  keySizes = grow(keySizes, (n) => new Int32Array(n));
  valueSizes = grow(valueSizes, (n) => new Int32Array(n));
  headerCounts = grow(headerCounts, (n) => new Int32Array(n));
  timestamps = grow(timestamps, (n) => new Float64Array(n));
}

/** Byte length of a key, value or header value as written; −1 for null. */
function fieldSize(field: unknown): number {
  if (field === null || field === undefined) return -1;
  if (typeof field === "string") return Buffer.byteLength(field, "utf8");
  if (Buffer.isBuffer(field)) return field.length;
  return Buffer.byteLength(String(field), "utf8");
}

/** Writes a field measured as `size` bytes; −1 means null and writes nothing. */
function writeField(buf: Buffer, position: number, field: unknown, size: number): number {
  if (size <= 0) return position;
  if (typeof field === "string") buf.write(field, position, size, "utf8");
  // A typed array's set(): Buffer#copy makes a view of the source per call, which costs more than
  // copying a small value.
  else if (Buffer.isBuffer(field)) buf.set(field, position);
  else buf.write(String(field), position, size, "utf8");
  return position + size;
}

function timestampOf(given: unknown, defaultTimestamp: number): number {
  if (given === undefined || given === null) return defaultTimestamp;
  const parsed = Number(given);
  // kafkajs writes an unparsable timestamp as the batch's first one; the send time is as good.
  return Number.isFinite(parsed) ? Math.trunc(parsed) : defaultTimestamp;
}

// Header visits go through these module-level functions and counters rather than a closure per
// record.
let measuredHeaders = 0;
let measuredHeaderBytes = 0;

function measureHeader(key: string, value: unknown): void {
  const keySize = Buffer.byteLength(key, "utf8");
  const valueSize = fieldSize(value);
  measuredHeaders++;
  measuredHeaderBytes += varintSize(keySize) + keySize + varintSize(valueSize) + Math.max(valueSize, 0);
}

let headerTarget: Buffer = Buffer.alloc(0);
let headerPosition = 0;

function writeHeader(key: string, value: unknown): void {
  const keySize = Buffer.byteLength(key, "utf8");
  headerPosition = writeVarint(headerTarget, headerPosition, keySize);
  headerPosition += headerTarget.write(key, headerPosition, keySize, "utf8");
  const valueSize = fieldSize(value);
  headerPosition = writeVarint(headerTarget, headerPosition, valueSize);
  headerPosition = writeField(headerTarget, headerPosition, value, valueSize);
}

export class RecordEncoder<R extends EncodableRecord<H>, H> {
  constructor(private readonly walkHeaders: HeaderWalker<H>) {}

  /**
   * Measures the records of `sources[first..end)`, taking whole sources while the records section
   * stays within `maxBytes` (the first source always). The first record's timestamp is the batch's
   * base, as in the Java producer; other records' deltas may be negative.
   */
  layout(sources: readonly RecordSource<R>[], first: number, end: number, maxBytes: number): RecordsLayout {
    let recordCount = 0;
    let recordsSize = 0;
    let sourceCount = 0;
    let baseTimestamp = NO_TIMESTAMP;
    let maxTimestamp = NO_TIMESTAMP;
    let lastOffsetDelta = 0;
    for (let s = first; s < end; s++) {
      const { messages, defaultTimestamp } = sources[s]!;
      ensureScratch(recordCount + messages.length);
      let sourceSize = 0;
      let sourceMax = maxTimestamp;
      let sourceLastDelta = lastOffsetDelta;
      for (let i = 0; i < messages.length; i++) {
        const record = messages[i]!;
        const index = recordCount + i;
        const timestamp = timestampOf(record.timestamp, defaultTimestamp);
        if (index === 0) {
          baseTimestamp = timestamp;
          sourceMax = timestamp;
        } else if (timestamp > sourceMax) {
          sourceMax = timestamp;
        }
        const offsetDelta = record.offsetDelta ?? index;
        if (offsetDelta > sourceLastDelta) sourceLastDelta = offsetDelta;
        const keySize = fieldSize(record.key);
        const valueSize = fieldSize(record.value);
        const headers = record.headers;
        let headersSize = 1;
        let headerCount = 0;
        if (headers) {
          measuredHeaders = 0;
          measuredHeaderBytes = 0;
          this.walkHeaders(headers, measureHeader);
          headerCount = measuredHeaders;
          headersSize = varintSize(headerCount) + measuredHeaderBytes;
        }
        const body =
          1 +
          varlongSize(timestamp - baseTimestamp) +
          varintSize(offsetDelta) +
          varintSize(keySize) +
          Math.max(keySize, 0) +
          varintSize(valueSize) +
          Math.max(valueSize, 0) +
          headersSize;
        timestamps[index] = timestamp;
        keySizes[index] = keySize;
        valueSizes[index] = valueSize;
        headerCounts[index] = headerCount;
        bodySizes[index] = body;
        sourceSize += uvarintSize(zigzag32(body)) + body;
      }
      if (sourceCount > 0 && recordsSize + sourceSize > maxBytes) break;
      recordsSize += sourceSize;
      recordCount += messages.length;
      maxTimestamp = sourceMax;
      lastOffsetDelta = sourceLastDelta;
      sourceCount++;
    }
    return { sourceCount, recordCount, recordsSize, baseTimestamp, maxTimestamp, lastOffsetDelta };
  }

  /** Writes the records laid out by the last layout() call into `target` at `position`; returns the end. */
  writeRecords(
    sources: readonly RecordSource<R>[],
    first: number,
    layout: RecordsLayout,
    target: Buffer,
    position: number,
  ): number {
    let index = 0;
    for (let s = first; s < first + layout.sourceCount; s++) {
      const messages = sources[s]!.messages;
      for (let i = 0; i < messages.length; i++) {
        const record = messages[i]!;
        position = writeVarint(target, position, bodySizes[index]!);
        target[position++] = 0; // record attributes: none are defined
        position = writeVarlong(target, position, timestamps[index]! - layout.baseTimestamp);
        position = writeVarint(target, position, record.offsetDelta ?? index);
        const keySize = keySizes[index]!;
        position = writeVarint(target, position, keySize);
        position = writeField(target, position, record.key, keySize);
        const valueSize = valueSizes[index]!;
        position = writeVarint(target, position, valueSize);
        position = writeField(target, position, record.value, valueSize);
        const headers = record.headers;
        if (!headers) {
          target[position++] = 0;
        } else {
          position = writeVarint(target, position, headerCounts[index]!);
          headerTarget = target;
          headerPosition = position;
          this.walkHeaders(headers, writeHeader);
          position = headerPosition;
        }
        index++;
      }
    }
    return position;
  }

  /** An uncompressed batch of the laid-out records, in one buffer: the start of `target` when given (large enough). */
  encodeBatch(
    sources: readonly RecordSource<R>[],
    first: number,
    layout: RecordsLayout,
    fields: BatchHeaderFields,
    target?: Buffer,
  ): Buffer {
    const size = BATCH_HEADER_SIZE + layout.recordsSize;
    const batch = target ? target.subarray(0, size) : Buffer.allocUnsafe(size);
    this.writeRecords(sources, first, layout, batch, BATCH_HEADER_SIZE);
    writeBatchHeader(batch, headerValues(layout, fields));
    return batch;
  }

  /** The laid-out records section alone, for a codec to compress. */
  encodeRecordsSection(sources: readonly RecordSource<R>[], first: number, layout: RecordsLayout): Buffer {
    const section = Buffer.allocUnsafe(layout.recordsSize);
    this.writeRecords(sources, first, layout, section, 0);
    return section;
  }
}

/** A batch around an already compressed records section. */
export function wrapCompressedRecords(compressed: Buffer, layout: RecordsLayout, fields: BatchHeaderFields): Buffer {
  const batch = Buffer.allocUnsafe(BATCH_HEADER_SIZE + compressed.length);
  compressed.copy(batch, BATCH_HEADER_SIZE);
  writeBatchHeader(batch, headerValues(layout, fields));
  return batch;
}

function headerValues(layout: RecordsLayout, fields: BatchHeaderFields): BatchHeaderValues {
  return {
    baseOffset: fields.baseOffset ?? 0n,
    partitionLeaderEpoch: fields.partitionLeaderEpoch ?? -1,
    attributes: makeAttributes({
      compression: fields.compression ?? CompressionCodec.None,
      timestampType: fields.timestampType,
      transactional: fields.transactional,
    }),
    lastOffsetDelta: layout.lastOffsetDelta,
    baseTimestamp: layout.baseTimestamp,
    maxTimestamp: layout.maxTimestamp,
    producerId: fields.producerId,
    producerEpoch: fields.producerEpoch,
    baseSequence: fields.baseSequence,
    recordCount: layout.recordCount,
  };
}

/**
 * A copy of the uncompressed batch at the start of `original` that holds only the records at
 * `ranges` (byte ranges of whole records in `original`), copied as they are: their offset and
 * timestamp deltas stay valid against the original header, which is kept but for its length,
 * record count and CRC (log compaction).
 */
export function rebuildBatchWithRecords(
  original: Buffer,
  ranges: readonly { readonly start: number; readonly end: number }[],
): Buffer {
  let recordsSize = 0;
  for (const range of ranges) recordsSize += range.end - range.start;
  const rebuilt = Buffer.allocUnsafe(BATCH_HEADER_SIZE + recordsSize);
  original.copy(rebuilt, 0, 0, BATCH_HEADER_SIZE);
  rebuilt.writeInt32BE(rebuilt.length - BATCH_LOG_OVERHEAD, BatchField.batchLength);
  rebuilt.writeInt32BE(ranges.length, BatchField.recordCount);
  let position = BATCH_HEADER_SIZE;
  for (const range of ranges) position += original.copy(rebuilt, position, range.start, range.end);
  rebuilt.writeUInt32BE(crcOfRange(rebuilt, 0, rebuilt.length), BatchField.crc);
  return rebuilt;
}

// ---------------------------------------------------------------------------------------------
// The broker's own records (tests, `__consumer_offsets` commits) through the same encoder.

export interface RecordInput {
  key: Buffer | null;
  value: Buffer | null;
  headers?: RecordHeader[];
  /** Defaults to the current time. */
  timestamp?: bigint;
  /** Defaults to the record's index in the batch. */
  offsetDelta?: number;
}

export interface RecordBatchInput {
  baseOffset?: bigint;
  partitionLeaderEpoch?: number;
  records: RecordInput[];
  compression?: "none" | "gzip";
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  transactional?: boolean;
  timestampType?: number;
}

const recordEncoder = new RecordEncoder<RecordInput, RecordHeader[]>((headers, visit) => {
  for (let i = 0; i < headers.length; i++) visit(headers[i]!.key, headers[i]!.value);
});

/** One batch of `batch.records`, timestamps exact up to 2^53 ms. */
export function encodeRecordBatch(batch: RecordBatchInput): Buffer {
  const sources = [{ messages: batch.records, defaultTimestamp: Date.now() }];
  const layout = recordEncoder.layout(sources, 0, 1, Number.POSITIVE_INFINITY);
  const gzip = batch.compression === "gzip";
  const fields: BatchHeaderFields = {
    compression: gzip ? CompressionCodec.Gzip : CompressionCodec.None,
    producerId: batch.producerId ?? -1n,
    producerEpoch: batch.producerEpoch ?? -1,
    baseSequence: batch.baseSequence ?? -1,
    baseOffset: batch.baseOffset ?? 0n,
    partitionLeaderEpoch: batch.partitionLeaderEpoch ?? -1,
    timestampType: batch.timestampType,
    transactional: batch.transactional,
  };
  if (!gzip) return recordEncoder.encodeBatch(sources, 0, layout, fields);
  return wrapCompressedRecords(gzipSync(recordEncoder.encodeRecordsSection(sources, 0, layout)), layout, fields);
}
