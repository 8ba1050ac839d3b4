// The text format of Kafka's small checkpoint files (its CheckpointFile): a version line, a line
// with the number of entries, then one line per entry, each ending in "\n". Files are replaced
// whole and atomically: written to `<name>.tmp`, then renamed over `<name>`, so a crash leaves
// the old file or the new one, never a mix. What an entry line holds is the caller's business
// (leader-epoch-checkpoint.ts, high-watermark-checkpoint.ts).
//
// Ownership: none kept. Each checkpoint file belongs to whoever owns the directory it is in.

import { dirname } from "node:path";
import type { FileSystem } from "./file-system.ts";

export const CHECKPOINT_TEMP_SUFFIX = ".tmp";

/** A checkpoint file that is there but cannot be read as one (wrong version, malformed line, wrong count). */
export class CheckpointFileError extends Error {}

export function formatCheckpoint(version: number, lines: readonly string[]): Buffer {
  return Buffer.from(`${version}\n${lines.length}\n${lines.map((line) => `${line}\n`).join("")}`, "utf8");
}

/**
 * The entry lines of a checkpoint's text. An empty text has no entries (a file that was created
 * but never written, as Kafka treats it).
 */
export function parseCheckpoint(path: string, text: string, version: number): string[] {
  const lines = text.split("\n");
  // The last line ends with "\n", leaving one empty string after it.
  if (lines.at(-1) === "") lines.pop();
  if (lines.length === 0) return [];
  const readVersion = parseCount(path, lines[0]!);
  if (readVersion !== version)
    throw new CheckpointFileError(`${path}: unknown checkpoint version ${readVersion}, expected ${version}`);
  if (lines.length === 1) return [];
  const expected = parseCount(path, lines[1]!);
  const entries = lines.slice(2);
  if (entries.length !== expected)
    throw new CheckpointFileError(`${path}: ${expected} entries announced, ${entries.length} found`);
  return entries;
}

/** The entry lines of the checkpoint at `path`, or null when there is no such file. */
export function readCheckpointFile(fs: FileSystem, path: string, version: number): string[] | null {
  if (!fs.exists(path)) return null;
  const file = fs.open(path, { create: false });
  let text: string;
  try {
    const bytes = Buffer.alloc(file.size());
    const read = file.read(bytes, 0, bytes.length, 0);
    text = bytes.subarray(0, read).toString("utf8");
  } finally {
    file.close();
  }
  return parseCheckpoint(path, text, version);
}

/**
 * The one offset a single-offset checkpoint (a partition's high watermark or log start offset)
 * holds, or null when there is no file or it is unreadable: the caller then falls back to what
 * the log itself says.
 */
export function readOffsetCheckpoint(fs: FileSystem, path: string, version: number): bigint | null {
  let lines: string[] | null;
  try {
    lines = readCheckpointFile(fs, path, version);
  } catch (error) {
    if (error instanceof CheckpointFileError) return null;
    throw error;
  }
  if (lines === null || lines.length !== 1 || !/^\d+$/.test(lines[0]!)) return null;
  return BigInt(lines[0]!);
}

/**
 * Replaces the checkpoint at `path` atomically. With `sync`, the new file and the rename are
 * durable before this returns; without, they reach the disk when the OS writes them back.
 */
export function writeCheckpointFile(
  fs: FileSystem,
  path: string,
  version: number,
  lines: readonly string[],
  options: { sync: boolean },
): void {
  writeFileAtomically(fs, path, formatCheckpoint(version, lines), options);
}

/**
 * Replaces the file at `path` with `bytes` so that a crash leaves the old or the new content, never
 * a mix: write a temp file beside it, then rename. With `sync`, both are durable before returning.
 */
export function writeFileAtomically(fs: FileSystem, path: string, bytes: Buffer, { sync }: { sync: boolean }): void {
  const temp = path + CHECKPOINT_TEMP_SUFFIX;
  const file = fs.open(temp, { create: true });
  try {
    // A failed earlier write may have left a longer temp file behind.
    if (file.size() > 0) file.truncate(0);
    file.append(bytes);
    if (sync) file.sync();
  } finally {
    file.close();
  }
  fs.rename(temp, path);
  if (sync) fs.syncDir(dirname(path));
}

function parseCount(path: string, line: string): number {
  if (!/^-?\d+$/.test(line)) throw new CheckpointFileError(`${path}: malformed line ${JSON.stringify(line)}`);
  return Number(line);
}
