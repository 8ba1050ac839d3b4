// The workload the storage fault tests interrupt: a log with flush.messages=1, small segments and
// an index entry per batch, taken through every kind of write it makes — appends (one and several
// batches at a time) that roll segments and write both indexes, leader epoch changes that rewrite
// the leader-epoch checkpoint, high watermark checkpoints, a truncation that deletes segments, an
// explicit roll and a close — on a simulated disk, so a test can fail or crash any one of them.

import assert from "node:assert/strict";
import type { FileSystem } from "../../../broker/storage/file-system.ts";
import type { LogConfig } from "../../../broker/storage/log-config.ts";
import { PartitionLog } from "../../../broker/storage/partition-log.ts";
import type { ExpectedLog } from "./expected-log.ts";
import { FaultyFileSystem, manualClock } from "./faulty-file-system.ts";
import { SimulatedDisk } from "./simulated-disk.ts";

export const LOG_DIR = "/data/topic-0";

/** About three of the workload's batches per segment, an index entry after every batch. */
export const workloadConfig: Partial<LogConfig> = {
  flushIntervalMessages: 1,
  segmentBytes: 400,
  indexIntervalBytes: 1,
};

/** A disk holding an empty data directory, durably, as a broker's disk before the log is created. */
export function freshDisk(): SimulatedDisk {
  const disk = new SimulatedDisk();
  disk.mkdirp("/data");
  disk.syncAll();
  return disk;
}

export function openWorkloadLog(fs: FileSystem): PartitionLog {
  return PartitionLog.open(fs, LOG_DIR, workloadConfig, manualClock().clock);
}

/** The steps after opening, in order; each may be cut short by a fault, which then propagates. */
export function runWorkload(log: PartitionLog, expected: ExpectedLog): void {
  log.setLeaderEpoch(1);
  for (let i = 0; i < 4; i++) expected.append(log, expected.nextBatch());
  expected.commitAndFlush(log);
  log.setLeaderEpoch(2);
  expected.append(log, Buffer.concat([expected.nextBatch(), expected.nextBatch(2)]));
  for (let i = 0; i < 3; i++) expected.append(log, expected.nextBatch(3));
  // Into the second segment: the segments after it go, and it is cut.
  expected.truncateTo(log, 5n);
  for (let i = 0; i < 2; i++) expected.append(log, expected.nextBatch());
  log.roll();
  expected.append(log, expected.nextBatch(2));
  expected.commitAndFlush(log);
  log.close();
}

/** The whole workload on a healthy disk, checked to do what it claims; returns every disk operation it made. */
export function workloadOperations(newExpected: () => ExpectedLog): string[] {
  const faulty = new FaultyFileSystem(freshDisk());
  const log = openWorkloadLog(faulty);
  runWorkload(log, newExpected());
  const count = (prefix: string, suffix: string) =>
    faulty.operations.filter((op) => op.startsWith(prefix) && op.endsWith(suffix)).length;
  assert.ok(count("open", ".log") >= 4, "the workload rolls segments");
  assert.ok(count("remove", ".log") >= 1, "the truncation deletes a segment");
  assert.ok(count("append", ".index") >= 4 && count("append", ".timeindex") >= 4, "the workload writes both indexes");
  assert.ok(count("rename", "leader-epoch-checkpoint.tmp") >= 2, "the workload rewrites the leader-epoch checkpoint");
  assert.ok(count("rename", "high-watermark-checkpoint.tmp") >= 2, "the workload checkpoints the high watermark");
  return faulty.operations;
}
