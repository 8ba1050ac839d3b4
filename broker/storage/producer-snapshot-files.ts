// The producer snapshot files of one partition log directory (`<offset>.snapshot`, format in
// producer-snapshot.ts). A snapshot is written when a segment rolls (at the new segment's base
// offset) and when the log closes (at its end), each time after the batches below its offset were
// made durable, so a snapshot never describes batches a crash could lose. It is replaced whole
// through a temp file and a rename, so a crash leaves it whole or absent, and the CRC catches the
// rest. Snapshots past the log end (a truncation or a recovered tail removed their batches) and
// below the log start (their segments were deleted) are removed; an unreadable one is removed
// and the next older one tried, and with none left the caller rescans the whole log: a bad
// snapshot costs time, never correctness.
//
// Until its log's owner tracks its producer state (the partitions do; the metadata log does not),
// it writes and removes nothing.
//
// Ownership: a ProducerSnapshotFiles is owned by its LocalLog and keeps the offsets of the
// snapshot files in its directory, listed once, then kept up to date by its own writes and removals.

import { join } from "node:path";
import { writeFileAtomically } from "./checkpoint-file.ts";
import type { FileSystem } from "./file-system.ts";
import { PRODUCER_SNAPSHOT_FILE_SUFFIX, parseProducerSnapshotFileName, segmentFileName } from "./log-files.ts";
import {
  decodeProducerSnapshot,
  encodeProducerSnapshot,
  type ProducerSnapshot,
  ProducerSnapshotError,
  type SnapshotProducer,
} from "./producer-snapshot.ts";

export class ProducerSnapshotFiles {
  readonly #fs: FileSystem;
  readonly #dir: string;
  /** Offsets of the snapshot files in the directory, ascending; null until first needed. */
  #offsets: bigint[] | null = null;
  #state: (() => readonly SnapshotProducer[]) | null = null;

  constructor(fs: FileSystem, dir: string) {
    this.#fs = fs;
    this.#dir = dir;
  }

  /** Offsets of the snapshot files, oldest first. */
  get offsets(): readonly bigint[] {
    return this.#listed();
  }

  /** From now on snapshotAt snapshots `state()`, and the removals below apply. */
  track(state: () => readonly SnapshotProducer[]): void {
    this.#state = state;
  }

  /**
   * Snapshots the tracked state, durably, as of `offset` (the log end, every batch below it already
   * durable), unless untracked or that snapshot is there already (nothing was appended since).
   */
  snapshotAt(offset: bigint): void {
    if (this.#state === null || this.#listed().at(-1) === offset) return;
    this.write({ offset, producers: this.#state() }, { sync: true });
  }

  pathOf(offset: bigint): string {
    return join(this.#dir, segmentFileName(offset, PRODUCER_SNAPSHOT_FILE_SUFFIX));
  }

  /** Writes (or replaces) the snapshot at its offset; with `sync`, durably. */
  write(snapshot: ProducerSnapshot, { sync }: { sync: boolean }): void {
    const offsets = this.#listed();
    writeFileAtomically(this.#fs, this.pathOf(snapshot.offset), encodeProducerSnapshot(snapshot), { sync });
    if (!offsets.includes(snapshot.offset)) {
      offsets.push(snapshot.offset);
      offsets.sort(ascending);
    }
  }

  /**
   * The newest readable snapshot whose offset is within [logStartOffset, logEndOffset], or null.
   * Those past the log end and unreadable ones are removed on the way (see the top of this file).
   */
  loadLatest(logStartOffset: bigint, logEndOffset: bigint): ProducerSnapshot | null {
    const offsets = this.#listed();
    while (offsets.length > 0 && offsets.at(-1)! > logEndOffset) this.#remove(offsets.at(-1)!);
    while (offsets.length > 0) {
      const offset = offsets.at(-1)!;
      if (offset < logStartOffset) return null;
      const snapshot = this.#read(offset);
      if (snapshot !== null) return snapshot;
      this.#remove(offset);
    }
    return null;
  }

  /** Removes the snapshots above `offset` (when tracked); returns whether any went (the caller syncs the directory). */
  removeAbove(offset: bigint): boolean {
    if (this.#state === null) return false;
    const offsets = this.#listed();
    let removed = false;
    while (offsets.length > 0 && offsets.at(-1)! > offset) {
      this.#remove(offsets.at(-1)!);
      removed = true;
    }
    return removed;
  }

  /** Removes the snapshots below `offset` (when tracked); returns whether any went (the caller syncs the directory). */
  removeBelow(offset: bigint): boolean {
    if (this.#state === null) return false;
    const offsets = this.#listed();
    let removed = false;
    while (offsets.length > 0 && offsets[0]! < offset) {
      this.#remove(offsets[0]!);
      removed = true;
    }
    return removed;
  }

  #read(offset: bigint): ProducerSnapshot | null {
    const file = this.#fs.open(this.pathOf(offset), { create: false });
    let bytes: Buffer;
    try {
      bytes = Buffer.alloc(file.size());
      bytes = bytes.subarray(0, file.read(bytes, 0, bytes.length, 0));
    } finally {
      file.close();
    }
    try {
      const snapshot = decodeProducerSnapshot(bytes);
      return snapshot.offset === offset ? snapshot : null;
    } catch (error) {
      if (error instanceof ProducerSnapshotError) return null;
      throw error;
    }
  }

  #remove(offset: bigint): void {
    this.#fs.remove(this.pathOf(offset));
    const offsets = this.#listed();
    offsets.splice(offsets.indexOf(offset), 1);
  }

  #listed(): bigint[] {
    if (this.#offsets === null) {
      const found = this.#fs.list(this.#dir).map(parseProducerSnapshotFileName);
      this.#offsets = found.filter((offset): offset is bigint => offset !== null).sort(ascending);
    }
    return this.#offsets;
  }
}

function ascending(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
