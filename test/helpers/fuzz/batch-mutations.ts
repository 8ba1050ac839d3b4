// Mutations inside the record batches a Produce frame carries, in place (the frame keeps its size):
// the batch's record count and offset range, its compression bits, its length, and inside its
// records every length and count (record length, key and value lengths, header count, header key
// and value lengths) rewritten to extremes of the same varint width. Most get their CRC computed
// again, as a buggy client that builds a wrong batch would send it, so that the broker's checks
// behind the CRC are reached; the others are caught by the CRC.

import {
  BATCH_HEADER_SIZE,
  BatchField,
  batchSize,
  CompressionCodec,
  compressionCodecOf,
  computeBatchCrc,
  readBatchHeader,
} from "../../../broker/protocol/record-batch/layout.ts";
import { RecordReader } from "../../../broker/protocol/record-batch/record-reader.ts";
import { varintSize } from "../../../broker/protocol/record-batch/varint.ts";
import { pickWith, type Random } from "./frame-mutations.ts";

/** A zigzag varint field of a record: where it starts and how many bytes it takes. */
export interface RecordVarint {
  name: "record-length" | "key-length" | "value-length" | "header-count" | "header-key-length" | "header-value-length";
  offset: number;
  width: number;
}

/** The varint lengths and counts of the records of the uncompressed batch at `position`, as positions in `buf`. */
export function recordVarintsOf(buf: Buffer, position: number): RecordVarint[] {
  const header = readBatchHeader(buf, position);
  const found: RecordVarint[] = [];
  // Only an uncompressed batch has its records' fields in place.
  if (compressionCodecOf(header.attributes) !== CompressionCodec.None) return found;
  const ending = (name: RecordVarint["name"], fieldEnd: number, value: number): void => {
    const width = varintSize(value);
    found.push({ name, offset: fieldEnd - width, width });
  };
  try {
    const start = position + BATCH_HEADER_SIZE;
    const reader = new RecordReader().reset(buf, start, position + batchSize(header), header.recordCount);
    while (reader.next()) {
      found.push({ name: "record-length", offset: reader.recordStart, width: reader.bodyStart - reader.recordStart });
      ending("key-length", reader.keyStart, reader.keyLength);
      ending("value-length", reader.valueStart, reader.valueLength);
      const headerCountAt = reader.valueStart + Math.max(0, reader.valueLength);
      found.push({ name: "header-count", offset: headerCountAt, width: varintSize(reader.headerCount) });
      for (let h = 0; h < reader.headerCount; h++) {
        reader.nextHeader();
        ending("header-key-length", reader.headerKeyStart, reader.headerKeyLength);
        ending("header-value-length", reader.headerValueStart, reader.headerValueLength);
      }
    }
  } catch {
    // a batch already broken: what was found is enough
  }
  return found;
}

/** Writes `value` as a zigzag varint of exactly `width` bytes (padded with continuation bytes) at `offset`. */
export function writeVarintOfWidth(buf: Buffer, offset: number, width: number, value: number): void {
  let zigzag = ((value << 1) ^ (value >> 31)) >>> 0;
  for (let i = 0; i < width; i++) {
    const last = i === width - 1;
    buf[offset + i] = (zigzag & 0x7f) | (last ? 0 : 0x80);
    zigzag >>>= 7;
  }
}

/** Extreme values a varint of `width` bytes can hold (zigzag needs one bit for the sign). */
function extremesOfWidth(width: number): number[] {
  const max = Math.min(2 ** (7 * width - 1) - 1, 0x3fffffff);
  return [-1, -2, 0, 1, max, -max - 1];
}

export type BatchMutation =
  | "record-count"
  | "last-offset-delta"
  | "count-and-range"
  | "codec"
  | "batch-length"
  | "record-varint"
  | "records-bytes";

/**
 * Mutates the batch at `position` (of `size` bytes) of `body` in place and, mostly, writes its CRC
 * again. Returns what was done.
 */
export function mutateBatch(body: Buffer, position: number, size: number, random: Random): BatchMutation {
  const pick = pickWith(random);
  const count = body.readInt32BE(position + BatchField.recordCount);
  const mutation: BatchMutation = pick([
    "record-count",
    "last-offset-delta",
    "count-and-range",
    "codec",
    "batch-length",
    "record-varint",
    "record-varint",
    "records-bytes",
  ] as const);
  const extremeCounts = [0, -1, count + 1, count - 1, count * 2, 0x7fffffff, 1_000_000];
  switch (mutation) {
    case "record-count":
      body.writeInt32BE(pick(extremeCounts) | 0, position + BatchField.recordCount);
      break;
    case "last-offset-delta":
      body.writeInt32BE(pick(extremeCounts) | 0, position + BatchField.lastOffsetDelta);
      break;
    case "count-and-range": {
      // Agreeing with each other, disagreeing with the records: only walking them tells.
      const claimed = pick([count + 1, count + 50, 0x7fffffff, Math.max(1, count - 1)]);
      body.writeInt32BE(claimed, position + BatchField.recordCount);
      body.writeInt32BE(claimed - 1, position + BatchField.lastOffsetDelta);
      break;
    }
    case "codec": {
      const attributes = body.readInt16BE(position + BatchField.attributes);
      body.writeInt16BE((attributes & ~7) | pick([1, 1, 2, 3, 4, 5, 6, 7]), position + BatchField.attributes);
      break;
    }
    case "batch-length":
      body.writeInt32BE(pick([0, -1, 48, 49, size - 11, size - 13, 0x7fffffff]), position + BatchField.batchLength);
      break;
    case "record-varint": {
      const fields = recordVarintsOf(body, position);
      if (fields.length === 0) return mutateBatch(body, position, size, random);
      const field = pick(fields);
      writeVarintOfWidth(body, field.offset, field.width, pick(extremesOfWidth(field.width)));
      break;
    }
    case "records-bytes": {
      const flips = 1 + Math.floor(random() * 3);
      for (let i = 0; i < flips && size > BATCH_HEADER_SIZE; i++) {
        const at = position + BATCH_HEADER_SIZE + Math.floor(random() * (size - BATCH_HEADER_SIZE));
        body[at]! ^= 1 << Math.floor(random() * 8);
      }
      break;
    }
  }
  if (mutation !== "batch-length" && random() < 0.8) refreshCrc(body, position);
  return mutation;
}

/** Writes the CRC the batch at `position` should carry over its bytes as they are now. */
export function refreshCrc(body: Buffer, position: number): void {
  try {
    body.writeUInt32BE(computeBatchCrc(body, position), position + BatchField.crc);
  } catch {
    // its length field points past the frame: no CRC to compute
  }
}
