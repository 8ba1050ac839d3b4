// The durable log start offset of a partition log, when DeleteRecords (or a follower copying its
// leader's) moved it inside the first segment: the file `log-start-offset-checkpoint` in the log's
// directory, in Kafka's checkpoint text format (checkpoint-file.ts) with one entry, the offset.
// Kafka keeps these figures for every partition of a log dir in one `log-start-offset-checkpoint`;
// one file per partition follows high-watermark-checkpoint.ts, as each PartitionLog owns its
// directory. Without the file the log starts at its first segment's base offset, as before; with
// it, at the larger of the two (retention may since have deleted past it). It is written at once,
// durably, whenever the offset moves: a DeleteRecords answered must survive a crash, and such
// moves are rare.
//
// Ownership: owned by its LogStartOffset (log-start-offset.ts), which owns the log start offset
// and hands it in.

import { join } from "node:path";
import { readOffsetCheckpoint, writeCheckpointFile } from "./checkpoint-file.ts";
import type { FileSystem } from "./file-system.ts";

export const LOG_START_OFFSET_CHECKPOINT_FILE = "log-start-offset-checkpoint";
const CHECKPOINT_VERSION = 0;

export class LogStartOffsetCheckpoint {
  readonly path: string;
  readonly #fs: FileSystem;
  /** What the file holds; null when there is no usable file. */
  #written: bigint | null;

  private constructor(fs: FileSystem, path: string, written: bigint | null) {
    this.#fs = fs;
    this.path = path;
    this.#written = written;
  }

  /** Reads the checkpoint in `dir`, if any; an unreadable one counts as none. */
  static open(fs: FileSystem, dir: string): LogStartOffsetCheckpoint {
    const path = join(dir, LOG_START_OFFSET_CHECKPOINT_FILE);
    return new LogStartOffsetCheckpoint(fs, path, readOffsetCheckpoint(fs, path, CHECKPOINT_VERSION));
  }

  /** The log start offset the file held when opened or last written, or null. */
  get checkpointed(): bigint | null {
    return this.#written;
  }

  /** Writes `logStartOffset`, atomically and durably, unless the file holds it already. */
  writeIfMoved(logStartOffset: bigint): void {
    if (logStartOffset === this.#written) return;
    writeCheckpointFile(this.#fs, this.path, CHECKPOINT_VERSION, [logStartOffset.toString()], { sync: true });
    this.#written = logStartOffset;
  }
}
