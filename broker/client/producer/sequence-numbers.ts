// The idempotent producer's bookkeeping: the producer id and epoch its batches are written under,
// and each partition's next sequence number. The broker keeps, per producer id and partition, the
// sequence it expects next, and drops a batch it has already stored (a resend after a lost answer)
// while acknowledging it: so a resent batch keeps its numbers, a batch surely not written gives
// its numbers back, and a batch that may have been written puts the producer id in doubt.
//
// Ownership: a SequenceNumbers owns the next sequence of every partition, the generation (how
// many producer ids it has had) and the doubt. The identity object is the producer's, which fills
// it from InitProducerId; the sender asks for a new id when `inDoubt` and reports it (renewed).

export interface ProducerIdentity {
  producerId: bigint;
  producerEpoch: number;
}

/** Sequence numbers are int32 and wrap to 0 after the largest (as the broker expects). */
export const SEQUENCE_LIMIT = 2 ** 31;

/** What a batch took: its first sequence, how many, and under which producer id generation. */
export interface SequencedBatch {
  readonly baseSequence: number;
  readonly recordCount: number;
  readonly generation: number;
}

/** `P` identifies a partition (the sender uses its partition queue). */
export class SequenceNumbers<P> {
  private readonly next = new Map<P, number>();
  /** Bumped with each new producer id: a batch of an older one no longer moves any sequence. */
  generation = 0;
  /**
   * A batch given up after a retriable failure may have been written (the request timed out or
   * the connection broke after the broker appended it). Reusing its sequence numbers would make
   * the broker take the next, different records for a duplicate of it and drop them while
   * acknowledging: so instead the producer gets a new id and every partition's sequence starts
   * again at 0 (what the Java producer does before epoch bumps existed).
   */
  inDoubt = false;

  constructor(
    readonly identity: ProducerIdentity,
    /** Whether a new producer id can be had; without one, a batch in doubt gives its numbers back. */
    private readonly canRenew: boolean,
  ) {}

  /** The sequence the partition's next batch starts at. */
  nextFor(partition: P): number {
    return this.next.get(partition) ?? 0;
  }

  /** Takes `count` sequence numbers for the partition's next batch; returns the first. */
  take(partition: P, count: number): number {
    const base = this.nextFor(partition);
    this.next.set(partition, (base + count) % SEQUENCE_LIMIT);
    return base;
  }

  /** The batch will not be sent again: `written` says whether the broker may have stored it. */
  release(partition: P, batch: SequencedBatch, written: "no" | "maybe"): void {
    if (batch.generation !== this.generation) return;
    if (written === "maybe" && this.canRenew) {
      this.inDoubt = true;
      return;
    }
    // The sequence numbers were never acknowledged: the next batch reuses them, or the broker
    // would see a gap. (Nothing after this batch has sequences yet: one batch in flight.)
    if (this.nextFor(partition) === (batch.baseSequence + batch.recordCount) % SEQUENCE_LIMIT)
      this.next.set(partition, batch.baseSequence);
  }

  /** A new producer id is in the identity: every partition starts again at 0. */
  renewed(): void {
    this.inDoubt = false;
    this.generation++;
    this.next.clear();
  }
}
