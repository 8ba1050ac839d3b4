// An in-memory FileSystem that tells what the kernel has (the page cache) from what is on the disk,
// so a test can end the "process" (kill: every write so far survives) or the "machine" (power
// loss: only what was made durable survives), as the storage fault tests need. Durability follows
// POSIX at its strictest: a file's bytes and length are durable once it is fsynced; that a name
// refers to a file or a directory (a creation, rename or removal) once its parent directory is
// fsynced. Removing a whole directory (removeDir) is taken as durable at once. `syncAll` makes a
// test's setup durable before the process under test starts.
//
// Ownership: the disk owns every file and directory; handles are views that stop working once
// the process that opened them is gone (kill or power loss).

import { basename, dirname } from "node:path";
import type { FileHandle, FileSystem } from "../../../broker/storage/file-system.ts";

/** One file's bytes: what the process sees, and what survives a power loss. */
class Inode {
  /** Bytes [0, length) are the file; the rest is spare room. */
  bytes = Buffer.alloc(0);
  length = 0;
  durable: Buffer = Buffer.alloc(0);
  modifiedMs = Date.now();

  get content(): Buffer {
    return this.bytes.subarray(0, this.length);
  }

  ensureLength(length: number): void {
    this.modifiedMs = Date.now();
    if (length > this.bytes.length) {
      const grown = Buffer.alloc(Math.max(length, this.bytes.length * 2, 256));
      this.bytes.copy(grown, 0, 0, this.length);
      this.bytes = grown;
    }
    if (length > this.length) {
      this.bytes.fill(0, this.length, length);
      this.length = length;
    }
  }

  setLength(length: number): void {
    this.modifiedMs = Date.now();
    if (length > this.length) this.ensureLength(length);
    this.length = length;
  }
}

interface Directory {
  entries: Map<string, Inode>;
  durableEntries: Map<string, Inode>;
  /** Whether the directory's own entry in its parent is durable. */
  durable: boolean;
}

function errnoError(code: string, syscall: string, path: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`${code}: ${syscall} '${path}'`);
  error.code = code;
  error.syscall = syscall;
  error.path = path;
  return error;
}

export class SimulatedDisk implements FileSystem {
  readonly #directories = new Map<string, Directory>();
  /** Bumped when the process ends: handles of an earlier generation refuse to work. */
  #generation = 0;
  /** Handles of the current process that are not closed. */
  #openHandles = 0;

  get openFiles(): number {
    return this.#openHandles;
  }

  /** The process dies: its handles are gone, everything it wrote stays in the page cache. */
  kill(): void {
    this.#generation += 1;
    this.#openHandles = 0;
  }

  /** The machine loses power: the process dies, and only what was made durable is left. */
  powerLoss(): void {
    this.kill();
    // Parents sort before their children, so a lost parent is known before its children are seen.
    for (const path of [...this.#directories.keys()].sort()) {
      const parent = dirname(path);
      const lost = !this.#directories.get(path)!.durable || (parent !== path && !this.#directories.has(parent));
      if (lost) this.#directories.delete(path);
    }
    for (const directory of this.#directories.values()) {
      directory.entries = new Map(directory.durableEntries);
      for (const inode of directory.entries.values()) {
        inode.bytes = Buffer.from(inode.durable);
        inode.length = inode.durable.length;
      }
    }
  }

  /** Everything written so far becomes durable, as a test's setup before the process under test starts. */
  syncAll(): void {
    for (const directory of this.#directories.values()) {
      directory.durable = true;
      directory.durableEntries = new Map(directory.entries);
      for (const inode of directory.entries.values()) inode.durable = Buffer.from(inode.content);
    }
  }

  /** What a file holds now, as the process sees it (a copy); for assertions. */
  contentOf(path: string): Buffer {
    return Buffer.from(this.#inode(path, "open").content);
  }

  /** Replaces what a file holds, durably, as a test's direct edit of the disk. */
  overwrite(path: string, bytes: Buffer): void {
    const inode = this.#inode(path, "open");
    inode.bytes = Buffer.from(bytes);
    inode.length = bytes.length;
    inode.durable = Buffer.from(bytes);
  }

  open(path: string, { create }: { create: boolean }): FileHandle {
    const directory = this.#directory(dirname(path), "open");
    let inode = directory.entries.get(basename(path));
    if (inode === undefined) {
      if (!create) throw errnoError("ENOENT", "open", path);
      inode = new Inode();
      directory.entries.set(basename(path), inode);
    }
    return this.#handle(path, inode);
  }

  exists(path: string): boolean {
    if (this.#directories.has(path)) return true;
    return this.#directories.get(dirname(path))?.entries.has(basename(path)) ?? false;
  }

  list(dir: string): string[] {
    const names = [...this.#directory(dir, "scandir").entries.keys()];
    for (const other of this.#directories.keys())
      if (dirname(other) === dir && other !== dir) names.push(basename(other));
    return names;
  }

  mkdirp(dir: string): void {
    for (let at = dir; !this.#directories.has(at); at = dirname(at)) {
      this.#directories.set(at, { entries: new Map(), durableEntries: new Map(), durable: dirname(at) === at });
      if (dirname(at) === at) break;
    }
  }

  remove(path: string): void {
    this.#directories.get(dirname(path))?.entries.delete(basename(path));
  }

  removeDir(dir: string): void {
    for (const path of [...this.#directories.keys()]) {
      if (path === dir || path.startsWith(`${dir}/`)) this.#directories.delete(path);
    }
  }

  rename(from: string, to: string): void {
    const source = this.#directory(dirname(from), "rename");
    const inode = source.entries.get(basename(from));
    if (inode === undefined) throw errnoError("ENOENT", "rename", from);
    source.entries.delete(basename(from));
    this.#directory(dirname(to), "rename").entries.set(basename(to), inode);
  }

  syncDir(dir: string): void {
    const directory = this.#directory(dir, "fsync");
    directory.durableEntries = new Map(directory.entries);
    for (const [path, child] of this.#directories) if (dirname(path) === dir && path !== dir) child.durable = true;
  }

  #directory(dir: string, syscall: string): Directory {
    const directory = this.#directories.get(dir);
    if (directory === undefined) throw errnoError("ENOENT", syscall, dir);
    return directory;
  }

  #inode(path: string, syscall: string): Inode {
    const inode = this.#directory(dirname(path), syscall).entries.get(basename(path));
    if (inode === undefined) throw errnoError("ENOENT", syscall, path);
    return inode;
  }

  #handle(path: string, inode: Inode): FileHandle {
    const generation = this.#generation;
    const disk = this;
    let closed = false;
    this.#openHandles += 1;
    const live = (syscall: string): Inode => {
      if (closed || generation !== disk.#generation) throw errnoError("EBADF", syscall, path);
      return inode;
    };
    return {
      path,
      size: () => live("fstat").length,
      read(into, intoOffset, length, position) {
        const file = live("read");
        const count = Math.max(0, Math.min(length, file.length - position));
        file.bytes.copy(into, intoOffset, position, position + count);
        return count;
      },
      append(data) {
        const file = live("write");
        for (const buffer of Buffer.isBuffer(data) ? [data] : data) {
          const at = file.length;
          file.ensureLength(at + buffer.length);
          buffer.copy(file.bytes, at);
        }
      },
      writeAt(data, position) {
        const file = live("write");
        file.ensureLength(position + data.length);
        data.copy(file.bytes, position);
      },
      truncate(size) {
        live("ftruncate").setLength(size);
      },
      sync() {
        const file = live("fdatasync");
        file.durable = Buffer.from(file.content);
      },
      lastModifiedMs: () => live("fstat").modifiedMs,
      close() {
        if (closed) return;
        closed = true;
        if (generation === disk.#generation) disk.#openHandles -= 1;
      },
    };
  }
}
