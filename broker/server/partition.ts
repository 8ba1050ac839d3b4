// One partition hosted by this broker, its data half: its log, its idempotent and transactional
// producer state (and the last stable offset derived from it), and the readers (parked fetches)
// waiting for new data. Transaction markers (control batches) complete transactions as they are
// appended, replicated or replayed from the log; an aborted one is kept in the log's txn index.
// Its replication half (replication/partition-state.ts: leader or follower, ISR, high watermark)
// decides who may append and how far readers may see; a lone broker leads each of its partitions
// with an ISR of itself.
//
// Ownership: a Partition owns its PartitionLog and ProducerStateTable. Every operation on them
// is synchronous (validate → check sequence → append → notify), so one produce can never
// interleave with another on the same partition: the event loop is the serial queue. Its
// PartitionState is made with it and never replaced.
import { ErrorCode } from "../protocol/errors.ts";
import {
  ControlRecordType,
  encodeTxnMarkerBatch,
  readControlRecord,
} from "../protocol/record-batch/control-records.ts";
import { decodeRecordBatch } from "../protocol/record-batch/decoder.ts";
import { CURRENT_MAGIC, isControlBatch, type RecordBatchHeader } from "../protocol/record-batch/layout.ts";
import { recordsProblem } from "../protocol/record-batch/record-validation.ts";
import { crcIsValid, splitBatches } from "../protocol/record-batch/splitter.ts";
import type { AppendResult, PartitionLog } from "../storage/partition-log.ts";
import { type MarkerIdentity, ProducerStateTable } from "./producer-state.ts";
import type { PartitionState } from "./replication/partition-state.ts";

/**
 * Who wrote a batch (Kafka's AppendOrigin): a client's produce is checked for sequences; a
 * coordinator's own transactional batches (TxnOffsetCommit) only for their producer's epoch.
 */
export type AppendOrigin = "client" | "coordinator";

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
  #producers = new ProducerStateTable();
  private readonly appendListeners = new Set<() => void>();
  /** The replication half: whether this broker leads the partition, its ISR and high watermark. */
  readonly replication: PartitionState;

  constructor(
    readonly topic: string,
    readonly index: number,
    readonly log: PartitionLog,
    private maxMessageBytes: number,
    replicate: (partition: Partition) => PartitionState,
  ) {
    this.#rebuildProducerState();
    log.trackProducerState(() => this.#producers.toSnapshot());
    this.replication = replicate(this);
  }

  /** A topic's max.message.bytes altered at runtime (AlterConfigs): later produce requests are checked against it. */
  setMaxMessageBytes(bytes: number): void {
    this.maxMessageBytes = bytes;
  }

  get producers(): ProducerStateTable {
    return this.#producers;
  }

  get logStartOffset(): bigint {
    return this.log.logStartOffset;
  }

  get highWatermark(): bigint {
    return this.log.highWatermark;
  }

  /**
   * The last stable offset (KIP-98): read_committed readers see only the records below it — below
   * the high watermark and below the first offset of every transaction not yet both completed and
   * replicated. Equal to the high watermark on a partition without transactions.
   */
  get lastStableOffset(): bigint {
    const highWatermark = this.log.highWatermark;
    const unstable = this.#producers.firstUnstableOffset(highWatermark);
    if (unstable === null || unstable >= highWatermark) return highWatermark;
    // Retention or DeleteRecords may have removed a transaction's start, as Kafka bounds it too.
    const logStartOffset = this.log.logStartOffset;
    if (unstable < logStartOffset) return logStartOffset;
    return unstable;
  }

  /**
   * Validates the batches as received (layout, magic, CRC, size, each record walked but not
   * decoded, producer sequence) and appends them as they came. The leader's append: produce goes
   * through PartitionState.appendAsLeader, which checks leadership first and moves the high
   * watermark after.
   */
  append(records: Buffer | null, origin: AppendOrigin = "client"): ProduceOutcome {
    if (this.log.isOffline) return this.#offline();
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
      // Only a transaction coordinator writes markers (appendTxnMarker), as Kafka's validator rules.
      if (isControlBatch(batch.header.attributes))
        return rejected(ErrorCode.INVALID_RECORD, "clients may not write control records");
      const problem = recordsProblem(records, batch.position, batch.size, batch.header);
      if (problem !== null) return rejected(ErrorCode.CORRUPT_MESSAGE, problem);
    }

    const idempotent = layout.batches.some((b) => b.header.producerId >= 0n);
    if (!idempotent) {
      let result: AppendResult;
      try {
        result = this.log.append(records, layout.batches);
      } catch (error) {
        return this.#failedAppend(error);
      }
      this.notifyAppend();
      return { errorCode: ErrorCode.NONE, errorMessage: null, baseOffset: result.baseOffset, logAppendTime: -1n };
    }

    // Sequenced batches are checked and appended one by one: each check depends on the last append.
    let first: bigint | null = null;
    for (const batch of layout.batches) {
      const check =
        origin === "client" ? this.#producers.check(batch.header) : this.#producers.checkEpoch(batch.header);
      if (check.kind === "error")
        return rejected(ErrorCode[check.errorCode], `${check.errorCode} for producer ${batch.header.producerId}`);
      if (check.kind === "duplicate") {
        first ??= check.baseOffset;
        continue;
      }
      let result: AppendResult;
      try {
        result = this.log.append(records.subarray(batch.position, batch.position + batch.size));
      } catch (error) {
        return this.#failedAppend(error);
      }
      this.#producers.record(batch.header, result.baseOffset);
      first ??= result.baseOffset;
    }
    this.notifyAppend();
    return { errorCode: ErrorCode.NONE, errorMessage: null, baseOffset: first!, logAppendTime: -1n };
  }

  /**
   * Appends a transaction marker (a control batch, see control-records.ts) for `marker`'s producer
   * and records it: it completes the producer's ongoing transaction, kept in the txn index when
   * aborted. Refused, unwritten, with INVALID_PRODUCER_EPOCH below the producer's epoch and with
   * TRANSACTION_COORDINATOR_FENCED from a coordinator epoch older than the last marker's. The
   * leader's append: the coordinator goes through PartitionState.appendTxnMarkerAsLeader.
   */
  appendTxnMarker(marker: MarkerIdentity): ProduceOutcome {
    if (this.log.isOffline) return this.#offline();
    const refusal = this.#producers.checkMarker(marker);
    if (refusal !== null) return rejected(ErrorCode[refusal], `${refusal} for producer ${marker.producerId}`);
    let result: AppendResult;
    try {
      result = this.log.append(encodeTxnMarkerBatch(marker, Date.now()));
      this.#recordMarker(marker, result.baseOffset);
    } catch (error) {
      return this.#failedAppend(error);
    }
    this.notifyAppend();
    return { errorCode: ErrorCode.NONE, errorMessage: null, baseOffset: result.baseOffset, logAppendTime: -1n };
  }

  /**
   * The aborted transactions a read_committed fetch from `fetchOffset` must be told about: those
   * ending at or after it and starting before `upperBoundOffset` (the end of the data it returns).
   */
  abortedTransactions(fetchOffset: bigint, upperBoundOffset: bigint): { producerId: bigint; firstOffset: bigint }[] {
    return this.log
      .abortedTransactions(fetchOffset, upperBoundOffset)
      .map(({ producerId, firstOffset }) => ({ producerId, firstOffset }));
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

  /**
   * Stores batches fetched from the leader as they are, offsets and leader epochs included (a
   * follower's append), and remembers their producers, so that this replica deduplicates retried
   * batches like the leader did once it leads.
   */
  appendAsFollower(records: Buffer): void {
    const layout = splitBatches(records);
    // A fetch may end with a batch cut at its size limit: it comes whole with the next fetch.
    if (layout.problem && layout.problem.kind !== "truncated")
      throw new Error(`fetched records are not record batches: ${layout.problem.message}`);
    const last = layout.batches[layout.batches.length - 1];
    if (!last) return;
    this.log.appendAsFollower(records.subarray(0, last.position + last.size));
    for (const batch of layout.batches) this.#recordBatch(batch.header, records, batch.position);
    this.notifyAppend();
  }

  /**
   * Removes every batch at or above `offset` (a follower's divergent tail). The producer state is
   * rebuilt from what remains (the log dropped the snapshots past `offset`), as it may remember
   * batches that are gone.
   */
  truncateTo(offset: bigint): void {
    if (offset >= this.log.logEndOffset) return;
    this.log.truncateTo(offset);
    this.#rebuildProducerState();
    this.notifyAppend();
  }

  /**
   * Empties the log and restarts it at `offset` (a follower whose log ends before its leader's
   * starts); the producer state goes with the batches.
   */
  truncateFullyAndStartAt(offset: bigint): void {
    this.log.truncateFullyAndStartAt(offset);
    this.#rebuildProducerState();
    this.notifyAppend();
  }

  /**
   * Runs `listener` after each append, and after anything else that may let a parked read see
   * more (the high watermark advancing, a truncation, a change of leadership), until the returned
   * function is called.
   */
  onAppend(listener: () => void): () => void {
    this.appendListeners.add(listener);
    return () => this.appendListeners.delete(listener);
  }

  /** Wakes the parked readers: what they may read has changed although nothing was appended. */
  notifyReaders(): void {
    this.notifyAppend();
  }

  /**
   * An append that threw: a log taken offline by an I/O failure (its owner logged why) answers
   * KAFKA_STORAGE_ERROR, as Kafka answers for a partition in an offline log dir, and parked
   * readers wake to get that answer too; anything else is a bug and propagates.
   */
  #failedAppend(error: unknown): ProduceOutcome {
    if (!this.log.isOffline) throw error;
    this.notifyAppend();
    return this.#offline();
  }

  #offline(): ProduceOutcome {
    const cause = this.log.offlineCause;
    const reason = cause instanceof Error ? cause.message : String(cause);
    return rejected(ErrorCode.KAFKA_STORAGE_ERROR, `the log of ${this.topic}-${this.index} is offline: ${reason}`);
  }

  private notifyAppend(): void {
    for (const listener of [...this.appendListeners]) listener();
  }

  /**
   * Restores the producer state from the log's newest producer snapshot, then records the batches
   * after it; without a usable snapshot, every batch of the log.
   */
  #rebuildProducerState(): void {
    const snapshot = this.log.loadProducerSnapshot();
    this.#producers =
      snapshot === null ? new ProducerStateTable() : ProducerStateTable.fromSnapshot(snapshot.producers);
    const from = snapshot?.offset ?? this.log.logStartOffset;
    // The txn index is rebuilt with the producer state: it may hold aborts the log lost, or miss some.
    this.log.forgetAbortedTransactionsFrom(from);
    if (from >= this.log.logEndOffset) return;
    for (const batch of this.log.batches(from)) this.#recordBatch(batch, batch.bytes, 0);
  }

  /** Records a batch in the producer state: a data batch, or a marker (the control batch at `position` of `bytes`). */
  #recordBatch(header: RecordBatchHeader, bytes: Buffer, position: number): void {
    if (!isControlBatch(header.attributes)) {
      this.#producers.record(header, header.baseOffset);
      return;
    }
    const control = readControlRecord(bytes, position);
    // Kafka ignores control records of types it does not know; so does this broker.
    if (control === null || (control.type !== ControlRecordType.ABORT && control.type !== ControlRecordType.COMMIT))
      return;
    const marker = {
      producerId: header.producerId,
      producerEpoch: header.producerEpoch,
      coordinatorEpoch: control.coordinatorEpoch,
      commit: control.type === ControlRecordType.COMMIT,
    };
    this.#recordMarker(marker, header.baseOffset);
  }

  #recordMarker(marker: MarkerIdentity, offset: bigint): void {
    const completed = this.#producers.recordMarker(marker, offset, this.log.highWatermark);
    if (completed?.isAborted) this.log.appendAbortedTransaction(completed);
  }
}
