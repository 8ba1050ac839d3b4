// The validating splitter: cuts a blob of record batches (a produce request's records, a fetched
// or stored region) into batches by their headers, says why bytes are not a usable batch (torn,
// too short, another magic), and checks CRCs. The records inside stay opaque here.
import {
  BATCH_HEADER_SIZE,
  BATCH_LOG_OVERHEAD,
  BatchField,
  batchSize,
  CURRENT_MAGIC,
  crcOfRange,
  type RecordBatchHeader,
  readBatchHeader,
} from "./layout.ts";

/** Why the bytes at a position are not a usable batch. */
export type FramingProblem = "torn-header" | "torn-batch" | "batch-length-too-small" | "unsupported-magic";

/**
 * Checks the framing of the batch at `at` given `available` bytes from there to the end of the
 * data (`bytes` holds at least the header's bytes that are available). A wrong magic is reported
 * before anything else, even in a torn header: bytes of another format are not a batch to wait for.
 */
export function framingProblemAt(bytes: Buffer, at: number, available: number): FramingProblem | null {
  if (available < BATCH_HEADER_SIZE) {
    return available > BatchField.magic && bytes[at + BatchField.magic] !== CURRENT_MAGIC
      ? "unsupported-magic"
      : "torn-header";
  }
  if (bytes.readInt8(at + BatchField.magic) !== CURRENT_MAGIC) return "unsupported-magic";
  const sizeInBytes = BATCH_LOG_OVERHEAD + bytes.readInt32BE(at + BatchField.batchLength);
  if (sizeInBytes < BATCH_HEADER_SIZE) return "batch-length-too-small";
  if (sizeInBytes > available) return "torn-batch";
  return null;
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
    const framing = framingProblemAt(buf, position, remaining);
    if (framing !== null) return { batches, problem: layoutProblem(buf, position, remaining, framing) };
    const header = readBatchHeader(buf, position);
    const size = batchSize(header);
    batches.push({ position, size, header });
    position += size;
  }
  return { batches, problem: null };
}

function layoutProblem(buf: Buffer, position: number, remaining: number, framing: FramingProblem): BatchLayoutProblem {
  switch (framing) {
    case "unsupported-magic":
      return {
        position,
        kind: "invalid-magic",
        message: `batch at ${position} has magic ${buf.readInt8(position + BatchField.magic)}, only ${CURRENT_MAGIC} is supported`,
      };
    case "batch-length-too-small":
      return {
        position,
        kind: "invalid-length",
        message: `batch length ${buf.readInt32BE(position + BatchField.batchLength)} at ${position} is below the header size`,
      };
    case "torn-header":
      return {
        position,
        kind: "truncated",
        message: `only ${remaining} bytes left for a batch header at ${position}`,
      };
    case "torn-batch":
      return {
        position,
        kind: "truncated",
        message: `batch at ${position} needs ${BATCH_LOG_OVERHEAD + buf.readInt32BE(position + BatchField.batchLength)} bytes, ${remaining} left`,
      };
  }
}

/** Expects a complete batch at `position` (see splitBatches). */
export function crcIsValid(buf: Buffer, position: number): boolean {
  const header = readBatchHeader(buf, position);
  const end = position + batchSize(header);
  if (end > buf.length) return false;
  return crcOfRange(buf, position, end) === header.crc;
}
