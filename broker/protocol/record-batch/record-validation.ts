// What a produced batch's records must be before the broker stores them, as Kafka's LogValidator
// checks them: the record count agrees with the offset range, and the records section (inflated,
// for gzip) holds exactly that many whole records, each exactly as long as its length prefix,
// with no byte after the last. A batch that passes its CRC can still be garbage inside (a buggy
// or hostile client computes the CRC over what it sends); stored, it would break every consumer
// that reads past it. Snappy, lz4 and zstd batches cannot be inflated here: only their framing
// and CRC are checked, as before.
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
    return walkProblem(section, count);
  } catch (error) {
    if (error instanceof ProtocolDecodeError) return `batch at byte ${position}: ${error.message}`;
    throw error;
  }
}

/** Walks the records of a records section strictly; says what is wrong, or null. */
function walkProblem(section: Buffer, count: number): string | null {
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
