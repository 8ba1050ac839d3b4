// The storage layer reaches the disk only through these two interfaces, so tests can wrap them to
// count fsyncs or to make a write or a sync fail at a chosen moment. openAll and closeAll, at the
// end, treat several files as one: all opened or none, all closed even when one fails;
// createDirDurably makes a new directory survive a power loss.
//
// All calls are synchronous by design: appends and page-cache reads are small, and a synchronous
// append cannot interleave with another event-loop task, which makes it atomic for the broker.

import * as fs from "node:fs";
import { dirname } from "node:path";

export interface FileHandle {
  readonly path: string;
  /** Current length in bytes, including bytes appended through this handle. */
  size(): number;
  /** Reads up to `length` bytes at `position`; returns how many were read (fewer only at end of file). */
  read(into: Buffer, intoOffset: number, length: number, position: number): number;
  /** Writes at the current end of the file. */
  append(data: Buffer | readonly Buffer[]): void;
  writeAt(data: Buffer, position: number): void;
  truncate(size: number): void;
  /** Makes written data (and the file length) durable. */
  sync(): void;
  /** Wall-clock time of the last modification, in epoch milliseconds. */
  lastModifiedMs(): number;
  close(): void;
}

export interface FileSystem {
  open(path: string, options: { create: boolean }): FileHandle;
  exists(path: string): boolean;
  /** Names (not paths) of the entries in `dir`. */
  list(dir: string): string[];
  mkdirp(dir: string): void;
  /** Removes a file; a missing file is not an error, so cleanup can be repeated after a crash. */
  remove(path: string): void;
  removeDir(dir: string): void;
  /** Atomically replaces `to` if it exists. */
  rename(from: string, to: string): void;
  /** Makes creations, renames and removals inside `dir` durable. */
  syncDir(dir: string): void;
}

class NodeFileHandle implements FileHandle {
  readonly path: string;
  readonly #fd: number;
  #size: number;
  #closed = false;

  constructor(path: string, fd: number) {
    this.path = path;
    this.#fd = fd;
    this.#size = fs.fstatSync(fd).size;
  }

  size(): number {
    return this.#size;
  }

  read(into: Buffer, intoOffset: number, length: number, position: number): number {
    let total = 0;
    while (total < length) {
      const count = fs.readSync(this.#fd, into, intoOffset + total, length - total, position + total);
      if (count === 0) break;
      total += count;
    }
    return total;
  }

  append(data: Buffer | readonly Buffer[]): void {
    const buffers = Buffer.isBuffer(data) ? [data] : data;
    try {
      for (const buffer of buffers) {
        this.#writeFully(buffer, this.#size);
        this.#size += buffer.length;
      }
    } catch (error) {
      this.#refreshSizeAfterFailure();
      throw error;
    }
  }

  writeAt(data: Buffer, position: number): void {
    try {
      this.#writeFully(data, position);
    } catch (error) {
      this.#refreshSizeAfterFailure();
      throw error;
    }
    this.#size = Math.max(this.#size, position + data.length);
  }

  truncate(size: number): void {
    fs.ftruncateSync(this.#fd, size);
    this.#size = size;
  }

  sync(): void {
    // fdatasync also persists a changed file length, which is all the metadata a log needs.
    fs.fdatasyncSync(this.#fd);
  }

  lastModifiedMs(): number {
    return fs.fstatSync(this.#fd).mtimeMs;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    fs.closeSync(this.#fd);
  }

  #writeFully(data: Buffer, position: number): void {
    let written = 0;
    while (written < data.length) {
      written += fs.writeSync(this.#fd, data, written, data.length - written, position + written);
    }
  }

  // A write that failed half-way may have extended the file; the recorded length must follow.
  #refreshSizeAfterFailure(): void {
    try {
      this.#size = fs.fstatSync(this.#fd).size;
    } catch {
      // The original error is the one worth reporting.
    }
  }
}

export const nodeFileSystem: FileSystem = {
  open(path, { create }) {
    const flags = fs.constants.O_RDWR | (create ? fs.constants.O_CREAT : 0);
    return new NodeFileHandle(path, fs.openSync(path, flags, 0o644));
  },
  exists(path) {
    return fs.existsSync(path);
  },
  list(dir) {
    return fs.readdirSync(dir);
  },
  mkdirp(dir) {
    fs.mkdirSync(dir, { recursive: true });
  },
  remove(path) {
    fs.rmSync(path, { force: true });
  },
  removeDir(dir) {
    fs.rmSync(dir, { recursive: true, force: true });
  },
  rename(from, to) {
    fs.renameSync(from, to);
  },
  syncDir(dir) {
    const fd = fs.openSync(dir, fs.constants.O_RDONLY);
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  },
};

/**
 * Creates `dir` (and its missing ancestors) so that it survives a power loss: a directory is an
 * entry of its parent, durable only once the parent is fsynced, and without that everything
 * fsynced inside it could vanish with it.
 */
export function createDirDurably(fs: FileSystem, dir: string): void {
  if (fs.exists(dir)) return;
  const parent = dirname(dir);
  if (parent !== dir) createDirDurably(fs, parent);
  fs.mkdirp(dir);
  fs.syncDir(parent);
}

/** Opens every path, or none: on failure what was opened is closed, with `alsoCloseOnFailure`. */
export function openAll(
  fs: FileSystem,
  paths: readonly string[],
  create: boolean,
  alsoCloseOnFailure: readonly FileHandle[] = [],
): FileHandle[] {
  const opened: FileHandle[] = [];
  try {
    for (const path of paths) opened.push(fs.open(path, { create }));
  } catch (error) {
    closeAll([...opened, ...alsoCloseOnFailure]);
    throw error;
  }
  return opened;
}

/** Closes every handle even if some fail, then reports the first failure. */
export function closeAll(handles: readonly { close(): void }[]): void {
  let firstError: unknown = null;
  for (const handle of handles) {
    try {
      handle.close();
    } catch (error) {
      firstError ??= error;
    }
  }
  if (firstError !== null) throw firstError;
}
