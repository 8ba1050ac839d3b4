// What storage adds to the record batch format of broker/protocol/record-batch/: a header carrying
// the batch's extent in the log, and a buffered scanner that walks the batches of a segment file
// without one syscall per batch. The records stay opaque here.

import {
  BATCH_HEADER_SIZE,
  batchSize,
  lastOffsetOf,
  type RecordBatchHeader,
  readBatchHeader,
} from "../protocol/record-batch/layout.ts";
import { type FramingProblem, framingProblemAt } from "../protocol/record-batch/splitter.ts";
import type { FileHandle } from "./file-system.ts";

/** Timestamp of a batch that carries none. */
export const NO_TIMESTAMP = -1n;

/** Scan buffer of lookups by offset or time: they scan from an index entry, at most about one index interval before their target. */
export const READ_SCAN_BUFFER_BYTES = 16 * 1024;
/** Scan buffer of whole-segment scans (recovery, state rebuilds at startup). */
export const BULK_SCAN_BUFFER_BYTES = 1024 * 1024;

export interface StoredBatchHeader extends RecordBatchHeader {
  /** Offset of the last record the batch was written with; compaction never lowers it. */
  lastOffset: bigint;
  /** Whole batch size in bytes, BATCH_LOG_OVERHEAD included. */
  sizeInBytes: number;
}

/** Reads the header of the batch starting at `at`; `bytes` must hold at least BATCH_HEADER_SIZE bytes from there. */
export function readStoredBatchHeader(bytes: Buffer, at = 0): StoredBatchHeader {
  const header = readBatchHeader(bytes, at);
  return { ...header, lastOffset: lastOffsetOf(header), sizeInBytes: batchSize(header) };
}

export type ScanStep =
  | { kind: "batch"; position: number; header: StoredBatchHeader }
  | { kind: "end" }
  | { kind: "invalid"; position: number; problem: FramingProblem };

/**
 * Walks the batches of a file region front to back through one reusable read buffer, so a scan
 * costs one read per `bufferBytes` rather than one per batch.
 */
export class BatchFileScanner {
  readonly #file: FileHandle;
  readonly #end: number;
  #window: Buffer;
  #windowStart = 0;
  #windowLength = 0;
  #position: number;
  #current: { position: number; size: number } | null = null;

  constructor(file: FileHandle, startPosition: number, endPosition: number, bufferBytes: number) {
    this.#file = file;
    this.#position = startPosition;
    this.#end = endPosition;
    // No larger than the region: scans of small segments should not each allocate the full buffer.
    this.#window = Buffer.allocUnsafeSlow(
      Math.max(Math.min(bufferBytes, endPosition - startPosition), BATCH_HEADER_SIZE),
    );
  }

  /** Position of the next batch to be returned (the end of the valid region once the scan stops). */
  get position(): number {
    return this.#position;
  }

  next(): ScanStep {
    const position = this.#position;
    const available = this.#end - position;
    if (available <= 0) return { kind: "end" };
    if (available < BATCH_HEADER_SIZE) return { kind: "invalid", position, problem: "torn-header" };
    const at = this.#ensureWindow(position, BATCH_HEADER_SIZE);
    const problem = framingProblemAt(this.#window, at, available);
    if (problem !== null) return { kind: "invalid", position, problem };
    const header = readStoredBatchHeader(this.#window, at);
    this.#current = { position, size: header.sizeInBytes };
    this.#position = position + header.sizeInBytes;
    return { kind: "batch", position, header };
  }

  /**
   * The whole bytes of the batch last returned by next(). The buffer may be a view into the scan
   * buffer, valid only until the next call: copy it to keep it.
   */
  currentBatchBytes(): Buffer {
    const current = this.#current;
    if (current === null) throw new Error("currentBatchBytes() called before a batch was returned");
    if (current.size > this.#window.length) {
      const own = Buffer.allocUnsafe(current.size);
      readExactly(this.#file, own, current.position);
      return own;
    }
    const at = this.#ensureWindow(current.position, current.size);
    return this.#window.subarray(at, at + current.size);
  }

  /** A copy of the batch last returned by next(), owned by the caller. */
  copyCurrentBatchBytes(): Buffer {
    const bytes = this.currentBatchBytes();
    return bytes.buffer === this.#window.buffer ? Buffer.from(bytes) : bytes;
  }

  /** Returns where `[position, position + length)` starts inside the window, reading the file if needed. */
  #ensureWindow(position: number, length: number): number {
    const windowEnd = this.#windowStart + this.#windowLength;
    if (position >= this.#windowStart && position + length <= windowEnd) return position - this.#windowStart;
    const toRead = Math.min(this.#window.length, this.#end - position);
    const read = this.#file.read(this.#window, 0, toRead, position);
    if (read < length) {
      throw new Error(`${this.#file.path}: expected ${length} bytes at ${position}, file ended after ${read}`);
    }
    this.#windowStart = position;
    this.#windowLength = read;
    return 0;
  }
}

export function readExactly(file: FileHandle, into: Buffer, position: number): void {
  const read = file.read(into, 0, into.length, position);
  if (read !== into.length) {
    throw new Error(`${file.path}: expected ${into.length} bytes at ${position}, file ended after ${read}`);
  }
}
