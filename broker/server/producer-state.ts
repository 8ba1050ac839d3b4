// Idempotent and transactional producer bookkeeping for one partition: per producer id, the
// current epoch and the sequence ranges of its last few batches, so a retried batch is recognised
// (answered with the offset it got the first time, not written again) and a gap in sequences is
// refused; and (KIP-98) the first offset of its ongoing transaction, from its first transactional
// batch since its last marker, plus the coordinator epoch of the last marker, which fences a
// coordinator that lost its place. The last stable offset derives from it: no transaction that
// is ongoing, or completed by a marker still at or above the high watermark, may be read
// committed.
//
// It is saved in the log's producer snapshots (broker/storage/producer-snapshot.ts, whose entries
// are these) and restored from them, so a restart rescans only the batches after the newest one.
//
// Ownership: each Partition owns one ProducerStateTable and consults it synchronously right
// before the append it guards, so check-and-append cannot interleave with another produce.

import { isControlBatch, isTransactionalBatch } from "../protocol/record-batch/layout.ts";
import type { SnapshotProducer } from "../storage/producer-snapshot.ts";

/** How many recent batches per producer are remembered for duplicate detection, as in Kafka. */
const rememberedBatches = 5;

export interface BatchIdentity {
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  /** Number of records in the batch minus one, i.e. the batch's lastOffsetDelta. */
  lastOffsetDelta: number;
  /** The batch attributes (transactional, control bits); absent means neither. */
  attributes?: number;
}

interface RememberedBatch {
  firstSequence: number;
  lastSequence: number;
  baseOffset: bigint;
}

interface ProducerEntry {
  epoch: number;
  batches: RememberedBatch[];
  /** First offset of the producer's ongoing transaction, -1n when it has none. */
  currentTxnFirstOffset: bigint;
  /** Coordinator epoch of the last marker written for the producer, -1 before any. */
  coordinatorEpoch: number;
}

/** A transaction a marker ended: its producer, first offset and the marker's offset (lastOffset). */
export interface CompletedTxn {
  producerId: bigint;
  firstOffset: bigint;
  lastOffset: bigint;
  isAborted: boolean;
  /**
   * What the last stable offset was once it completed (Kafka's): the first offset of another
   * producer's ongoing transaction, else the offset after the marker. Kept in the txn index.
   */
  lastStableOffset: bigint;
}

export interface MarkerIdentity {
  producerId: bigint;
  producerEpoch: number;
  coordinatorEpoch: number;
  commit: boolean;
}

export type SequenceCheck =
  | { kind: "append" }
  | { kind: "duplicate"; baseOffset: bigint }
  | {
      kind: "error";
      errorCode: "OUT_OF_ORDER_SEQUENCE_NUMBER" | "INVALID_PRODUCER_EPOCH" | "INVALID_TXN_STATE";
    };

const noProducerId = -1n;
/** Kafka's RecordBatch.NO_SEQUENCE. */
const noSequence = -1;
const noOffset = -1n;

function lastSequenceOf(batch: BatchIdentity): number {
  // Sequences wrap around at int32 max, like Kafka's.
  return (batch.baseSequence + batch.lastOffsetDelta) % 2 ** 31;
}

function nextSequence(sequence: number): number {
  return sequence === 2 ** 31 - 1 ? 0 : sequence + 1;
}

export class ProducerStateTable {
  private readonly producers = new Map<bigint, ProducerEntry>();
  /** producerId → first offset of its ongoing transaction (the entries with one, for the LSO). */
  readonly #ongoing = new Map<bigint, bigint>();
  /** Transactions completed by a marker the high watermark has not passed yet, oldest first. */
  #unreplicated: CompletedTxn[] = [];

  /** The table a snapshot saved (see toSnapshot). */
  static fromSnapshot(producers: readonly SnapshotProducer[]): ProducerStateTable {
    const table = new ProducerStateTable();
    for (const { producerId, epoch, batches, currentTxnFirstOffset, coordinatorEpoch } of producers) {
      table.producers.set(producerId, {
        epoch,
        batches: batches.map((batch) => ({ ...batch })),
        currentTxnFirstOffset,
        coordinatorEpoch,
      });
      if (currentTxnFirstOffset >= 0n) table.#ongoing.set(producerId, currentTxnFirstOffset);
    }
    return table;
  }

  /** Every producer's state, for a snapshot; fromSnapshot restores it. */
  toSnapshot(): SnapshotProducer[] {
    return [...this.producers].map(([producerId, { epoch, batches, currentTxnFirstOffset, coordinatorEpoch }]) => ({
      producerId,
      epoch,
      batches: batches.map((batch) => ({ ...batch })),
      currentTxnFirstOffset,
      coordinatorEpoch,
    }));
  }

  check(batch: BatchIdentity): SequenceCheck {
    if (batch.producerId === noProducerId) return { kind: "append" };
    const entry = this.producers.get(batch.producerId);
    if (!entry) {
      return batch.baseSequence === 0
        ? { kind: "append" }
        : { kind: "error", errorCode: "OUT_OF_ORDER_SEQUENCE_NUMBER" };
    }
    if (batch.producerEpoch < entry.epoch) return { kind: "error", errorCode: "INVALID_PRODUCER_EPOCH" };
    // Kafka refuses a plain write amid the producer's own transaction: it could never be aborted.
    if (entry.currentTxnFirstOffset >= 0n && !isTransactionalBatch(batch.attributes ?? 0))
      return { kind: "error", errorCode: "INVALID_TXN_STATE" };
    if (batch.producerEpoch > entry.epoch) {
      return batch.baseSequence === 0
        ? { kind: "append" }
        : { kind: "error", errorCode: "OUT_OF_ORDER_SEQUENCE_NUMBER" };
    }
    const lastSequence = lastSequenceOf(batch);
    const seen = entry.batches.find((b) => b.firstSequence === batch.baseSequence && b.lastSequence === lastSequence);
    if (seen) return { kind: "duplicate", baseOffset: seen.baseOffset };
    const newest = entry.batches[entry.batches.length - 1];
    if (newest && batch.baseSequence !== nextSequence(newest.lastSequence)) {
      return { kind: "error", errorCode: "OUT_OF_ORDER_SEQUENCE_NUMBER" };
    }
    return { kind: "append" };
  }

  /**
   * The check of a batch a coordinator writes itself (Kafka's AppendOrigin.COORDINATOR, such as
   * transactional offset commits): its producer's epoch only, as its sequence is the coordinator's
   * to keep, not the producer's (Kafka writes them without one).
   */
  checkEpoch(batch: BatchIdentity): SequenceCheck {
    const entry = this.producers.get(batch.producerId);
    if (entry !== undefined && batch.producerEpoch < entry.epoch)
      return { kind: "error", errorCode: "INVALID_PRODUCER_EPOCH" };
    return { kind: "append" };
  }

  /**
   * Records a data batch that was appended at baseOffset (also used when rebuilding from the log);
   * a transactional one starts its producer's transaction unless one is ongoing. Control batches
   * are recorded with recordMarker instead, and ignored here.
   */
  record(batch: BatchIdentity, baseOffset: bigint): void {
    if (batch.producerId === noProducerId) return;
    const attributes = batch.attributes ?? 0;
    if (isControlBatch(attributes)) return;
    let entry = this.producers.get(batch.producerId);
    if (!entry) {
      entry = { epoch: batch.producerEpoch, batches: [], currentTxnFirstOffset: noOffset, coordinatorEpoch: -1 };
      this.producers.set(batch.producerId, entry);
    } else if (batch.producerEpoch > entry.epoch) {
      entry.epoch = batch.producerEpoch;
      entry.batches = [];
    }
    // A batch without a sequence (a coordinator's) is no retry candidate: nothing to remember.
    if (batch.baseSequence !== noSequence) {
      entry.batches.push({ firstSequence: batch.baseSequence, lastSequence: lastSequenceOf(batch), baseOffset });
      if (entry.batches.length > rememberedBatches) entry.batches.shift();
    }
    if (isTransactionalBatch(attributes) && entry.currentTxnFirstOffset < 0n) {
      entry.currentTxnFirstOffset = baseOffset;
      this.#ongoing.set(batch.producerId, baseOffset);
    }
  }

  /**
   * Whether a coordinator may write `marker` (Kafka's checks on a marker's append): not below the
   * producer's epoch, nor from a coordinator epoch older than the last marker's.
   */
  checkMarker(marker: MarkerIdentity): "INVALID_PRODUCER_EPOCH" | "TRANSACTION_COORDINATOR_FENCED" | null {
    const entry = this.producers.get(marker.producerId);
    if (!entry) return null;
    if (marker.producerEpoch < entry.epoch) return "INVALID_PRODUCER_EPOCH";
    if (marker.coordinatorEpoch < entry.coordinatorEpoch) return "TRANSACTION_COORDINATOR_FENCED";
    return null;
  }

  /**
   * Records a marker appended at `offset` (or replayed from the log): it ends the producer's
   * ongoing transaction, which it returns, or null when there was none (a retried marker is still
   * written, as Kafka writes it). A marker at a higher epoch raises the producer's epoch, fencing
   * the older one's later writes.
   */
  recordMarker(marker: MarkerIdentity, offset: bigint, highWatermark: bigint): CompletedTxn | null {
    let entry = this.producers.get(marker.producerId);
    if (!entry) {
      entry = { epoch: marker.producerEpoch, batches: [], currentTxnFirstOffset: noOffset, coordinatorEpoch: -1 };
      this.producers.set(marker.producerId, entry);
    } else if (marker.producerEpoch > entry.epoch) {
      entry.epoch = marker.producerEpoch;
      entry.batches = [];
    }
    entry.coordinatorEpoch = marker.coordinatorEpoch;
    const firstOffset = entry.currentTxnFirstOffset;
    if (firstOffset < 0n) return null;
    entry.currentTxnFirstOffset = noOffset;
    this.#ongoing.delete(marker.producerId);
    let lastStableOffset = offset + 1n;
    for (const first of this.#ongoing.values()) if (first < lastStableOffset) lastStableOffset = first;
    const completed = {
      producerId: marker.producerId,
      firstOffset,
      lastOffset: offset,
      isAborted: !marker.commit,
      lastStableOffset,
    };
    if (offset >= highWatermark) this.#unreplicated.push(completed);
    return completed;
  }

  /**
   * The first offset no read_committed reader may pass whatever the high watermark: the earliest
   * first offset of an ongoing transaction or of one whose marker is not below `highWatermark`;
   * null when there is none. Forgets the transactions the high watermark has passed.
   */
  firstUnstableOffset(highWatermark: bigint): bigint | null {
    // Every fetch asks: a partition without transactions answers without iterating (no allocation).
    if (this.#ongoing.size === 0 && this.#unreplicated.length === 0) return null;
    if (this.#unreplicated.length > 0 && this.#unreplicated[0]!.lastOffset < highWatermark)
      this.#unreplicated = this.#unreplicated.filter((txn) => txn.lastOffset >= highWatermark);
    let first: bigint | null = null;
    for (const offset of this.#ongoing.values()) if (first === null || offset < first) first = offset;
    for (const txn of this.#unreplicated) if (first === null || txn.firstOffset < first) first = txn.firstOffset;
    return first;
  }

  /** The first offset of the producer's ongoing transaction, or null when it has none. */
  ongoingTxnFirstOffset(producerId: bigint): bigint | null {
    return this.#ongoing.get(producerId) ?? null;
  }

  /** The producer's current epoch, or null when the partition has not seen it. */
  epochOf(producerId: bigint): number | null {
    return this.producers.get(producerId)?.epoch ?? null;
  }

  get size(): number {
    return this.producers.size;
  }
}
