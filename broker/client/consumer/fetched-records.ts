// Turns the records of one fetched partition into kafkajs-shaped messages. This is the consumer's
// hottest loop: the protocol's RecordReader walks the records with plain numbers (offsets and
// timestamps stay exact as doubles up to 2^53, far beyond any real offset or epoch-ms timestamp),
// and keys, values and header values are views of the response, not copies. A record that does
// not decode is a KafkaJSError naming its offset.
//
// What is not handed to the app: records below the fetch offset (a fetch starts at the batch that
// holds the fetch offset), control batches (transaction markers), batches of aborted transactions
// when reading committed, and a batch cut off at the end of the response (it comes whole next time).
import { ProtocolDecodeError } from "../../protocol/primitives.ts";
import {
  AttributeBit,
  BATCH_HEADER_SIZE,
  BATCH_LOG_OVERHEAD,
  BatchField,
  CURRENT_MAGIC,
  compressionCodecOf,
  readInt64AsNumber,
} from "../../protocol/record-batch/layout.ts";
import { RecordReader, uncompressedRecords } from "../../protocol/record-batch/record-reader.ts";
import { framingProblemAt } from "../../protocol/record-batch/splitter.ts";
import { KafkaJSError, KafkaJSNotImplemented } from "../errors.ts";
import { CompressionTypes } from "../producer/compression.ts";
import type { IHeaders } from "../types.ts";
import type { KafkaMessage } from "./types.ts";

export interface AbortedTransaction {
  producerId: bigint;
  firstOffset: bigint;
}

export interface FetchedRecords {
  messages: KafkaMessage[];
  /** First offset at or after the fetch offset among all records read, filtered ones included. */
  firstOffset: number | null;
  /** Offset after the last whole batch that reached the fetch offset; null when there was none. */
  nextOffset: number | null;
  /** Whether the response held any whole batch, even one entirely below the fetch offset. */
  hadBatches: boolean;
}

/** Reused by every call: decoding is synchronous, and its fields are read before the next call. */
const reader = new RecordReader();

/** kafkajs's name of a compression codec, for its "not implemented" error. */
function codecName(codec: number): string {
  return Object.entries(CompressionTypes).find(([, value]) => value === codec)?.[0] ?? `codec ${codec}`;
}

/**
 * Filters transactions the way Kafka's own consumer does: a producer's batches are dropped from
 * the first offset of its aborted transaction until its abort marker.
 */
class AbortedTransactionFilter {
  private readonly pending: AbortedTransaction[];
  private readonly abortedProducers = new Set<bigint>();

  constructor(aborted: AbortedTransaction[]) {
    this.pending = [...aborted].sort((a, b) =>
      a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0,
    );
  }

  /** Whether the batch is to be skipped; a control batch is always skipped. */
  skips(buf: Buffer, position: number, attributes: number, lastOffset: number, end: number): boolean {
    while (this.pending.length > 0 && Number(this.pending[0]!.firstOffset) <= lastOffset) {
      this.abortedProducers.add(this.pending.shift()!.producerId);
    }
    if ((attributes & AttributeBit.transactional) === 0) return (attributes & AttributeBit.control) !== 0;
    const producerId = buf.readBigInt64BE(position + BatchField.producerId);
    if ((attributes & AttributeBit.control) !== 0) {
      if (isAbortMarker(buf, position + BATCH_HEADER_SIZE, end)) this.abortedProducers.delete(producerId);
      return true;
    }
    return this.abortedProducers.has(producerId);
  }
}

/** A control record's key is version int16, type int16; type 0 marks an abort. */
function isAbortMarker(buf: Buffer, recordsStart: number, recordsEnd: number): boolean {
  reader.reset(buf, recordsStart, recordsEnd, 1);
  if (!reader.next()) return false;
  const key = reader.key();
  return key !== null && key.length >= 4 && key.readInt16BE(2) === 0;
}

/**
 * Decodes one partition's records blob from a Fetch response. `readCommitted` with a non-empty
 * `abortedTransactions` drops aborted transactional data.
 */
export function decodeFetchedRecords(
  records: Buffer | null,
  fetchOffset: bigint,
  abortedTransactions: AbortedTransaction[] | null,
  readCommitted: boolean,
): FetchedRecords {
  const result: FetchedRecords = { messages: [], firstOffset: null, nextOffset: null, hadBatches: false };
  if (records === null || records.length === 0) return result;
  const from = Number(fetchOffset);
  const filter =
    readCommitted && abortedTransactions !== null && abortedTransactions.length > 0
      ? new AbortedTransactionFilter(abortedTransactions)
      : null;
  const messages = result.messages;
  let position = 0;
  while (position < records.length) {
    const problem = framingProblemAt(records, position, records.length - position);
    if (problem === "unsupported-magic") {
      const magic = records.readInt8(position + BatchField.magic);
      throw new KafkaJSError(`record batch magic ${magic} is not supported (only ${CURRENT_MAGIC})`, {
        retriable: false,
      });
    }
    // A batch cut off at the end of the response comes whole with the next fetch.
    if (problem !== null) break;
    const end = position + BATCH_LOG_OVERHEAD + records.readInt32BE(position + BatchField.batchLength);
    result.hadBatches = true;
    const baseOffset = readInt64AsNumber(records, position + BatchField.baseOffset);
    const lastOffset = baseOffset + records.readInt32BE(position + BatchField.lastOffsetDelta);
    if (lastOffset < from) {
      position = end;
      continue;
    }
    const attributes = records.readInt16BE(position + BatchField.attributes);
    const skipped =
      filter !== null
        ? skipsCorrupt(filter, records, position, attributes, lastOffset, end, baseOffset)
        : (attributes & AttributeBit.control) !== 0;
    if (skipped) {
      result.firstOffset ??= Math.max(baseOffset, from);
    } else {
      try {
        readBatchRecords(records, position, end, attributes, baseOffset, from, messages, result);
      } catch (error) {
        throw corrupt(error, baseOffset, Math.max(reader.index - 1, 0));
      }
    }
    result.nextOffset = lastOffset + 1;
    position = end;
  }
  return result;
}

/**
 * The nextOffset that decodeFetchedRecords will report for the same records, from the batch
 * headers alone (no record is read): lets the consumer ask for the next fetch before decoding
 * this one. Null when no whole batch reaches the fetch offset; a malformed blob gives null too,
 * and decoding reports it.
 */
export function fetchedNextOffset(records: Buffer | null, fetchOffset: bigint): number | null {
  if (records === null) return null;
  const from = Number(fetchOffset);
  let nextOffset: number | null = null;
  let position = 0;
  while (position < records.length) {
    if (framingProblemAt(records, position, records.length - position) !== null) break;
    const lastOffset =
      readInt64AsNumber(records, position + BatchField.baseOffset) +
      records.readInt32BE(position + BatchField.lastOffsetDelta);
    if (lastOffset >= from) nextOffset = lastOffset + 1;
    position += BATCH_LOG_OVERHEAD + records.readInt32BE(position + BatchField.batchLength);
  }
  return nextOffset;
}

function skipsCorrupt(
  filter: AbortedTransactionFilter,
  records: Buffer,
  position: number,
  attributes: number,
  lastOffset: number,
  end: number,
  baseOffset: number,
): boolean {
  try {
    return filter.skips(records, position, attributes, lastOffset, end);
  } catch (error) {
    throw corrupt(error, baseOffset, 0);
  }
}

function corrupt(error: unknown, baseOffset: number, index: number): unknown {
  if (!(error instanceof ProtocolDecodeError)) return error;
  return new KafkaJSError(`corrupt record at offset ${baseOffset} + ${index}: ${error.message}`, { cause: error });
}

function readBatchRecords(
  buf: Buffer,
  position: number,
  end: number,
  attributes: number,
  baseOffset: number,
  from: number,
  messages: KafkaMessage[],
  result: FetchedRecords,
): void {
  const recordCount = buf.readInt32BE(position + BatchField.recordCount);
  const baseTimestamp = readInt64AsNumber(buf, position + BatchField.baseTimestamp);
  const logAppendTime = (attributes & AttributeBit.logAppendTime) !== 0;
  const appendTimestamp = logAppendTime ? String(readInt64AsNumber(buf, position + BatchField.maxTimestamp)) : "";
  reader.reset(buf, 0, 0, 0); // a record index of 0 for a batch that does not decompress
  const section = uncompressedRecords(buf, position + BATCH_HEADER_SIZE, end, attributes);
  if (section === null) {
    throw new KafkaJSNotImplemented(`${codecName(compressionCodecOf(attributes))} compression not implemented`);
  }
  // Records of one batch mostly share a timestamp: convert each distinct one to a string once.
  let lastTimestamp = NaN;
  let lastTimestampText = "";
  const records = reader.reset(section, 0, section.length, recordCount);
  while (records.next()) {
    const offset = baseOffset + records.offsetDelta;
    if (offset < from) continue;
    result.firstOffset ??= offset;
    const key = records.key();
    const value = records.value();
    const headers: IHeaders = records.headerCount === 0 ? {} : readHeaders(records);
    const timestampDelta = records.timestampDelta;
    if (!logAppendTime && timestampDelta !== lastTimestamp) {
      lastTimestamp = timestampDelta;
      lastTimestampText = String(baseTimestamp + timestampDelta);
    }
    messages.push({
      key,
      value,
      timestamp: logAppendTime ? appendTimestamp : lastTimestampText,
      attributes: records.attributes,
      offset: String(offset),
      headers,
    });
  }
}

/** The current record's headers as kafkajs shows them: a repeated key collects its values in an array. */
function readHeaders(records: RecordReader): IHeaders {
  const headers: IHeaders = {};
  for (let h = 0; h < records.headerCount; h++) {
    records.nextHeader();
    const headerKey = records.headerKey();
    const headerValue = records.headerValue() as Buffer;
    const existing = headers[headerKey];
    if (existing === undefined) headers[headerKey] = headerValue;
    else if (Array.isArray(existing)) existing.push(headerValue);
    else headers[headerKey] = [existing, headerValue];
  }
  return headers;
}
