// Record batch format, magic 2 (Kafka 0.11+). Layout of the 61-byte header:
//   0 baseOffset int64 | 8 batchLength int32 (bytes after this field) | 12 partitionLeaderEpoch int32
//   16 magic int8 | 17 crc uint32 (CRC-32C of byte 21..end) | 21 attributes int16
//   23 lastOffsetDelta int32 | 27 baseTimestamp int64 | 35 maxTimestamp int64 | 43 producerId int64
//   51 producerEpoch int16 | 53 baseSequence int32 | 57 recordCount int32 | 61 records...

import { gunzipSync, gzipSync } from "node:zlib";
import { crc32c } from "@node-rs/crc32";
import { ProtocolDecodeError, Reader, Writer } from "./primitives.ts";

export const BATCH_HEADER_SIZE = 61;
/** baseOffset + batchLength: the part of the header not counted in batchLength. */
export const BATCH_LOG_OVERHEAD = 12;
export const CURRENT_MAGIC = 2;

/** Byte offset of each header field from the start of the batch. */
export const BatchField = {
  baseOffset: 0,
  batchLength: 8,
  partitionLeaderEpoch: 12,
  magic: 16,
  crc: 17,
  /** The CRC covers everything from here to the end of the batch. */
  attributes: 21,
  lastOffsetDelta: 23,
  baseTimestamp: 27,
  maxTimestamp: 35,
  producerId: 43,
  producerEpoch: 51,
  baseSequence: 53,
  recordCount: 57,
} as const;

export const CompressionCodec = {
  None: 0,
  Gzip: 1,
  Snappy: 2,
  Lz4: 3,
  Zstd: 4,
} as const;

const COMPRESSION_NAMES = ["none", "gzip", "snappy", "lz4", "zstd"];

export const TimestampType = {
  CreateTime: 0,
  LogAppendTime: 1,
} as const;

const COMPRESSION_MASK = 0x07;
const TIMESTAMP_TYPE_BIT = 0x08;
const TRANSACTIONAL_BIT = 0x10;
const CONTROL_BIT = 0x20;

export function compressionCodecOf(attributes: number): number {
  return attributes & COMPRESSION_MASK;
}

export function compressionName(codec: number): string {
  return COMPRESSION_NAMES[codec] ?? `unknown codec ${codec}`;
}

export function timestampTypeOf(attributes: number): number {
  return attributes & TIMESTAMP_TYPE_BIT ? TimestampType.LogAppendTime : TimestampType.CreateTime;
}

export function isTransactionalBatch(attributes: number): boolean {
  return (attributes & TRANSACTIONAL_BIT) !== 0;
}

export function isControlBatch(attributes: number): boolean {
  return (attributes & CONTROL_BIT) !== 0;
}

export function makeAttributes(options: {
  compression?: number;
  timestampType?: number;
  transactional?: boolean;
  control?: boolean;
}): number {
  let attributes = (options.compression ?? CompressionCodec.None) & COMPRESSION_MASK;
  if (options.timestampType === TimestampType.LogAppendTime) attributes |= TIMESTAMP_TYPE_BIT;
  if (options.transactional) attributes |= TRANSACTIONAL_BIT;
  if (options.control) attributes |= CONTROL_BIT;
  return attributes;
}

export interface RecordBatchHeader {
  baseOffset: bigint;
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

/** Reads the fixed header without touching the records. */
export function readBatchHeader(buf: Buffer, offset: number): RecordBatchHeader {
  if (offset < 0 || buf.length - offset < BATCH_HEADER_SIZE) {
    throw new ProtocolDecodeError(`record batch header needs ${BATCH_HEADER_SIZE} bytes at ${offset}`);
  }
  return {
    baseOffset: buf.readBigInt64BE(offset + BatchField.baseOffset),
    batchLength: buf.readInt32BE(offset + BatchField.batchLength),
    partitionLeaderEpoch: buf.readInt32BE(offset + BatchField.partitionLeaderEpoch),
    magic: buf.readInt8(offset + BatchField.magic),
    crc: buf.readUInt32BE(offset + BatchField.crc),
    attributes: buf.readInt16BE(offset + BatchField.attributes),
    lastOffsetDelta: buf.readInt32BE(offset + BatchField.lastOffsetDelta),
    baseTimestamp: buf.readBigInt64BE(offset + BatchField.baseTimestamp),
    maxTimestamp: buf.readBigInt64BE(offset + BatchField.maxTimestamp),
    producerId: buf.readBigInt64BE(offset + BatchField.producerId),
    producerEpoch: buf.readInt16BE(offset + BatchField.producerEpoch),
    baseSequence: buf.readInt32BE(offset + BatchField.baseSequence),
    recordCount: buf.readInt32BE(offset + BatchField.recordCount),
  };
}

export function batchSize(header: RecordBatchHeader): number {
  return BATCH_LOG_OVERHEAD + header.batchLength;
}

export function lastOffsetOf(header: RecordBatchHeader): bigint {
  return header.baseOffset + BigInt(header.lastOffsetDelta);
}

export interface BatchLocation {
  position: number;
  /** Whole batch size in bytes, headers included. */
  size: number;
  header: RecordBatchHeader;
}

export interface BatchLayoutProblem {
  position: number;
  kind: "truncated" | "invalid-magic" | "invalid-length";
  message: string;
}

export interface BatchLayout {
  batches: BatchLocation[];
  /** Why the walk stopped before the end of the buffer, or null if every byte belongs to a batch. */
  problem: BatchLayoutProblem | null;
}

/**
 * Walks a records blob batch by batch. A producer's blob must have no problem at all; a fetched
 * blob may legitimately end with a truncated batch (cut at the fetch size limit).
 */
export function splitBatches(buf: Buffer): BatchLayout {
  const batches: BatchLocation[] = [];
  let position = 0;
  while (position < buf.length) {
    const remaining = buf.length - position;
    if (remaining < BATCH_HEADER_SIZE) {
      // The magic byte sits before the end of the header: report a wrong format before a tear.
      if (remaining > BatchField.magic && buf[position + BatchField.magic] !== CURRENT_MAGIC) {
        return { batches, problem: invalidMagic(position, buf.readInt8(position + BatchField.magic)) };
      }
      return {
        batches,
        problem: {
          position,
          kind: "truncated",
          message: `only ${remaining} bytes left for a batch header at ${position}`,
        },
      };
    }
    const header = readBatchHeader(buf, position);
    if (header.magic !== CURRENT_MAGIC) return { batches, problem: invalidMagic(position, header.magic) };
    if (header.batchLength < BATCH_HEADER_SIZE - BATCH_LOG_OVERHEAD) {
      return {
        batches,
        problem: {
          position,
          kind: "invalid-length",
          message: `batch length ${header.batchLength} at ${position} is below the header size`,
        },
      };
    }
    const size = batchSize(header);
    if (size > remaining) {
      return {
        batches,
        problem: {
          position,
          kind: "truncated",
          message: `batch at ${position} needs ${size} bytes, ${remaining} left`,
        },
      };
    }
    batches.push({ position, size, header });
    position += size;
  }
  return { batches, problem: null };
}

function invalidMagic(position: number, magic: number): BatchLayoutProblem {
  return {
    position,
    kind: "invalid-magic",
    message: `batch at ${position} has magic ${magic}, only ${CURRENT_MAGIC} is supported`,
  };
}

/** Expects a complete batch at `position` (see splitBatches). */
export function crcIsValid(buf: Buffer, position: number): boolean {
  const header = readBatchHeader(buf, position);
  const end = position + batchSize(header);
  if (end > buf.length) return false;
  return crcOfRange(buf, position, end) === header.crc;
}

/**
 * The CRC-32C the batch at `position` should carry, computed over its bytes as they are now (its
 * length taken from its batchLength field); for writing the CRC of a batch built or edited in place.
 */
export function computeBatchCrc(buf: Buffer, position = 0): number {
  const end = position + batchSize(readBatchHeader(buf, position));
  if (end > buf.length)
    throw new ProtocolDecodeError(
      `record batch at ${position} needs ${end - position} bytes, ${buf.length - position} left`,
    );
  return crcOfRange(buf, position, end);
}

function crcOfRange(buf: Buffer, position: number, end: number): number {
  return crc32c(buf.subarray(position + BatchField.attributes, end));
}

// baseOffset and partitionLeaderEpoch lie before the CRC-covered range: rewriting them keeps the CRC valid.
export function writeBaseOffset(buf: Buffer, position: number, offset: bigint): void {
  buf.writeBigInt64BE(offset, position + BatchField.baseOffset);
}

export function writePartitionLeaderEpoch(buf: Buffer, position: number, epoch: number): void {
  buf.writeInt32BE(epoch, position + BatchField.partitionLeaderEpoch);
}

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

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

const NO_TIMESTAMP = -1n;

export function encodeRecordBatch(batch: RecordBatchInput): Buffer {
  const now = BigInt(Date.now());
  const timestamps = batch.records.map((record) => record.timestamp ?? now);
  // Like Kafka's producers: deltas are relative to the first record's timestamp.
  const baseTimestamp = timestamps.length > 0 ? timestamps[0]! : NO_TIMESTAMP;
  let maxTimestamp = baseTimestamp;
  for (const timestamp of timestamps) if (timestamp > maxTimestamp) maxTimestamp = timestamp;

  const recordsWriter = new Writer();
  let lastOffsetDelta = 0;
  batch.records.forEach((record, index) => {
    const offsetDelta = record.offsetDelta ?? index;
    if (offsetDelta > lastOffsetDelta) lastOffsetDelta = offsetDelta;
    writeRecord(recordsWriter, record, timestamps[index]! - baseTimestamp, offsetDelta);
  });
  let recordsSection = recordsWriter.toBuffer();
  const compression = batch.compression ?? "none";
  if (compression === "gzip") recordsSection = gzipSync(recordsSection);

  const output = Buffer.allocUnsafe(BATCH_HEADER_SIZE + recordsSection.length);
  output.writeBigInt64BE(batch.baseOffset ?? 0n, BatchField.baseOffset);
  output.writeInt32BE(output.length - BATCH_LOG_OVERHEAD, BatchField.batchLength);
  output.writeInt32BE(batch.partitionLeaderEpoch ?? -1, BatchField.partitionLeaderEpoch);
  output.writeInt8(CURRENT_MAGIC, BatchField.magic);
  const attributes = makeAttributes({
    compression: compression === "gzip" ? CompressionCodec.Gzip : CompressionCodec.None,
    timestampType: batch.timestampType,
    transactional: batch.transactional,
  });
  output.writeInt16BE(attributes, BatchField.attributes);
  output.writeInt32BE(lastOffsetDelta, BatchField.lastOffsetDelta);
  output.writeBigInt64BE(baseTimestamp, BatchField.baseTimestamp);
  output.writeBigInt64BE(maxTimestamp, BatchField.maxTimestamp);
  output.writeBigInt64BE(batch.producerId ?? -1n, BatchField.producerId);
  output.writeInt16BE(batch.producerEpoch ?? -1, BatchField.producerEpoch);
  output.writeInt32BE(batch.baseSequence ?? -1, BatchField.baseSequence);
  output.writeInt32BE(batch.records.length, BatchField.recordCount);
  recordsSection.copy(output, BATCH_HEADER_SIZE);
  output.writeUInt32BE(crcOfRange(output, 0, output.length), BatchField.crc);
  return output;
}

function writeRecord(writer: Writer, record: RecordInput, timestampDelta: bigint, offsetDelta: number): void {
  const keyLength = record.key === null ? -1 : record.key.length;
  const valueLength = record.value === null ? -1 : record.value.length;
  const headers = record.headers ?? [];
  let bodySize =
    1 +
    varlongSize(timestampDelta) +
    varintSize(offsetDelta) +
    varintSize(keyLength) +
    Math.max(keyLength, 0) +
    varintSize(valueLength) +
    Math.max(valueLength, 0) +
    varintSize(headers.length);
  const headerKeyLengths = headers.map((header) => Buffer.byteLength(header.key, "utf8"));
  headers.forEach((header, i) => {
    const headerValueLength = header.value === null ? -1 : header.value.length;
    bodySize +=
      varintSize(headerKeyLengths[i]!) +
      headerKeyLengths[i]! +
      varintSize(headerValueLength) +
      Math.max(headerValueLength, 0);
  });

  writer.varint(bodySize).int8(0).varlong(timestampDelta).varint(offsetDelta);
  writer.varint(keyLength);
  if (record.key !== null) writer.append(record.key);
  writer.varint(valueLength);
  if (record.value !== null) writer.append(record.value);
  writer.varint(headers.length);
  headers.forEach((header, i) => {
    writer.varint(headerKeyLengths[i]!).append(Buffer.from(header.key, "utf8"));
    if (header.value === null) writer.varint(-1);
    else writer.varint(header.value.length).append(header.value);
  });
}

function uvarintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}

function varintSize(value: number): number {
  return uvarintSize(((value << 1) ^ (value >> 31)) >>> 0);
}

function varlongSize(value: bigint): number {
  let zigzag = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n));
  let size = 1;
  while (zigzag >= 0x80n) {
    zigzag >>= 7n;
    size++;
  }
  return size;
}

export interface DecodedRecord {
  offset: bigint;
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
  attributes: number;
}

export interface DecodedRecordBatch {
  header: RecordBatchHeader;
  records: DecodedRecord[];
}

/** Decodes every record of the batch at `position`; keys and values are views, not copies. */
export function decodeRecordBatch(buf: Buffer, position: number): DecodedRecordBatch {
  const header = readCompleteBatchHeader(buf, position);
  let recordsSection = buf.subarray(position + BATCH_HEADER_SIZE, position + batchSize(header));
  const codec = compressionCodecOf(header.attributes);
  if (codec === CompressionCodec.Gzip) {
    try {
      recordsSection = gunzipSync(recordsSection);
    } catch (error) {
      throw new ProtocolDecodeError(
        `gzip record batch at ${position} does not decompress: ${(error as Error).message}`,
      );
    }
  } else if (codec !== CompressionCodec.None) {
    throw new Error(`record batch compression ${compressionName(codec)} is not supported (only none and gzip)`);
  }
  return { header, records: readRecords(header, recordsSection, false, (record) => record) };
}

export interface RecordWithRange extends DecodedRecord {
  /** Byte range of the whole record (length prefix included) in the buffer the batch was decoded from. */
  start: number;
  end: number;
}

/**
 * Decodes the records of the uncompressed batch at `position` together with each record's byte
 * range, so a batch can be rebuilt around some of its records' original bytes (log compaction).
 * Stricter than decodeRecordBatch: every record must be exactly as long as its length prefix
 * says, no byte may follow the last record, and a length below −1 is an error, not a null.
 */
export function decodeRecordsWithRanges(
  buf: Buffer,
  position: number,
): { header: RecordBatchHeader; records: RecordWithRange[] } {
  const header = readCompleteBatchHeader(buf, position);
  const codec = compressionCodecOf(header.attributes);
  if (codec !== CompressionCodec.None) {
    throw new ProtocolDecodeError(
      `record batch at ${position} is ${compressionName(codec)}-compressed: its records have no byte ranges`,
    );
  }
  const sectionStart = position + BATCH_HEADER_SIZE;
  const recordsSection = buf.subarray(sectionStart, position + batchSize(header));
  const records = readRecords(header, recordsSection, true, (record, start, end) => {
    const withRange = record as RecordWithRange;
    withRange.start = sectionStart + start;
    withRange.end = sectionStart + end;
    return withRange;
  });
  return { header, records };
}

/** The header of the batch at `position`, checked to be magic 2 and wholly inside `buf`. */
function readCompleteBatchHeader(buf: Buffer, position: number): RecordBatchHeader {
  const header = readBatchHeader(buf, position);
  if (header.magic !== CURRENT_MAGIC) {
    throw new ProtocolDecodeError(`record batch magic ${header.magic} is not supported (only ${CURRENT_MAGIC})`);
  }
  if (header.batchLength < BATCH_HEADER_SIZE - BATCH_LOG_OVERHEAD || position + batchSize(header) > buf.length) {
    throw new ProtocolDecodeError(`record batch at ${position} is truncated or has an invalid length`);
  }
  return header;
}

/** Walks the (uncompressed) records section; `start` and `end` given to `build` are positions in it. */
function readRecords<T>(
  header: RecordBatchHeader,
  recordsSection: Buffer,
  strict: boolean,
  build: (record: DecodedRecord, start: number, end: number) => T,
): T[] {
  const logAppendTime = timestampTypeOf(header.attributes) === TimestampType.LogAppendTime;
  const reader = new Reader(recordsSection);
  const records: T[] = [];
  for (let i = 0; i < header.recordCount; i++) {
    const start = reader.offset;
    const length = reader.varint();
    if (length < 0) throw new ProtocolDecodeError(`record ${i} has negative length ${length}`);
    const recordReader = new Reader(reader.raw(length));
    const attributes = recordReader.int8();
    const timestampDelta = recordReader.varlong();
    const offsetDelta = recordReader.varint();
    const key = readVarintBytes(recordReader, strict);
    const value = readVarintBytes(recordReader, strict);
    const headerCount = recordReader.varint();
    if (headerCount < 0 || headerCount > recordReader.remaining) {
      throw new ProtocolDecodeError(`record ${i} has an invalid header count ${headerCount}`);
    }
    const headers: RecordHeader[] = [];
    for (let h = 0; h < headerCount; h++) {
      const headerKey = readVarintBytes(recordReader, strict);
      if (headerKey === null) throw new ProtocolDecodeError(`record ${i} has a null header key`);
      headers.push({ key: headerKey.toString("utf8"), value: readVarintBytes(recordReader, strict) });
    }
    if (strict && recordReader.remaining !== 0) {
      throw new ProtocolDecodeError(
        `record ${i} is ${length} bytes long but its fields take ${length - recordReader.remaining}`,
      );
    }
    const record: DecodedRecord = {
      offset: header.baseOffset + BigInt(offsetDelta),
      // With LogAppendTime the broker's time (maxTimestamp) applies to every record.
      timestamp: logAppendTime ? header.maxTimestamp : header.baseTimestamp + timestampDelta,
      key,
      value,
      headers,
      attributes,
    };
    records.push(build(record, start, reader.offset));
  }
  if (strict && reader.remaining !== 0) {
    throw new ProtocolDecodeError(
      `${reader.remaining} bytes follow the last of the batch's ${header.recordCount} records`,
    );
  }
  return records;
}

/** A varint length then that many bytes; a negative length is null (strictly, only −1 is). */
function readVarintBytes(reader: Reader, strict: boolean): Buffer | null {
  const length = reader.varint();
  if (length < 0) {
    if (strict && length !== -1) throw new ProtocolDecodeError(`invalid length ${length}`);
    return null;
  }
  return reader.raw(length);
}
