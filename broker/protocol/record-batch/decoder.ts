// The broker's view of a batch's records: whole DecodedRecord objects with bigint offsets and
// timestamps (ListOffsets by time, loading `__consumer_offsets`, tests), and the same with each
// record's byte range for the log cleaner. Both walk the records with the one RecordReader.
import { ProtocolDecodeError, Reader } from "../primitives.ts";
import {
  BATCH_HEADER_SIZE,
  BATCH_LOG_OVERHEAD,
  batchSize,
  CompressionCodec,
  CURRENT_MAGIC,
  compressionCodecOf,
  compressionName,
  type RecordBatchHeader,
  type RecordHeader,
  readBatchHeader,
  TimestampType,
  timestampTypeOf,
} from "./layout.ts";
import { RecordReader, uncompressedRecords } from "./record-reader.ts";

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

export interface RecordWithRange extends DecodedRecord {
  /** Byte range of the whole record (length prefix included) in the buffer the batch was decoded from. */
  start: number;
  end: number;
}

/** Decodes every record of the batch at `position`; keys and values are views, not copies. */
export function decodeRecordBatch(buf: Buffer, position: number): DecodedRecordBatch {
  const header = readCompleteBatchHeader(buf, position);
  const end = position + batchSize(header);
  const section = uncompressedRecords(buf, position + BATCH_HEADER_SIZE, end, header.attributes);
  if (section === null) {
    const codec = compressionName(compressionCodecOf(header.attributes));
    throw new Error(`record batch compression ${codec} is not supported (only none and gzip)`);
  }
  const records: DecodedRecord[] = [];
  const reader = new RecordReader().reset(section, 0, section.length, header.recordCount);
  while (reader.next()) records.push(decodeRecord(reader, header, section, false));
  checkRecordCount(reader, header);
  return { header, records };
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
  const records: RecordWithRange[] = [];
  const reader = new RecordReader().reset(
    buf,
    position + BATCH_HEADER_SIZE,
    position + batchSize(header),
    header.recordCount,
  );
  while (reader.next()) {
    const record = decodeRecord(reader, header, buf, true) as RecordWithRange;
    if (!reader.consumedWholeRecord) {
      const length = reader.recordLength;
      throw new ProtocolDecodeError(
        `record ${reader.index - 1} is ${length} bytes long but its fields take ${length - reader.unreadRecordBytes}`,
      );
    }
    record.start = reader.recordStart;
    record.end = reader.recordEnd;
    records.push(record);
  }
  checkRecordCount(reader, header);
  if (reader.bytesAfterLastRecord !== 0) {
    throw new ProtocolDecodeError(
      `${reader.bytesAfterLastRecord} bytes follow the last of the batch's ${header.recordCount} records`,
    );
  }
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

function checkRecordCount(reader: RecordReader, header: RecordBatchHeader): void {
  if (reader.index < header.recordCount) {
    throw new ProtocolDecodeError(`record batch claims ${header.recordCount} records, its bytes hold ${reader.index}`);
  }
}

/** The current record of `reader` as a DecodedRecord; `strict` refuses lengths below −1. */
function decodeRecord(
  reader: RecordReader,
  header: RecordBatchHeader,
  section: Buffer,
  strict: boolean,
): DecodedRecord {
  if (strict && (reader.keyLength < -1 || reader.valueLength < -1)) {
    throw new ProtocolDecodeError(`record ${reader.index - 1} has an invalid key or value length`);
  }
  const headers: RecordHeader[] = [];
  for (let h = 0; h < reader.headerCount; h++) {
    reader.nextHeader();
    if (strict && reader.headerValueLength < -1) {
      throw new ProtocolDecodeError(`record ${reader.index - 1} has an invalid header value length`);
    }
    headers.push({ key: reader.headerKey(), value: reader.headerValue() });
  }
  // With LogAppendTime the broker's time (maxTimestamp) applies to every record.
  const timestamp =
    timestampTypeOf(header.attributes) === TimestampType.LogAppendTime
      ? header.maxTimestamp
      : header.baseTimestamp + exactTimestampDelta(reader, section);
  return {
    offset: header.baseOffset + BigInt(reader.offsetDelta),
    timestamp,
    key: reader.key(),
    value: reader.value(),
    headers,
    attributes: reader.attributes,
  };
}

function exactTimestampDelta(reader: RecordReader, section: Buffer): bigint {
  const delta = reader.timestampDelta;
  if (Number.isSafeInteger(delta)) return BigInt(delta);
  return new Reader(section, reader.timestampDeltaAt).varlong();
}
