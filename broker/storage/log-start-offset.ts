// Where a partition log starts, and the two moves that delete from its front (Kafka's
// UnifiedLog.maybeIncrementLogStartOffset and deleteOldSegments): DeleteRecords moves the start to
// an offset inside the log, retention (retention.ts decides how far) to the first segment it
// keeps; either way the segments wholly below the start go, with their files (local-log.ts) and
// their epochs. The start is restored on opening from log-start-offset-checkpoint.ts, written
// durably before a DeleteRecords deletes anything, so an answered DeleteRecords survives a crash.
// It is kept apart from PartitionLog so that what moves the start, and what must follow it, is
// in one place.
//
// Ownership: a LogStartOffset is owned by its PartitionLog and owns the log start offset and its
// checkpoint file. It deletes through its PartitionLog's LocalLog and epoch cache only when its
// PartitionLog calls it (synchronously, inside the log's offline guard), and has the high
// watermark, which the PartitionLog owns, raised to each new start.

import type { LeaderEpochFileCache } from "./leader-epoch-checkpoint.ts";
import type { LocalLog } from "./local-log.ts";
import type { LogStartOffsetCheckpoint } from "./log-start-offset-checkpoint.ts";

export class LogStartOffset {
  #offset: bigint;
  readonly #checkpoint: LogStartOffsetCheckpoint;
  readonly #local: LocalLog;
  readonly #epochs: LeaderEpochFileCache;
  readonly #raiseHighWatermark: (logStartOffset: bigint) => void;

  /**
   * Starts the log where `checkpoint` says, within the segments of `local`; `raiseHighWatermark`
   * is called with the start each time deleting segments moves it.
   */
  constructor(
    checkpoint: LogStartOffsetCheckpoint,
    local: LocalLog,
    epochs: LeaderEpochFileCache,
    raiseHighWatermark: (logStartOffset: bigint) => void,
  ) {
    this.#checkpoint = checkpoint;
    this.#local = local;
    this.#epochs = epochs;
    this.#raiseHighWatermark = raiseHighWatermark;
    // Retention may have deleted past a checkpointed start, and a start is never past the log end.
    this.#offset = clamp(checkpoint.checkpointed ?? 0n, local.segments[0]!.baseOffset, local.active.nextOffset);
  }

  get offset(): bigint {
    return this.#offset;
  }

  /**
   * Moves the start up to `offset` (above the current start, not above the high watermark: the
   * caller checks), checkpoints it durably, then deletes the segments wholly below it.
   */
  advanceTo(offset: bigint): void {
    this.#offset = offset;
    this.#checkpoint.writeIfMoved(offset);
    const segments = this.#local.segments;
    let doomed = 0;
    while (doomed < segments.length - 1 && segments[doomed + 1]!.baseOffset <= offset) doomed += 1;
    this.deleteFront(doomed);
    this.#epochs.truncateFromStart(offset);
  }

  /**
   * Deletes the first `count` segments (never the active one); the log then starts at the first
   * remaining segment, or later if the start was already inside it.
   */
  deleteFront(count: number): void {
    if (count === 0) return;
    const firstBase = this.#local.segments[count]!.baseOffset;
    if (this.#offset < firstBase) this.#offset = firstBase;
    this.#raiseHighWatermark(this.#offset);
    this.#local.deleteFront(count, this.#offset);
    this.#epochs.truncateFromStart(this.#offset);
  }

  /**
   * The log restarts empty at `offset` (truncateFullyAndStartAt). A checkpointed start left above
   * it would move the start up again on reopening, so a checkpoint, if any, is rewritten.
   */
  restartAt(offset: bigint): void {
    this.#offset = offset;
    if (this.#checkpoint.checkpointed !== null) this.#checkpoint.writeIfMoved(offset);
  }
}

/** `value` kept within [low, high], as a log keeps its positions within its offsets. */
export function clamp(value: bigint, low: bigint, high: bigint): bigint {
  return value < low ? low : value > high ? high : value;
}
