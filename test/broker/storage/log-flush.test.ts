// A new partition log's directory is created without an fsync and made durable by its first
// flush, before its data: what a power loss leaves before and after that first flush, on the
// simulated disk (only what was fsynced survives).

import assert from "node:assert/strict";
import { test } from "node:test";
import { PartitionLog } from "../../../broker/storage/partition-log.ts";
import { batchOfSize } from "./batch-builder.ts";
import { FaultyFileSystem, manualClock } from "./faulty-file-system.ts";
import { SimulatedDisk } from "./simulated-disk.ts";

const DIR = "/data/sales-0";

function freshDisk(): SimulatedDisk {
  const disk = new SimulatedDisk();
  disk.mkdirp("/data");
  disk.syncAll();
  return disk;
}

const open = (disk: SimulatedDisk | FaultyFileSystem, flushIntervalMessages?: number): PartitionLog =>
  PartitionLog.open(
    disk,
    DIR,
    flushIntervalMessages === undefined ? {} : { flushIntervalMessages },
    manualClock().clock,
  );

test("when a new log is opened, then no directory is fsynced until its first flush, which syncs the data dir and the log dir before the data", () => {
  const faulty = new FaultyFileSystem(freshDisk());
  const log = open(faulty, 1);
  assert.equal(faulty.dirSyncs, 0);
  const before = faulty.operations.length;
  log.append(batchOfSize(1, 10));
  const syncs = faulty.operations.slice(before).filter((op) => op.startsWith("sync"));
  const firstDataSync = syncs.indexOf(`sync ${DIR}/00000000000000000000.log`);
  assert.ok(firstDataSync >= 0, syncs.join(", "));
  const dirSyncs = syncs.slice(0, firstDataSync).filter((op) => op.startsWith("syncDir"));
  // (The leader-epoch checkpoint, written at the first append, syncs the log dir on its own.)
  assert.deepEqual(dirSyncs.slice(-2), ["syncDir /data", `syncDir ${DIR}`]);
  log.close();
});

test("when the power is lost before a new log's first flush, then opening creates the log again, empty and usable", () => {
  const disk = freshDisk();
  const log = open(disk);
  log.append(batchOfSize(3, 10));
  disk.powerLoss();
  assert.equal(disk.exists(DIR), false);
  const reopened = open(disk);
  assert.equal(reopened.logEndOffset, 0n);
  assert.equal(reopened.append(batchOfSize(1, 10)).baseOffset, 0n);
  reopened.close();
});

test("when the power is lost after a new log's first flush, then its flushed batches are there", () => {
  const disk = freshDisk();
  const log = open(disk);
  log.append(batchOfSize(3, 10));
  log.flush();
  disk.powerLoss();
  const reopened = open(disk);
  assert.equal(reopened.logEndOffset, 3n);
  reopened.close();
});

test("when the power is lost after a new log's clean close with data, then its batches are there", () => {
  const disk = freshDisk();
  const log = open(disk);
  log.append(batchOfSize(2, 10));
  log.close();
  disk.powerLoss();
  assert.equal(open(disk).logEndOffset, 2n);
});
