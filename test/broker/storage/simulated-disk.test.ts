// The tools the storage fault tests stand on, checked themselves: the simulated disk keeps what a
// killed process wrote and, after a power loss, only what was made durable; the faulty file system
// fails the operation it was told to, with the error and the torn bytes it was told to, and dies
// at the operation it was told to.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FaultyFileSystem, ioError, SimulatedCrash } from "./faulty-file-system.ts";
import { SimulatedDisk } from "./simulated-disk.ts";

function diskWithDir(): SimulatedDisk {
  const disk = new SimulatedDisk();
  disk.mkdirp("/data/p-0");
  disk.syncAll();
  return disk;
}

describe("SimulatedDisk", () => {
  it("when the process is killed, then everything it wrote survives and its handles stop working", () => {
    const disk = diskWithDir();
    const file = disk.open("/data/p-0/a.log", { create: true });
    file.append(Buffer.from("hello"));
    disk.kill();
    assert.equal(disk.contentOf("/data/p-0/a.log").toString(), "hello");
    assert.throws(() => file.append(Buffer.from("!")), { code: "EBADF" });
    assert.equal(disk.openFiles, 0);
  });

  it("when power is lost, then a file keeps only the bytes and length it had at its last fsync", () => {
    const disk = diskWithDir();
    const file = disk.open("/data/p-0/a.log", { create: true });
    disk.syncDir("/data/p-0");
    file.append(Buffer.from("durable"));
    file.sync();
    file.append(Buffer.from(" lost"));
    disk.powerLoss();
    assert.equal(disk.contentOf("/data/p-0/a.log").toString(), "durable");
  });

  it("when power is lost, then creations, renames and removals not followed by a directory fsync are undone", () => {
    const disk = diskWithDir();
    const old = disk.open("/data/p-0/checkpoint", { create: true });
    old.append(Buffer.from("old"));
    old.sync();
    disk.syncDir("/data/p-0");
    const created = disk.open("/data/p-0/new.log", { create: true });
    created.append(Buffer.from("x"));
    created.sync();
    const temp = disk.open("/data/p-0/checkpoint.tmp", { create: true });
    temp.append(Buffer.from("new"));
    temp.sync();
    disk.rename("/data/p-0/checkpoint.tmp", "/data/p-0/checkpoint");
    disk.powerLoss();
    assert.deepEqual(disk.list("/data/p-0"), ["checkpoint"]);
    assert.equal(disk.contentOf("/data/p-0/checkpoint").toString(), "old");
  });

  it("when power is lost, then a directory whose parent was not fsynced since its creation is gone with its files", () => {
    const disk = diskWithDir();
    disk.mkdirp("/data/p-2");
    disk.syncDir("/data");
    disk.mkdirp("/data/p-1");
    const file = disk.open("/data/p-1/a.log", { create: true });
    file.append(Buffer.from("synced"));
    file.sync();
    disk.syncDir("/data/p-1");
    disk.mkdirp("/data/p-3/sub");
    disk.syncDir("/data/p-3");
    disk.powerLoss();
    assert.deepEqual(disk.list("/data").sort(), ["p-0", "p-2"]);
    assert.equal(disk.exists("/data/p-1/a.log"), false);
  });
});

describe("FaultyFileSystem", () => {
  it("when an errno fault is armed for a path, then only the matching operation fails, with the errno code, once", () => {
    const faulty = new FaultyFileSystem(diskWithDir());
    const log = faulty.open("/data/p-0/a.log", { create: true });
    const index = faulty.open("/data/p-0/a.index", { create: true });
    faulty.fail("sync", { path: ".log", error: (path) => ioError("ENOSPC", "fsync", path) });
    index.sync();
    assert.throws(() => log.sync(), { code: "ENOSPC", errno: -28, syscall: "fsync", path: "/data/p-0/a.log" });
    log.sync();
  });

  it("when a write fault says how many bytes get written, then that prefix reaches the file before the error", () => {
    const disk = diskWithDir();
    const faulty = new FaultyFileSystem(disk);
    const log = faulty.open("/data/p-0/a.log", { create: true });
    faulty.fail("append", { path: ".log", bytesWritten: 3 });
    assert.throws(() => log.append([Buffer.from("ab"), Buffer.from("cdef")]), { code: "EIO" });
    assert.equal(disk.contentOf("/data/p-0/a.log").toString(), "abc");
  });

  it("when a crash is set at the nth operation, then the operations before it happen, a write there is torn, and everything after throws", () => {
    const disk = diskWithDir();
    const faulty = new FaultyFileSystem(disk);
    const log = faulty.open("/data/p-0/a.log", { create: true });
    faulty.crashAtOperation(2, { tornBytes: 2 });
    log.append(Buffer.from("first "));
    assert.throws(() => log.append(Buffer.from("second")), SimulatedCrash);
    assert.equal(faulty.crashed, true);
    assert.throws(() => log.size(), SimulatedCrash);
    assert.throws(() => faulty.syncDir("/data/p-0"), SimulatedCrash);
    assert.deepEqual(faulty.operations, ["open /data/p-0/a.log", "append /data/p-0/a.log", "append /data/p-0/a.log"]);
    assert.equal(disk.contentOf("/data/p-0/a.log").toString(), "first se");
  });
});
