// Idempotent-producer bookkeeping for one partition: per producer id, the current epoch and the
// sequence ranges of its last few batches, so a retried batch is recognised (answered with the
// offset it got the first time, not written again) and a gap in sequences is refused.
//
// It is saved in the log's producer snapshots (broker/storage/producer-snapshot.ts, whose entries
// are these) and restored from them, so a restart rescans only the batches after the newest one.
//
// Ownership: each Partition owns one ProducerStateTable and consults it synchronously right
// before the append it guards, so check-and-append cannot interleave with another produce.

import type { SnapshotProducer } from "../storage/producer-snapshot.ts";

/** How many recent batches per producer are remembered for duplicate detection, as in Kafka. */
const rememberedBatches = 5;

export interface BatchIdentity {
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  /** Number of records in the batch minus one, i.e. the batch's lastOffsetDelta. */
  lastOffsetDelta: number;
}

interface RememberedBatch {
  firstSequence: number;
  lastSequence: number;
  baseOffset: bigint;
}

interface ProducerEntry {
  epoch: number;
  batches: RememberedBatch[];
}

export type SequenceCheck =
  | { kind: "append" }
  | { kind: "duplicate"; baseOffset: bigint }
  | { kind: "error"; errorCode: "OUT_OF_ORDER_SEQUENCE_NUMBER" | "INVALID_PRODUCER_EPOCH" };

const noProducerId = -1n;

function lastSequenceOf(batch: BatchIdentity): number {
  // Sequences wrap around at int32 max, like Kafka's.
  return (batch.baseSequence + batch.lastOffsetDelta) % 2 ** 31;
}

function nextSequence(sequence: number): number {
  return sequence === 2 ** 31 - 1 ? 0 : sequence + 1;
}

export class ProducerStateTable {
  private readonly producers = new Map<bigint, ProducerEntry>();

  /** The table a snapshot saved (see toSnapshot). */
  static fromSnapshot(producers: readonly SnapshotProducer[]): ProducerStateTable {
    const table = new ProducerStateTable();
    for (const { producerId, epoch, batches } of producers)
      table.producers.set(producerId, { epoch, batches: batches.map((batch) => ({ ...batch })) });
    return table;
  }

  /** Every producer's epoch and remembered batches, for a snapshot; fromSnapshot restores them. */
  toSnapshot(): SnapshotProducer[] {
    return [...this.producers].map(([producerId, { epoch, batches }]) => ({
      producerId,
      epoch,
      batches: batches.map((batch) => ({ ...batch })),
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

  /** Records a batch that was appended at baseOffset (also used when rebuilding from the log). */
  record(batch: BatchIdentity, baseOffset: bigint): void {
    if (batch.producerId === noProducerId) return;
    let entry = this.producers.get(batch.producerId);
    if (!entry || batch.producerEpoch > entry.epoch) {
      entry = { epoch: batch.producerEpoch, batches: [] };
      this.producers.set(batch.producerId, entry);
    }
    entry.batches.push({ firstSequence: batch.baseSequence, lastSequence: lastSequenceOf(batch), baseOffset });
    if (entry.batches.length > rememberedBatches) entry.batches.shift();
  }

  get size(): number {
    return this.producers.size;
  }
}
