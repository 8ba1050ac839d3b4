// One partition this broker leads: its log, its idempotent-producer state, and the fetches
// parked until new data arrives.
//
// Ownership: a Partition owns its PartitionLog and ProducerStateTable. Every operation on them
// is synchronous (validate → check sequence → append → notify), so one produce can never
// interleave with another on the same partition: the event loop is the serial queue.
import { ErrorCode } from "../protocol/errors.ts";
import { decodeRecordBatch } from "../protocol/record-batch/decoder.ts";
import { CURRENT_MAGIC } from "../protocol/record-batch/layout.ts";
import { crcIsValid, splitBatches } from "../protocol/record-batch/splitter.ts";
import type { PartitionLog } from "../storage/partition-log.ts";
import { ProducerStateTable } from "./producer-state.ts";

export interface ProduceOutcome {
  errorCode: number;
  errorMessage: string | null;
  baseOffset: bigint;
  logAppendTime: bigint;
}

const rejected = (errorCode: number, errorMessage: string): ProduceOutcome => ({
  errorCode,
  errorMessage,
  baseOffset: -1n,
  logAppendTime: -1n,
});

export class Partition {
  readonly producers = new ProducerStateTable();
  private readonly appendListeners = new Set<() => void>();

  constructor(
    readonly topic: string,
    readonly index: number,
    readonly log: PartitionLog,
    private readonly maxMessageBytes: number,
  ) {
    for (const batch of log.batches()) this.producers.record(batch, batch.baseOffset);
  }

  get logStartOffset(): bigint {
    return this.log.logStartOffset;
  }

  get highWatermark(): bigint {
    return this.log.highWatermark;
  }

  /**
   * Validates the batches as received (layout, magic, CRC, size, producer sequence) and appends
   * them without decoding a single record.
   */
  append(records: Buffer | null): ProduceOutcome {
    if (!records || records.length === 0) return rejected(ErrorCode.CORRUPT_MESSAGE, "no record batch in the request");
    const layout = splitBatches(records);
    if (layout.problem) {
      const code =
        layout.problem.kind === "invalid-magic" ? ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT : ErrorCode.CORRUPT_MESSAGE;
      return rejected(code, layout.problem.message);
    }
    for (const batch of layout.batches) {
      if (batch.header.magic !== CURRENT_MAGIC)
        return rejected(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, "only record batches of magic 2 are accepted");
      if (batch.size > this.maxMessageBytes) {
        return rejected(
          ErrorCode.MESSAGE_TOO_LARGE,
          `batch of ${batch.size} bytes exceeds max.message.bytes ${this.maxMessageBytes}`,
        );
      }
      if (!crcIsValid(records, batch.position)) return rejected(ErrorCode.CORRUPT_MESSAGE, "record batch CRC mismatch");
    }

    const idempotent = layout.batches.some((b) => b.header.producerId >= 0n);
    if (!idempotent) {
      const result = this.log.append(records, layout.batches);
      this.notifyAppend();
      return { errorCode: ErrorCode.NONE, errorMessage: null, baseOffset: result.baseOffset, logAppendTime: -1n };
    }

    // Sequenced batches are checked and appended one by one: each check depends on the last append.
    let first: bigint | null = null;
    for (const batch of layout.batches) {
      const check = this.producers.check(batch.header);
      if (check.kind === "error")
        return rejected(ErrorCode[check.errorCode], `${check.errorCode} for producer ${batch.header.producerId}`);
      if (check.kind === "duplicate") {
        first ??= check.baseOffset;
        continue;
      }
      const result = this.log.append(records.subarray(batch.position, batch.position + batch.size));
      this.producers.record(batch.header, result.baseOffset);
      first ??= result.baseOffset;
    }
    this.notifyAppend();
    return { errorCode: ErrorCode.NONE, errorMessage: null, baseOffset: first!, logAppendTime: -1n };
  }

  /**
   * The first record whose timestamp is at least `timestamp` (ListOffsets by time). The indexes
   * find its batch; only that one batch is decoded to find the exact record.
   */
  offsetForTimestamp(timestamp: bigint): { offset: bigint; timestamp: bigint } | null {
    const found = this.log.offsetForTimestamp(timestamp);
    if (!found) return null;
    const read = this.log.read(found.offset, 1, true, this.highWatermark);
    if (read.kind !== "records" || read.size === 0) return null;
    const stored = read.chunks.length === 1 ? read.chunks[0]! : Buffer.concat(read.chunks);
    for (const record of decodeRecordBatch(stored, 0).records) {
      if (record.timestamp >= timestamp && record.offset >= found.offset)
        return { offset: record.offset, timestamp: record.timestamp };
    }
    return null;
  }

  /** Runs `listener` after each append until the returned function is called. */
  onAppend(listener: () => void): () => void {
    this.appendListeners.add(listener);
    return () => this.appendListeners.delete(listener);
  }

  private notifyAppend(): void {
    for (const listener of [...this.appendListeners]) listener();
  }
}
