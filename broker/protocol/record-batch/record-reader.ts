// The one record walker: steps through the records section of a batch with plain numbers and
// positions, so the consumer's hottest loop allocates nothing a record does not need. Keys, values
// and header values come out as views of the section, not copies. Every length and count is
// checked against the bytes actually left (of the record, or of the section) before it is used,
// and a record's fields never reach past the record's own length; what does not fit throws
// ProtocolDecodeError. Offsets and timestamps are doubles here, exact up to 2^53 (far beyond any
// real offset delta or epoch-ms timestamp); a caller that must be exact beyond that re-reads the
// timestamp delta as a bigint at `timestampDeltaAt`.
//
// Ownership: a RecordReader owns its cursor; the fields of the current record are valid until the
// next call of next().
import { gunzipSync } from "node:zlib";
import { ProtocolDecodeError } from "../primitives.ts";
import { CompressionCodec, compressionCodecOf } from "./layout.ts";

const EMPTY = Buffer.alloc(0);

/**
 * The most a compressed records section may inflate to. Far above any real batch (Kafka's
 * default max.message.bytes is 1 MiB), but it stops a small gzip bomb (~1,000:1) from costing
 * gigabytes: what inflates beyond it is refused like a corrupt batch.
 */
export const MAX_UNCOMPRESSED_RECORDS_BYTES = 256 * 1024 * 1024;
/** Any compressed section may inflate this far: small batches of very repetitive records. */
const INFLATION_FLOOR_BYTES = 8 * 1024 * 1024;
/** Beyond the floor, a section may inflate to this multiple of its compressed size (JSON is ~10x). */
const MAX_INFLATION_RATIO = 64;

/**
 * How far `compressedBytes` of records may inflate: a multiple of their size above a floor,
 * under MAX_UNCOMPRESSED_RECORDS_BYTES. A gzip bomb then costs a bounded multiple of the bytes
 * sent (and the time to inflate them), not a quarter of a gigabyte per batch.
 */
export function inflationLimitFor(compressedBytes: number): number {
  return Math.min(
    MAX_UNCOMPRESSED_RECORDS_BYTES,
    Math.max(INFLATION_FLOOR_BYTES, compressedBytes * MAX_INFLATION_RATIO),
  );
}

/**
 * The uncompressed records section of the batch spanning [start, end) of `buf` (start being where
 * its records begin): a view when uncompressed, the gunzipped bytes for gzip, and null for a codec
 * this module cannot decompress (the caller reports it its own way).
 */
export function uncompressedRecords(
  buf: Buffer,
  start: number,
  end: number,
  attributes: number,
  maxInflatedBytes = inflationLimitFor(end - start),
): Buffer | null {
  const codec = compressionCodecOf(attributes);
  if (codec === CompressionCodec.None) return buf.subarray(start, end);
  if (codec !== CompressionCodec.Gzip) return null;
  try {
    return gunzipSync(buf.subarray(start, end), { maxOutputLength: maxInflatedBytes });
  } catch (error) {
    throw new ProtocolDecodeError(`gzip record batch does not decompress: ${(error as Error).message}`);
  }
}

export class RecordReader {
  private buf: Buffer = EMPTY;
  private position = 0;
  private end = 0;
  private countLeft = 0;

  /** Records reached by next() so far (the current one included). */
  index = 0;
  /** Byte range of the current record in the section, length prefix included. */
  recordStart = 0;
  recordEnd = 0;
  /** Where the record's bytes after its length prefix start (its attributes). */
  bodyStart = 0;
  attributes = 0;
  timestampDelta = 0;
  offsetDelta = 0;
  /** Where key and value start and their lengths as read (negative: null); key() and value() give views. */
  keyStart = 0;
  keyLength = -1;
  valueStart = 0;
  valueLength = -1;
  headerCount = 0;
  /** Set by nextHeader(). */
  headerKeyStart = 0;
  headerKeyLength = 0;
  headerValueStart = 0;
  headerValueLength = -1;

  /** Walks at most `recordCount` records in [start, end) of `section`. */
  reset(section: Buffer, start: number, end: number, recordCount: number): this {
    this.buf = section;
    this.position = start;
    this.end = end;
    this.countLeft = recordCount;
    this.index = 0;
    this.recordEnd = start;
    return this;
  }

  /** Bytes after the last record read, up to the end of the section. */
  get bytesAfterLastRecord(): number {
    return this.end - this.recordEnd;
  }

  /**
   * Moves to the next record and reads its fields up to its headers (length, attributes,
   * timestamp and offset deltas, key, value, header count); nextHeader() reads the headers.
   * False once the batch's record count is reached or the section has no byte left; the caller
   * that needs every counted record compares `index` with the count.
   */
  next(): boolean {
    const start = this.recordEnd;
    const end = this.end;
    if (this.countLeft <= 0 || start >= end) return false;
    this.countLeft--;
    this.index++;
    this.position = start;
    const length = this.varint(end);
    const bodyStart = this.position;
    if (length <= 0 || length > end - bodyStart) throw this.badLength(length, end - bodyStart);
    const recordEnd = bodyStart + length;
    this.recordStart = start;
    this.recordEnd = recordEnd;
    this.bodyStart = bodyStart;
    this.attributes = this.buf[bodyStart]!;
    this.position = bodyStart + 1;
    this.timestampDelta = this.varlong(recordEnd);
    this.offsetDelta = this.varint(recordEnd);
    const keyLength = this.varint(recordEnd);
    this.keyLength = keyLength;
    this.keyStart = this.position;
    if (keyLength > 0) this.skip(keyLength);
    const valueLength = this.varint(recordEnd);
    this.valueLength = valueLength;
    this.valueStart = this.position;
    if (valueLength > 0) this.skip(valueLength);
    const headerCount = this.varint(recordEnd);
    // A header takes at least two bytes (its key and value lengths).
    if (headerCount < 0 || headerCount * 2 > recordEnd - this.position) throw this.badHeaderCount(headerCount);
    this.headerCount = headerCount;
    return true;
  }

  /** Reads the next header of the current record (after next(), at most headerCount times). */
  nextHeader(): void {
    const recordEnd = this.recordEnd;
    const keyLength = this.varint(recordEnd);
    if (keyLength < 0) throw this.error("has a null header key");
    this.headerKeyLength = keyLength;
    this.headerKeyStart = this.position;
    if (keyLength > 0) this.skip(keyLength);
    const valueLength = this.varint(recordEnd);
    this.headerValueLength = valueLength;
    this.headerValueStart = this.position;
    if (valueLength > 0) this.skip(valueLength);
  }

  /** The record's length prefix: its bytes after the prefix. */
  get recordLength(): number {
    return this.recordEnd - this.bodyStart;
  }

  /** Where the timestamp delta's varlong starts (after the attributes byte). */
  get timestampDeltaAt(): number {
    return this.bodyStart + 1;
  }

  /** Whether the fields read so far end exactly where the record's length says it ends. */
  get consumedWholeRecord(): boolean {
    return this.position === this.recordEnd;
  }

  /** Bytes of the current record left unread by its fields. */
  get unreadRecordBytes(): number {
    return this.recordEnd - this.position;
  }

  /** The current record's key as a view of the section; null for a negative length. */
  key(): Buffer | null {
    const length = this.keyLength;
    return length < 0 ? null : this.buf.subarray(this.keyStart, this.keyStart + length);
  }

  /** The current record's value as a view of the section; null for a negative length. */
  value(): Buffer | null {
    const length = this.valueLength;
    return length < 0 ? null : this.buf.subarray(this.valueStart, this.valueStart + length);
  }

  headerKey(): string {
    return this.buf.toString("utf8", this.headerKeyStart, this.headerKeyStart + this.headerKeyLength);
  }

  headerValue(): Buffer | null {
    return this.headerValueLength < 0
      ? null
      : this.buf.subarray(this.headerValueStart, this.headerValueStart + this.headerValueLength);
  }

  /** Steps over `length` (> 0) bytes of the current record. */
  private skip(length: number): void {
    if (length > this.recordEnd - this.position) throw this.overrun();
    this.position += length;
  }

  // Errors are built out of line, so the hot methods stay small enough to be inlined.
  private error(problem: string): ProtocolDecodeError {
    return new ProtocolDecodeError(`record ${this.index - 1} ${problem}`);
  }

  private overrun(): ProtocolDecodeError {
    return this.error("has fields that run past its length");
  }

  private badLength(length: number, left: number): ProtocolDecodeError {
    return length <= 0
      ? this.error(`has length ${length}`)
      : this.error(`claims ${length} bytes, ${left} are left in its batch`);
  }

  private badHeaderCount(count: number): ProtocolDecodeError {
    return this.error(`claims ${count} headers with ${this.recordEnd - this.position} bytes left`);
  }

  /**
   * A zigzag varint of at most 5 bytes (32 bits), all before `limit`. Its bounds are checked once
   * it is read (a read past the buffer yields undefined, which ends it; a run of continuation
   * bytes is walked once before the throw), which keeps the method small enough to be inlined.
   */
  private varint(limit: number): number {
    const buf = this.buf;
    const start = this.position;
    let position = start;
    let byte = buf[position++]!;
    let value = byte & 0x7f;
    for (let shift = 7; byte >= 0x80; shift += 7) {
      byte = buf[position++]!;
      value |= (byte & 0x7f) << shift;
    }
    if (position > limit || position - start > 4) this.checkLongVarint(position - start, position > limit, byte);
    this.position = position;
    return (value >>> 1) ^ -(value & 1);
  }

  /** Throws unless a varint of `length` bytes ending in `last` is whole and within 32 bits. */
  private checkLongVarint(length: number, overrun: boolean, last: number): void {
    if (overrun) throw this.overrun();
    if (length > 5 || last > 0x0f) throw this.error("has a varint beyond 32 bits");
  }

  /** A zigzag varlong of at most 10 bytes, as a double (exact up to 2^53). */
  private varlong(limit: number): number {
    const position = this.position;
    if (position >= limit) throw this.overrun();
    const byte = this.buf[position]!;
    if (byte < 0x80) {
      this.position = position + 1;
      return (byte >>> 1) ^ -(byte & 1);
    }
    return this.longVarlong(limit);
  }

  private longVarlong(limit: number): number {
    const buf = this.buf;
    let position = this.position;
    let value = 0;
    let scale = 1;
    for (let i = 0; ; i++) {
      if (position >= limit) throw this.overrun();
      if (i === 10) throw this.error("has a varlong longer than 10 bytes");
      const byte = buf[position++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) break;
      scale *= 128;
    }
    this.position = position;
    return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
  }
}
