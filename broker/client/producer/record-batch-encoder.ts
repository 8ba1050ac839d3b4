// Encodes kafkajs-shaped messages straight into a magic-2 record batch: one pass measures every
// record (sizes kept in reused typed arrays), one pass writes keys, values and headers into a
// single buffer, strings included, without an intermediate Buffer per field. Several sends'
// messages for one partition become one batch; the caller learns where each send's records start.
//
// Ownership: the scratch arrays are module state shared by layoutRecords and writeRecords, so a
// layout must be written before the next layout is made (both are synchronous; callers do them
// back to back).
import { crc32c } from "@node-rs/crc32";
import {
  BATCH_HEADER_SIZE,
  BATCH_LOG_OVERHEAD,
  BatchField,
  CURRENT_MAGIC,
  makeAttributes,
} from "../../protocol/records.ts";
import type { IHeaders } from "../types.ts";
import type { Message } from "./types.ts";

/** One send's messages for the partition, and the timestamp of those that carry none. */
export interface RecordSource {
  readonly messages: readonly Message[];
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
}

let bodySizes = new Int32Array(1024);
let keySizes = new Int32Array(1024);
let valueSizes = new Int32Array(1024);
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
  timestamps = grow(timestamps, (n) => new Float64Array(n));
}

/** Byte length of a key, value or header value as kafkajs writes it (non-Buffers as String(x)); −1 for null. */
function fieldSize(field: unknown): number {
  if (field === null || field === undefined) return -1;
  if (typeof field === "string") return Buffer.byteLength(field, "utf8");
  if (Buffer.isBuffer(field)) return field.length;
  return Buffer.byteLength(String(field), "utf8");
}

function zigzag32(value: number): number {
  return ((value << 1) ^ (value >> 31)) >>> 0;
}

function uvarintSize(value: number): number {
  return value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : value < 0x10000000 ? 4 : 5;
}

const varintSize = (value: number): number => uvarintSize(zigzag32(value));

/** Zigzag of a safe integer beyond int32 (timestamp deltas can be), in doubles. */
function zigzagWide(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

function varlongSize(value: number): number {
  if (value >= -0x80000000 && value <= 0x7fffffff) return varintSize(value);
  let zigzag = zigzagWide(value);
  let size = 1;
  while (zigzag >= 0x80) {
    zigzag = Math.floor(zigzag / 128);
    size++;
  }
  return size;
}

function writeUvarint(buf: Buffer, position: number, value: number): number {
  while (value >= 0x80) {
    buf[position++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  buf[position++] = value;
  return position;
}

const writeVarint = (buf: Buffer, position: number, value: number): number =>
  writeUvarint(buf, position, zigzag32(value));

function writeVarlong(buf: Buffer, position: number, value: number): number {
  if (value >= -0x80000000 && value <= 0x7fffffff) return writeVarint(buf, position, value);
  let zigzag = zigzagWide(value);
  while (zigzag >= 0x80) {
    buf[position++] = (zigzag % 128) | 0x80;
    zigzag = Math.floor(zigzag / 128);
  }
  buf[position++] = zigzag;
  return position;
}

/** Writes a field measured as `size` bytes; −1 means null and writes nothing. */
function writeField(buf: Buffer, position: number, field: unknown, size: number): number {
  if (size <= 0) return position;
  if (typeof field === "string") buf.write(field, position, size, "utf8");
  else if (Buffer.isBuffer(field)) field.copy(buf, position);
  else buf.write(String(field), position, size, "utf8");
  return position + size;
}

function timestampOf(message: Message, defaultTimestamp: number): number {
  const given = message.timestamp;
  if (given === undefined || given === null) return defaultTimestamp;
  const parsed = Number(given);
  // kafkajs writes an unparsable timestamp as the batch's first one; the send time is as good.
  return Number.isFinite(parsed) ? Math.trunc(parsed) : defaultTimestamp;
}

type HeaderVisitor = (key: string, value: unknown) => void;

/** Each header once per value (arrays become repeated headers); undefined values are left out. */
function forEachHeader(headers: IHeaders, visit: HeaderVisitor): void {
  for (const key of Object.keys(headers)) {
    const value = headers[key];
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) visit(key, item);
    else visit(key, value);
  }
}

function headersSize(headers: IHeaders | undefined): number {
  if (!headers) return 1;
  let count = 0;
  let size = 0;
  forEachHeader(headers, (key, value) => {
    const keySize = Buffer.byteLength(key, "utf8");
    const valueSize = fieldSize(value);
    count++;
    size += varintSize(keySize) + keySize + varintSize(valueSize) + Math.max(valueSize, 0);
  });
  return varintSize(count) + size;
}

/**
 * Measures the records of `sources[first..end)`, taking whole sources while the records section
 * stays within `maxBytes` (the first source always). The first record's timestamp is the batch's
 * base, as in the Java producer; other records' deltas may be negative.
 */
export function layoutRecords(
  sources: readonly RecordSource[],
  first: number,
  end: number,
  maxBytes: number,
): RecordsLayout {
  let recordCount = 0;
  let recordsSize = 0;
  let sourceCount = 0;
  let baseTimestamp = 0;
  let maxTimestamp = 0;
  for (let s = first; s < end; s++) {
    const { messages, defaultTimestamp } = sources[s]!;
    ensureScratch(recordCount + messages.length);
    let sourceSize = 0;
    let sourceMax = maxTimestamp;
    for (let i = 0; i < messages.length; i++) {
      const message = messages[i]!;
      const index = recordCount + i;
      const timestamp = timestampOf(message, defaultTimestamp);
      if (index === 0) {
        baseTimestamp = timestamp;
        sourceMax = timestamp;
      } else if (timestamp > sourceMax) {
        sourceMax = timestamp;
      }
      const keySize = fieldSize(message.key);
      const valueSize = fieldSize(message.value);
      const body =
        1 +
        varlongSize(timestamp - baseTimestamp) +
        varintSize(index) +
        varintSize(keySize) +
        Math.max(keySize, 0) +
        varintSize(valueSize) +
        Math.max(valueSize, 0) +
        headersSize(message.headers);
      timestamps[index] = timestamp;
      keySizes[index] = keySize;
      valueSizes[index] = valueSize;
      bodySizes[index] = body;
      sourceSize += uvarintSize(zigzag32(body)) + body;
    }
    if (sourceCount > 0 && recordsSize + sourceSize > maxBytes) break;
    recordsSize += sourceSize;
    recordCount += messages.length;
    maxTimestamp = sourceMax;
    sourceCount++;
  }
  return { sourceCount, recordCount, recordsSize, baseTimestamp, maxTimestamp };
}

/** Writes the records laid out by the last layoutRecords call into `target` at `position`. */
export function writeRecords(
  sources: readonly RecordSource[],
  first: number,
  layout: RecordsLayout,
  target: Buffer,
  position: number,
): number {
  let index = 0;
  const writeHeader: HeaderVisitor = (key, value) => {
    const keySize = Buffer.byteLength(key, "utf8");
    position = writeVarint(target, position, keySize);
    position += target.write(key, position, keySize, "utf8");
    const valueSize = fieldSize(value);
    position = writeVarint(target, position, valueSize);
    position = writeField(target, position, value, valueSize);
  };
  for (let s = first; s < first + layout.sourceCount; s++) {
    for (const message of sources[s]!.messages) {
      position = writeVarint(target, position, bodySizes[index]!);
      target[position++] = 0; // record attributes: none are defined
      position = writeVarlong(target, position, timestamps[index]! - layout.baseTimestamp);
      position = writeVarint(target, position, index);
      const keySize = keySizes[index]!;
      position = writeVarint(target, position, keySize);
      position = writeField(target, position, message.key, keySize);
      const valueSize = valueSizes[index]!;
      position = writeVarint(target, position, valueSize);
      position = writeField(target, position, message.value, valueSize);
      const headers = message.headers;
      if (!headers) {
        target[position++] = 0;
      } else {
        let count = 0;
        forEachHeader(headers, () => {
          count++;
        });
        position = writeVarint(target, position, count);
        forEachHeader(headers, writeHeader);
      }
      index++;
    }
  }
  return position;
}

export interface BatchHeaderFields {
  compression: number;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
}

function writeInt64(buf: Buffer, value: number, position: number): void {
  buf.writeInt32BE(Math.floor(value / 0x100000000), position);
  buf.writeUInt32BE(value >>> 0, position + 4);
}

/** Fills the 61-byte header of the batch in `batch` (records section already in place) and its CRC. */
export function writeBatchHeader(batch: Buffer, layout: RecordsLayout, fields: BatchHeaderFields): void {
  batch.writeBigInt64BE(0n, BatchField.baseOffset);
  batch.writeInt32BE(batch.length - BATCH_LOG_OVERHEAD, BatchField.batchLength);
  batch.writeInt32BE(-1, BatchField.partitionLeaderEpoch);
  batch.writeInt8(CURRENT_MAGIC, BatchField.magic);
  batch.writeInt16BE(makeAttributes({ compression: fields.compression }), BatchField.attributes);
  batch.writeInt32BE(layout.recordCount - 1, BatchField.lastOffsetDelta);
  writeInt64(batch, layout.baseTimestamp, BatchField.baseTimestamp);
  writeInt64(batch, layout.maxTimestamp, BatchField.maxTimestamp);
  batch.writeBigInt64BE(fields.producerId, BatchField.producerId);
  batch.writeInt16BE(fields.producerEpoch, BatchField.producerEpoch);
  batch.writeInt32BE(fields.baseSequence, BatchField.baseSequence);
  batch.writeInt32BE(layout.recordCount, BatchField.recordCount);
  batch.writeUInt32BE(crc32c(batch.subarray(BatchField.attributes)), BatchField.crc);
}

/** An uncompressed batch of the laid-out records, in one buffer. */
export function encodeUncompressedBatch(
  sources: readonly RecordSource[],
  first: number,
  layout: RecordsLayout,
  fields: BatchHeaderFields,
): Buffer {
  const batch = Buffer.allocUnsafe(BATCH_HEADER_SIZE + layout.recordsSize);
  writeRecords(sources, first, layout, batch, BATCH_HEADER_SIZE);
  writeBatchHeader(batch, layout, fields);
  return batch;
}

/** The laid-out records section alone, for a codec to compress. */
export function encodeRecordsSection(sources: readonly RecordSource[], first: number, layout: RecordsLayout): Buffer {
  const section = Buffer.allocUnsafe(layout.recordsSize);
  writeRecords(sources, first, layout, section, 0);
  return section;
}

/** A batch around an already compressed records section. */
export function wrapCompressedRecords(compressed: Buffer, layout: RecordsLayout, fields: BatchHeaderFields): Buffer {
  const batch = Buffer.allocUnsafe(BATCH_HEADER_SIZE + compressed.length);
  compressed.copy(batch, BATCH_HEADER_SIZE);
  writeBatchHeader(batch, layout, fields);
  return batch;
}
