// Turns the records of one fetched partition into kafkajs-shaped messages. This is the consumer's
// hottest loop, so it reads the record batch format (magic 2) directly with plain numbers: offsets
// and timestamps stay exact as doubles up to 2^53, far beyond any real offset or epoch-ms
// timestamp, and keys, values and header values are views of the response, not copies.
//
// What is not handed to the app: records below the fetch offset (a fetch starts at the batch that
// holds the fetch offset), control batches (transaction markers), batches of aborted transactions
// when reading committed, and a batch cut off at the end of the response (it comes whole next time).
import { gunzipSync } from "node:zlib";
import { KafkaJSError, KafkaJSNotImplemented } from "../errors.ts";
import type { IHeaders } from "../types.ts";
import type { KafkaMessage } from "./types.ts";

const HEADER_SIZE = 61;
const LOG_OVERHEAD = 12;
const TWO_POW_32 = 4294967296;

const Attribute = { codec: 0x07, logAppendTime: 0x08, transactional: 0x10, control: 0x20 } as const;
const Codec = { none: 0, gzip: 1 } as const;
const codecNames = ["none", "gzip", "Snappy", "LZ4", "ZSTD"];

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

let cursor = 0;

function readVarint(buf: Buffer): number {
  let value = 0;
  let shift = 0;
  let byte: number;
  do {
    byte = buf[cursor++]!;
    value |= (byte & 0x7f) << shift;
    shift += 7;
  } while (byte & 0x80 && shift < 35);
  return (value >>> 1) ^ -(value & 1);
}

/** Zigzag varlong as a double: exact up to 2^53, which timestamps and their deltas stay below. */
function readVarlong(buf: Buffer): number {
  let value = 0;
  let scale = 1;
  let byte: number;
  do {
    byte = buf[cursor++]!;
    value += (byte & 0x7f) * scale;
    scale *= 128;
  } while (byte & 0x80 && scale < 2 ** 70);
  return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
}

function readInt64(buf: Buffer, at: number): number {
  return buf.readInt32BE(at) * TWO_POW_32 + buf.readUInt32BE(at + 4);
}

function readBytes(buf: Buffer): Buffer | null {
  const length = readVarint(buf);
  if (length < 0) return null;
  const start = cursor;
  cursor += length;
  return buf.subarray(start, cursor);
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
  skips(
    buf: Buffer,
    position: number,
    attributes: number,
    lastOffset: number,
    recordsStart: number,
    recordsEnd: number,
  ): boolean {
    while (this.pending.length > 0 && Number(this.pending[0]!.firstOffset) <= lastOffset) {
      this.abortedProducers.add(this.pending.shift()!.producerId);
    }
    if ((attributes & Attribute.transactional) === 0) return (attributes & Attribute.control) !== 0;
    const producerId = buf.readBigInt64BE(position + 43);
    if ((attributes & Attribute.control) !== 0) {
      if (isAbortMarker(buf, recordsStart, recordsEnd)) this.abortedProducers.delete(producerId);
      return true;
    }
    return this.abortedProducers.has(producerId);
  }
}

/** A control record's key is version int16, type int16; type 0 marks an abort. */
function isAbortMarker(buf: Buffer, recordsStart: number, recordsEnd: number): boolean {
  if (recordsStart >= recordsEnd) return false;
  cursor = recordsStart;
  readVarint(buf); // length
  cursor += 1; // attributes
  readVarlong(buf); // timestamp delta
  readVarint(buf); // offset delta
  const key = readBytes(buf);
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
  while (records.length - position >= HEADER_SIZE) {
    const batchLength = records.readInt32BE(position + 8);
    const end = position + LOG_OVERHEAD + batchLength;
    if (batchLength < HEADER_SIZE - LOG_OVERHEAD || end > records.length) break;
    const magic = records.readInt8(position + 16);
    if (magic !== 2)
      throw new KafkaJSError(`record batch magic ${magic} is not supported (only 2)`, { retriable: false });
    result.hadBatches = true;
    const baseOffset = readInt64(records, position);
    const lastOffset = baseOffset + records.readInt32BE(position + 23);
    if (lastOffset < from) {
      position = end;
      continue;
    }
    const attributes = records.readInt16BE(position + 21);
    const skipped =
      filter !== null
        ? filter.skips(records, position, attributes, lastOffset, position + HEADER_SIZE, end)
        : (attributes & Attribute.control) !== 0;
    if (skipped) {
      result.firstOffset ??= Math.max(baseOffset, from);
    } else {
      readBatchRecords(records, position, end, attributes, baseOffset, from, messages, result);
    }
    result.nextOffset = lastOffset + 1;
    position = end;
  }
  return result;
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
  const recordCount = buf.readInt32BE(position + 57);
  const baseTimestamp = readInt64(buf, position + 27);
  const logAppendTime = (attributes & Attribute.logAppendTime) !== 0;
  const appendTimestamp = logAppendTime ? String(readInt64(buf, position + 35)) : "";
  let section = buf;
  let start = position + HEADER_SIZE;
  let sectionEnd = end;
  const codec = attributes & Attribute.codec;
  if (codec === Codec.gzip) {
    section = gunzipSync(buf.subarray(start, end));
    start = 0;
    sectionEnd = section.length;
  } else if (codec !== Codec.none) {
    throw new KafkaJSNotImplemented(`${codecNames[codec] ?? `codec ${codec}`} compression not implemented`);
  }
  // Records of one batch mostly share a timestamp: convert each distinct one to a string once.
  let lastTimestamp = NaN;
  let lastTimestampText = "";
  cursor = start;
  for (let i = 0; i < recordCount && cursor < sectionEnd; i++) {
    const length = readVarint(section);
    const recordEnd = cursor + length;
    if (length < 0 || recordEnd > sectionEnd) throw new KafkaJSError(`corrupt record at offset ${baseOffset} + ${i}`);
    const recordAttributes = section[cursor++]!;
    const timestampDelta = readVarlong(section);
    const offset = baseOffset + readVarint(section);
    if (offset < from) {
      cursor = recordEnd;
      continue;
    }
    result.firstOffset ??= offset;
    const key = readBytes(section);
    const value = readBytes(section);
    const headerCount = readVarint(section);
    const headers: IHeaders = {};
    for (let h = 0; h < headerCount; h++) {
      const keyLength = readVarint(section);
      const headerKey = section.toString("utf8", cursor, cursor + keyLength);
      cursor += keyLength;
      const headerValue = readBytes(section) as Buffer;
      const existing = headers[headerKey];
      if (existing === undefined) headers[headerKey] = headerValue;
      else if (Array.isArray(existing)) existing.push(headerValue);
      else headers[headerKey] = [existing, headerValue];
    }
    if (cursor > recordEnd) throw new KafkaJSError(`corrupt record at offset ${offset}`);
    cursor = recordEnd;
    if (!logAppendTime && timestampDelta !== lastTimestamp) {
      lastTimestamp = timestampDelta;
      lastTimestampText = String(baseTimestamp + timestampDelta);
    }
    messages.push({
      key,
      value,
      timestamp: logAppendTime ? appendTimestamp : lastTimestampText,
      attributes: recordAttributes,
      offset: String(offset),
      headers,
    });
  }
}
