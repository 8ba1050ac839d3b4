// A FileSystem over the real one that counts fsyncs and fails chosen operations on demand, and a
// temp-dir helper, for the storage tests.

import * as fs from "node:fs";
import * as os from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import type { FileHandle, FileSystem } from "../../../broker/storage/file-system.ts";
import { nodeFileSystem } from "../../../broker/storage/file-system.ts";

export class InjectedFault extends Error {}

export class FaultyFileSystem implements FileSystem {
  /** Path of every file fsync, in order. */
  readonly syncs: string[] = [];
  dirSyncs = 0;
  /** While set, every file sync throws it (after nothing was made durable). */
  failSyncsWith: Error | null = null;
  /** While set, every rename throws it without renaming. */
  failRenamesWith: Error | null = null;
  readonly #open = new Set<FileHandle>();
  #appendFault: { pathSuffix: string; bytesWritten: number; error: Error } | null = null;

  /** How many files opened through this file system are still open. */
  get openFiles(): number {
    return this.#open.size;
  }

  /** The next append to a file whose path ends with `pathSuffix` writes `bytesWritten` bytes, then throws. */
  failNextAppend(pathSuffix: string, bytesWritten: number, error = new InjectedFault("injected append failure")): void {
    this.#appendFault = { pathSuffix, bytesWritten, error };
  }

  /** Like a killed process: every open file is closed, with nothing flushed or written on the way. */
  crash(): void {
    for (const handle of this.#open) handle.close();
    this.#open.clear();
  }

  open(path: string, options: { create: boolean }): FileHandle {
    const inner = nodeFileSystem.open(path, options);
    this.#open.add(inner);
    const owner = this;
    return {
      path,
      size: () => inner.size(),
      read: (into, intoOffset, length, position) => inner.read(into, intoOffset, length, position),
      append(data) {
        const fault = owner.#appendFault;
        if (fault !== null && path.endsWith(fault.pathSuffix)) {
          owner.#appendFault = null;
          const all = Buffer.isBuffer(data) ? data : Buffer.concat(data);
          inner.append(all.subarray(0, fault.bytesWritten));
          throw fault.error;
        }
        inner.append(data);
      },
      writeAt: (data, position) => inner.writeAt(data, position),
      truncate: (size) => inner.truncate(size),
      sync() {
        if (owner.failSyncsWith !== null) throw owner.failSyncsWith;
        owner.syncs.push(path);
        inner.sync();
      },
      lastModifiedMs: () => inner.lastModifiedMs(),
      close() {
        owner.#open.delete(inner);
        inner.close();
      },
    };
  }

  exists(path: string): boolean {
    return nodeFileSystem.exists(path);
  }

  list(dir: string): string[] {
    return nodeFileSystem.list(dir);
  }

  mkdirp(dir: string): void {
    nodeFileSystem.mkdirp(dir);
  }

  remove(path: string): void {
    nodeFileSystem.remove(path);
  }

  removeDir(dir: string): void {
    nodeFileSystem.removeDir(dir);
  }

  rename(from: string, to: string): void {
    if (this.failRenamesWith !== null) throw this.failRenamesWith;
    nodeFileSystem.rename(from, to);
  }

  syncDir(dir: string): void {
    this.dirSyncs += 1;
    nodeFileSystem.syncDir(dir);
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
