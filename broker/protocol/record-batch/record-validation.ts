// What a produced batch's records must be before the broker stores them, as Kafka's LogValidator
// checks them: the record count agrees with the offset range, and the records section (inflated,
// for gzip) holds exactly that many whole records, each exactly as long as its length prefix,
// with no byte after the last. A batch that passes its CRC can still be garbage inside (a buggy
// or hostile client computes the CRC over what it sends); stored, it would break every consumer
// that reads past it. Snappy, lz4 and zstd batches cannot be inflated here: only their framing
// and CRC are checked, as before.
//
// Every record of every produced batch is walked, so the walk is on the broker's hottest path: a
// tight loop over local positions (plainlyWellFormed) says yes for the ordinary batch, and only
// a batch it cannot vouch for (a varint it does not handle, or any problem) is walked again by
// the strict RecordReader, which names what is wrong.
import { ProtocolDecodeError } from "../primitives.ts";
import { BATCH_HEADER_SIZE, CompressionCodec, compressionCodecOf, type RecordBatchHeader } from "./layout.ts";
import { RecordReader, uncompressedRecords } from "./record-reader.ts";

/** Codec ids 5-7 mean nothing: such a batch cannot be read by anyone. */
const HIGHEST_CODEC = CompressionCodec.Zstd;

/**
 * Why the records of the whole batch at `position` of `buf` (framing and CRC already checked) are
 * not storable, or null when they are.
 */
export function recordsProblem(buf: Buffer, position: number, size: number, header: RecordBatchHeader): string | null {
  const count = header.recordCount;
  if (count <= 0) return `batch at byte ${position} claims ${count} records`;
  if (header.lastOffsetDelta + 1 !== count) {
    return `batch at byte ${position} claims ${count} records but offset deltas up to ${header.lastOffsetDelta}`;
  }
  const codec = compressionCodecOf(header.attributes);
  if (codec > HIGHEST_CODEC) return `batch at byte ${position} has unknown compression codec ${codec}`;
  try {
    const section = uncompressedRecords(buf, position + BATCH_HEADER_SIZE, position + size, header.attributes);
    if (section === null) return null;
    if (plainlyWellFormed(section, count)) return null;
    return walkProblem(section, count);
  } catch (error) {
    if (error instanceof ProtocolDecodeError) return `batch at byte ${position}: ${error.message}`;
    throw error;
  }
}

/** Walks the records of a records section strictly; says what is wrong, or null. */
export function walkProblem(section: Buffer, count: number): string | null {
  const reader = new RecordReader().reset(section, 0, section.length, count);
  while (reader.next()) {
    const record = reader.index - 1;
    if (reader.keyLength < -1 || reader.valueLength < -1) return `record ${record} has a negative key or value length`;
    for (let h = 0; h < reader.headerCount; h++) {
      reader.nextHeader();
      if (reader.headerValueLength < -1) return `record ${record} has a negative header value length`;
    }
    if (!reader.consumedWholeRecord) {
      return `record ${record} is ${reader.recordLength} bytes long but its fields take ${reader.recordLength - reader.unreadRecordBytes}`;
    }
  }
  if (reader.index < count) return `batch claims ${count} records, its bytes hold ${reader.index}`;
  if (reader.bytesAfterLastRecord !== 0) return `${reader.bytesAfterLastRecord} bytes follow the last record`;
  return null;
}

/**
 * A zigzag varint of at most 3 bytes at `at`, all before `limit`, returned as
 * (encoded value << 2 | bytes read), or -1 when it is longer or runs past `limit`: such a varint
 * is left to the strict walk. 3 bytes hold lengths and counts up to 2^20, more than a record
 * of an ordinary batch needs; the result stays a small integer.
 */
function shortVarint(buf: Buffer, at: number, limit: number): number {
  if (at >= limit) return -1;
  const b0 = buf[at]!;
  if (b0 < 0x80) return (b0 << 2) | 1;
  if (at + 1 >= limit) return -1;
  const b1 = buf[at + 1]!;
  if (b1 < 0x80) return (((b1 << 7) | (b0 & 0x7f)) << 2) | 2;
  if (at + 2 >= limit) return -1;
  const b2 = buf[at + 2]!;
  if (b2 >= 0x80) return -1;
  return (((b2 << 14) | ((b1 & 0x7f) << 7) | (b0 & 0x7f)) << 2) | 3;
}

/** The signed value of a shortVarint result. */
const zigzag = (read: number): number => {
  const raw = read >>> 2;
  return (raw >>> 1) ^ -(raw & 1);
};

/**
 * True only when walkProblem would find nothing wrong: exactly `count` records filling the
 * section, each field within its record and its record within the section, lengths of at least
 * -1 (0 for a header key), header counts that fit, each record consumed whole. False means
 * "not sure" (a varint longer than shortVarint reads, or a problem), never "fine".
 */
export function plainlyWellFormed(section: Buffer, count: number): boolean {
  const end = section.length;
  let at = 0;
  for (let record = 0; record < count; record++) {
    let read = shortVarint(section, at, end);
    if (read < 0) return false;
    at += read & 3;
    const length = zigzag(read);
    if (length <= 0 || length > end - at) return false;
    const recordEnd = at + length;
    at++; // attributes
    // The timestamp delta: any varlong of at most 10 bytes.
    for (let i = 0; ; i++) {
      if (at >= recordEnd || i === 10) return false;
      if (section[at++]! < 0x80) break;
    }
    read = shortVarint(section, at, recordEnd); // offset delta
    if (read < 0) return false;
    at += read & 3;
    for (let field = 0; field < 2; field++) {
      // key, then value
      read = shortVarint(section, at, recordEnd);
      if (read < 0) return false;
      at += read & 3;
      const fieldLength = zigzag(read);
      if (fieldLength < -1 || fieldLength > recordEnd - at) return false;
      if (fieldLength > 0) at += fieldLength;
    }
    read = shortVarint(section, at, recordEnd);
    if (read < 0) return false;
    at += read & 3;
    const headerCount = zigzag(read);
    if (headerCount < 0 || headerCount * 2 > recordEnd - at) return false;
    for (let h = 0; h < headerCount; h++) {
      read = shortVarint(section, at, recordEnd);
      if (read < 0) return false;
      at += read & 3;
      const keyLength = zigzag(read);
      if (keyLength < 0 || keyLength > recordEnd - at) return false;
      at += keyLength;
      read = shortVarint(section, at, recordEnd);
      if (read < 0) return false;
      at += read & 3;
      const valueLength = zigzag(read);
      if (valueLength < -1 || valueLength > recordEnd - at) return false;
      if (valueLength > 0) at += valueLength;
    }
    if (at !== recordEnd) return false;
  }
  return at === end;
}
