// A FileSystem over another one (the real disk by default, or a SimulatedDisk) that counts fsyncs
// and fails chosen operations on demand, as a disk does: with an errno-coded error (EIO, ENOSPC),
// a write after part of its bytes, or the process dying at the nth operation that changes the
// disk. Also a temp-dir helper and a manual clock for the storage tests.

import * as fs from "node:fs";
import * as os from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import type { FileHandle, FileSystem } from "../../../broker/storage/file-system.ts";
import { nodeFileSystem } from "../../../broker/storage/file-system.ts";

export class InjectedFault extends Error {}

/** Thrown by every operation once the simulated process has died (see crashAtOperation). */
export class SimulatedCrash extends Error {}

/** The operations a fault can be injected into; all but open-without-create change the disk. */
export type FileOperation =
  | "open"
  | "append"
  | "writeAt"
  | "truncate"
  | "sync"
  | "rename"
  | "remove"
  | "removeDir"
  | "mkdirp"
  | "syncDir";

/** An error shaped like the one Node throws for a failed system call, e.g. ioError("ENOSPC", "write", path). */
export function ioError(
  code: "EIO" | "ENOSPC" | "EROFS" | "EDQUOT",
  syscall: string,
  path: string,
): NodeJS.ErrnoException {
  const errno = { EIO: -5, ENOSPC: -28, EROFS: -30, EDQUOT: -122 }[code];
  const text = {
    EIO: "i/o error",
    ENOSPC: "no space left on device",
    EROFS: "read-only file system",
    EDQUOT: "disk quota exceeded",
  }[code];
  const error: NodeJS.ErrnoException = new Error(`${code}: ${text}, ${syscall} '${path}'`);
  error.code = code;
  error.errno = errno;
  error.syscall = syscall;
  error.path = path;
  return error;
}

/** Which paths a fault applies to: a substring of the path, or a test on it. */
export type PathMatch = string | ((path: string) => boolean);

export interface FaultSpec {
  /** Only operations on matching paths fail (the `from` path of a rename); every path without. */
  path?: PathMatch;
  /** What the operation throws; an errno-coded EIO for the path without. */
  error?: Error | ((path: string) => Error);
  /** For a write (append, writeAt): how many of its bytes reach the file before it fails. */
  bytesWritten?: number;
  /** How many matching operations fail, default 1; Infinity for every one until cleared. */
  times?: number;
}

interface ArmedFault {
  operation: FileOperation;
  matches: (path: string) => boolean;
  error: (path: string) => Error;
  bytesWritten: number;
  remaining: number;
}

const matcher = (match: PathMatch | undefined): ((path: string) => boolean) =>
  match === undefined ? () => true : typeof match === "string" ? (path) => path.includes(match) : match;

export class FaultyFileSystem implements FileSystem {
  /** Path of every file fsync, in order. */
  readonly syncs: string[] = [];
  dirSyncs = 0;
  /** Every operation that changed the disk, as "operation path", in order (crashAtOperation counts these). */
  readonly operations: string[] = [];
  /** While set, every file sync throws it (after nothing was made durable). */
  failSyncsWith: Error | null = null;
  /** While set, every rename throws it without renaming. */
  failRenamesWith: Error | null = null;
  readonly #inner: FileSystem;
  readonly #open = new Set<FileHandle>();
  #faults: ArmedFault[] = [];
  #crashAt: { operation: number; tornBytes: number } | null = null;
  #crashed = false;

  constructor(inner: FileSystem = nodeFileSystem) {
    this.#inner = inner;
  }

  /** How many files opened through this file system are still open. */
  get openFiles(): number {
    return this.#open.size;
  }

  /** Whether the simulated process has died (crashAtOperation fired). */
  get crashed(): boolean {
    return this.#crashed;
  }

  /** The next append to a file whose path ends with `pathSuffix` writes `bytesWritten` bytes, then throws. */
  failNextAppend(
    pathSuffix: string,
    bytesWritten: number,
    error: Error = new InjectedFault("injected append failure"),
  ): void {
    this.fail("append", { path: (path) => path.endsWith(pathSuffix), bytesWritten, error });
  }

  /** Makes the next matching `operation` (or the next `times`) fail as `spec` says, without doing it. */
  fail(operation: FileOperation, spec: FaultSpec = {}): void {
    const { error } = spec;
    this.#faults.push({
      operation,
      matches: matcher(spec.path),
      error:
        error === undefined
          ? (path) => ioError("EIO", operation, path)
          : typeof error === "function"
            ? error
            : () => error,
      bytesWritten: spec.bytesWritten ?? 0,
      remaining: spec.times ?? 1,
    });
  }

  /** Removes every armed fault (failSyncsWith and failRenamesWith aside). */
  clearFaults(): void {
    this.#faults = [];
  }

  /**
   * The process dies at the `operation`th operation that changes the disk (1 for the next one):
   * that operation does nothing, or for a write only its first `tornBytes` bytes, and it and every
   * later operation throw SimulatedCrash. What survives on the disk is the inner file system's
   * business (SimulatedDisk.kill or powerLoss); reopen through a new FaultyFileSystem.
   */
  crashAtOperation(operation: number, { tornBytes = 0 }: { tornBytes?: number } = {}): void {
    this.#crashAt = { operation: this.operations.length + operation, tornBytes };
  }

  /** Like a killed process: every open file is closed, with nothing flushed or written on the way. */
  crash(): void {
    for (const handle of this.#open) handle.close();
    this.#open.clear();
  }

  open(path: string, options: { create: boolean }): FileHandle {
    if (options.create) this.#mutate("open", path);
    else this.#checkAlive();
    const inner = this.#inner.open(path, options);
    this.#open.add(inner);
    const owner = this;
    return {
      path,
      size: () => owner.#alive(() => inner.size()),
      read: (into, intoOffset, length, position) => owner.#alive(() => inner.read(into, intoOffset, length, position)),
      append(data) {
        const all = Buffer.isBuffer(data) ? data : Buffer.concat(data);
        const tornAt = owner.#mutate("append", path, all.length);
        if (tornAt !== null) {
          if (tornAt.bytes > 0) inner.append(all.subarray(0, tornAt.bytes));
          throw tornAt.error;
        }
        inner.append(data);
      },
      writeAt(data, position) {
        const tornAt = owner.#mutate("writeAt", path, data.length);
        if (tornAt !== null) {
          if (tornAt.bytes > 0) inner.writeAt(data.subarray(0, tornAt.bytes), position);
          throw tornAt.error;
        }
        inner.writeAt(data, position);
      },
      truncate(size) {
        owner.#mutate("truncate", path);
        inner.truncate(size);
      },
      sync() {
        if (owner.failSyncsWith !== null) throw owner.failSyncsWith;
        owner.#mutate("sync", path);
        owner.syncs.push(path);
        inner.sync();
      },
      lastModifiedMs: () => owner.#alive(() => inner.lastModifiedMs()),
      close() {
        owner.#open.delete(inner);
        inner.close();
      },
    };
  }

  exists(path: string): boolean {
    return this.#alive(() => this.#inner.exists(path));
  }

  list(dir: string): string[] {
    return this.#alive(() => this.#inner.list(dir));
  }

  mkdirp(dir: string): void {
    this.#mutate("mkdirp", dir);
    this.#inner.mkdirp(dir);
  }

  remove(path: string): void {
    this.#mutate("remove", path);
    this.#inner.remove(path);
  }

  removeDir(dir: string): void {
    this.#mutate("removeDir", dir);
    this.#inner.removeDir(dir);
  }

  rename(from: string, to: string): void {
    if (this.failRenamesWith !== null) throw this.failRenamesWith;
    this.#mutate("rename", from);
    this.#inner.rename(from, to);
  }

  syncDir(dir: string): void {
    this.#mutate("syncDir", dir);
    this.dirSyncs += 1;
    this.#inner.syncDir(dir);
  }

  #checkAlive(): void {
    if (this.#crashed) throw new SimulatedCrash("the process has crashed");
  }

  #alive<T>(read: () => T): T {
    this.#checkAlive();
    return read();
  }

  /**
   * Counts an operation that changes the disk and applies the crash or an armed fault to it. For
   * a write of `length` bytes that must fail, returns how many bytes to write and what to throw;
   * any other failing operation throws here.
   */
  #mutate(operation: FileOperation, path: string, length?: number): { bytes: number; error: Error } | null {
    this.#checkAlive();
    this.operations.push(`${operation} ${path}`);
    if (this.#crashAt !== null && this.operations.length >= this.#crashAt.operation) {
      this.#crashed = true;
      const error = new SimulatedCrash(`crashed at operation ${this.operations.length}: ${operation} ${path}`);
      if (length === undefined) throw error;
      return { bytes: Math.min(this.#crashAt.tornBytes, length), error };
    }
    const fault = this.#faults.find((armed) => armed.operation === operation && armed.matches(path));
    if (fault === undefined) return null;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.#faults = this.#faults.filter((armed) => armed !== fault);
    const error = fault.error(path);
    if (length === undefined) throw error;
    return { bytes: Math.min(fault.bytesWritten, length), error };
  }
}

/** A fresh directory under the OS temp dir, removed when the test ends. */
export function tempDir(t: TestContext): string {
  const dir = fs.mkdtempSync(join(os.tmpdir(), "storage-test-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A manual clock for tests: `now` is what the code under test sees. */
export function manualClock(start = 1_700_000_000_000): {
  now: number;
  clock: () => number;
  advance(ms: number): void;
} {
  const state = {
    now: start,
    clock: () => state.now,
    advance(ms: number) {
      state.now += ms;
    },
  };
  return state;
}
