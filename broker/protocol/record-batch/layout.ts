// The record batch format, magic 2 (Kafka 0.11+): where each header field lies, what the
// attribute bits mean, and reading and writing the 61-byte header (CRC included). Layout:
//   0 baseOffset int64 | 8 batchLength int32 (bytes after this field) | 12 partitionLeaderEpoch int32
//   16 magic int8 | 17 crc uint32 (CRC-32C of byte 21..end) | 21 attributes int16
//   23 lastOffsetDelta int32 | 27 baseTimestamp int64 | 35 maxTimestamp int64 | 43 producerId int64
//   51 producerEpoch int16 | 53 baseSequence int32 | 57 recordCount int32 | 61 records...
// Each record: length varint, attributes int8, timestampDelta varlong, offsetDelta varint,
// key (varint length, -1 null, bytes), value (same), header count varint, then per header a key
// (varint length, utf-8) and a value (varint length, -1 null, bytes).
import { crc32c } from "@node-rs/crc32";
import { ProtocolDecodeError } from "../primitives.ts";

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

export const AttributeBit = {
  /** The low three bits hold the compression codec. */
  compressionMask: 0x07,
  logAppendTime: 0x08,
  transactional: 0x10,
  control: 0x20,
} as const;

export function compressionCodecOf(attributes: number): number {
  return attributes & AttributeBit.compressionMask;
}

export function compressionName(codec: number): string {
  return COMPRESSION_NAMES[codec] ?? `unknown codec ${codec}`;
}

export function timestampTypeOf(attributes: number): number {
  return attributes & AttributeBit.logAppendTime ? TimestampType.LogAppendTime : TimestampType.CreateTime;
}

export function isTransactionalBatch(attributes: number): boolean {
  return (attributes & AttributeBit.transactional) !== 0;
}

export function isControlBatch(attributes: number): boolean {
  return (attributes & AttributeBit.control) !== 0;
}

export function makeAttributes(options: {
  compression?: number;
  timestampType?: number;
  transactional?: boolean;
  control?: boolean;
}): number {
  let attributes = (options.compression ?? CompressionCodec.None) & AttributeBit.compressionMask;
  if (options.timestampType === TimestampType.LogAppendTime) attributes |= AttributeBit.logAppendTime;
  if (options.transactional) attributes |= AttributeBit.transactional;
  if (options.control) attributes |= AttributeBit.control;
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

/** A record header: a utf-8 key and a nullable value. */
export interface RecordHeader {
  key: string;
  value: Buffer | null;
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

const TWO_POW_32 = 4294967296;

/** An int64 field as a double: exact up to 2^53, beyond any real offset or epoch-ms timestamp. */
export function readInt64AsNumber(buf: Buffer, at: number): number {
  return buf.readInt32BE(at) * TWO_POW_32 + buf.readUInt32BE(at + 4);
}

function writeInt64FromNumber(buf: Buffer, value: number, at: number): void {
  buf.writeInt32BE(Math.floor(value / TWO_POW_32), at);
  buf.writeUInt32BE(value >>> 0, at + 4);
}

/** What a batch header says besides its length and CRC, which are computed when it is written. */
export interface BatchHeaderValues {
  baseOffset: bigint;
  partitionLeaderEpoch: number;
  attributes: number;
  lastOffsetDelta: number;
  /** Epoch ms as a double (exact up to 2^53). */
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

/**
 * Fills the header of the batch that is the whole of `batch` (its records already in place after
 * BATCH_HEADER_SIZE): the given values, the length of `batch`, magic 2, and last the CRC.
 */
export function writeBatchHeader(batch: Buffer, values: BatchHeaderValues): void {
  batch.writeBigInt64BE(values.baseOffset, BatchField.baseOffset);
  batch.writeInt32BE(batch.length - BATCH_LOG_OVERHEAD, BatchField.batchLength);
  batch.writeInt32BE(values.partitionLeaderEpoch, BatchField.partitionLeaderEpoch);
  batch.writeInt8(CURRENT_MAGIC, BatchField.magic);
  batch.writeInt16BE(values.attributes, BatchField.attributes);
  batch.writeInt32BE(values.lastOffsetDelta, BatchField.lastOffsetDelta);
  writeInt64FromNumber(batch, values.baseTimestamp, BatchField.baseTimestamp);
  writeInt64FromNumber(batch, values.maxTimestamp, BatchField.maxTimestamp);
  batch.writeBigInt64BE(values.producerId, BatchField.producerId);
  batch.writeInt16BE(values.producerEpoch, BatchField.producerEpoch);
  batch.writeInt32BE(values.baseSequence, BatchField.baseSequence);
  batch.writeInt32BE(values.recordCount, BatchField.recordCount);
  batch.writeUInt32BE(crcOfRange(batch, 0, batch.length), BatchField.crc);
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

/** The CRC-32C of the batch that spans [position, end) of `buf`. */
export function crcOfRange(buf: Buffer, position: number, end: number): number {
  return crc32c(buf.subarray(position + BatchField.attributes, end));
}

// baseOffset and partitionLeaderEpoch lie before the CRC-covered range: rewriting them keeps the CRC valid.
export function writeBaseOffset(buf: Buffer, position: number, offset: bigint): void {
  buf.writeBigInt64BE(offset, position + BatchField.baseOffset);
}

export function writePartitionLeaderEpoch(buf: Buffer, position: number, epoch: number): void {
  buf.writeInt32BE(epoch, position + BatchField.partitionLeaderEpoch);
}
