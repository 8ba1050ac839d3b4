// The durable high watermark of a partition log: the file `high-watermark-checkpoint`
// in its directory, in Kafka's checkpoint text format (checkpoint-file.ts) with one entry, the
// offset. Kafka keeps the same figure for every partition of a log dir in one
// `replication-offset-checkpoint`; one small file per partition fits this code base, where each
// PartitionLog owns its directory and nothing is shared between partitions. It is written when
// the high watermark moved, at most every intervalMs from a timer (writeIfDue), else when the
// log flushes or closes (writeIfMoved); a checkpoint lagging behind is safe, it only makes a
// restarted replica expose less until the high watermark moves again.
//
// Ownership: a HighWatermarkCheckpoint is owned by its HighWatermark (high-watermark.ts), which
// owns the high watermark itself and hands it in; this keeps only what the file holds and when it was written.

import { join } from "node:path";
import { readOffsetCheckpoint, writeCheckpointFile } from "./checkpoint-file.ts";
import type { FileSystem } from "./file-system.ts";

export const HIGH_WATERMARK_CHECKPOINT_FILE = "high-watermark-checkpoint";
const CHECKPOINT_VERSION = 0;

export class HighWatermarkCheckpoint {
  readonly path: string;
  readonly #fs: FileSystem;
  readonly #intervalMs: number;
  /** What the file holds; null when there is no usable file. */
  #written: bigint | null;
  #lastWriteMs: number;

  private constructor(fs: FileSystem, path: string, intervalMs: number, written: bigint | null, now: number) {
    this.#fs = fs;
    this.path = path;
    this.#intervalMs = intervalMs;
    this.#written = written;
    this.#lastWriteMs = now;
  }

  /** Reads the checkpoint in `dir`, if any; an unreadable one counts as none. */
  static open(fs: FileSystem, dir: string, intervalMs: number, now: number): HighWatermarkCheckpoint {
    const path = join(dir, HIGH_WATERMARK_CHECKPOINT_FILE);
    return new HighWatermarkCheckpoint(fs, path, intervalMs, readOffsetCheckpoint(fs, path, CHECKPOINT_VERSION), now);
  }

  /** The high watermark the file held when opened or last written, or null. */
  get checkpointed(): bigint | null {
    return this.#written;
  }

  /** Writes `highWatermark`, atomically and durably, unless the file holds it already. */
  writeIfMoved(highWatermark: bigint, now: number): void {
    if (highWatermark === this.#written) return;
    writeCheckpointFile(this.#fs, this.path, CHECKPOINT_VERSION, [highWatermark.toString()], { sync: true });
    this.#written = highWatermark;
    this.#lastWriteMs = now;
  }

  /** Like writeIfMoved, once intervalMs has passed since the last write. */
  writeIfDue(highWatermark: bigint, now: number): void {
    if (now - this.#lastWriteMs >= this.#intervalMs) this.writeIfMoved(highWatermark, now);
  }
}
