// The high watermark of a partition log: offsets below it are committed. Appends leave it alone;
// its owner (the partition's replication state, or the Raft node for `__cluster_metadata`) moves
// it, as Kafka's log leaves it to its Partition. The log keeps it within its offsets, never below
// its start nor past its end, and durable (high-watermark-checkpoint.ts): written when it moved,
// on a flush, on close, and at most every checkpoint interval from a timer; restored on opening.
// It is kept apart from PartitionLog so that these rules, and the file they need, are in one place.
//
// Ownership: a HighWatermark is owned by its PartitionLog and owns the high watermark and its
// checkpoint file; the PartitionLog hands in the log's offsets it is kept within.

import type { FileSystem } from "./file-system.ts";
import { HighWatermarkCheckpoint } from "./high-watermark-checkpoint.ts";
import { clamp } from "./log-start-offset.ts";

/** Kafka's replica.high.watermark.checkpoint.interval.ms default. */
export const DEFAULT_HIGH_WATERMARK_CHECKPOINT_INTERVAL_MS = 5000;

export class HighWatermark {
  #offset: bigint;
  readonly #checkpoint: HighWatermarkCheckpoint;

  private constructor(checkpoint: HighWatermarkCheckpoint, offset: bigint) {
    this.#checkpoint = checkpoint;
    this.#offset = offset;
  }

  /**
   * Restores the high watermark checkpointed in `dir`, within [logStartOffset, logEndOffset];
   * `intervalMs` (default 5000) spaces the checkpoints checkpointIfDue writes.
   */
  static open(
    fs: FileSystem,
    dir: string,
    intervalMs: number | undefined,
    now: number,
    logStartOffset: bigint,
    logEndOffset: bigint,
  ): HighWatermark {
    const checkpoint = HighWatermarkCheckpoint.open(
      fs,
      dir,
      intervalMs ?? DEFAULT_HIGH_WATERMARK_CHECKPOINT_INTERVAL_MS,
      now,
    );
    // No checkpoint means nothing is known to be committed: the log start is the safe answer.
    const restored = checkpoint.checkpointed ?? 0n;
    return new HighWatermark(checkpoint, clamp(restored, logStartOffset, logEndOffset));
  }

  get offset(): bigint {
    return this.#offset;
  }

  /** Moves it to `offset`, kept within [low, high]: the log's start and end. */
  moveTo(offset: bigint, low: bigint, high: bigint): void {
    this.#offset = clamp(offset, low, high);
  }

  /** Raises it to `offset` if below: the log start moved past it. */
  raiseTo(offset: bigint): void {
    if (this.#offset < offset) this.#offset = offset;
  }

  /** Sets it to `offset`: the log restarted there, empty. */
  restartAt(offset: bigint): void {
    this.#offset = offset;
  }

  /** Writes the checkpoint now if the high watermark moved since the last one. */
  checkpoint(now: number): void {
    this.#checkpoint.writeIfMoved(this.#offset, now);
  }

  /** Like checkpoint, once the checkpoint interval has passed since the last write. */
  checkpointIfDue(now: number): void {
    this.#checkpoint.writeIfDue(this.#offset, now);
  }
}
