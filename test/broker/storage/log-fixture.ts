// Shared pieces of the partition log tests (partition-log, log-loader, retention): a log opened
// on a temp dir and closed after the test, batches appended and read back whole, the high
// watermark moved as the log's owner moves it, and the segment files in a directory.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import type { TestContext } from "node:test";
import type { FileSystem } from "../../../broker/storage/file-system.ts";
import { nodeFileSystem } from "../../../broker/storage/file-system.ts";
import type { LogConfig } from "../../../broker/storage/log-config.ts";
import { PartitionLog, type PartitionLogOptions } from "../../../broker/storage/partition-log.ts";
import { batchOfSize } from "./batch-builder.ts";
import { manualClock } from "./faulty-file-system.ts";

export function openLog(
  t: TestContext,
  dir: string,
  config: Partial<LogConfig> & PartitionLogOptions = {},
  clock: () => number = manualClock().clock,
  fileSystem: FileSystem = nodeFileSystem,
): PartitionLog {
  const log = PartitionLog.open(fileSystem, dir, config, clock);
  t.after(() => {
    try {
      log.close();
    } catch {
      // Tests that crash or break the log leave it unclosable, and a temp dir made before the log
      // is removed first (after-hooks run in order), so closing cannot write its checkpoint; the
      // temp dir goes anyway.
    }
  });
  return log;
}

/** Appends a batch of `count` records and returns it as stored (offsets assigned in place). */
export function appendRecords(log: PartitionLog, count = 1, valueBytes = 20, timestamp = 1_700_000_000_000n): Buffer {
  const batch = batchOfSize(count, valueBytes, { baseTimestamp: timestamp });
  log.append(batch);
  return batch;
}

/**
 * Moves the high watermark to the log end, as the log's owner (the partition's replication, the
 * Raft node) does once every replica has what was appended; appends leave it where it is.
 */
export function commitAll(log: PartitionLog): void {
  log.updateHighWatermark(log.logEndOffset);
}

export function readAll(log: PartitionLog, from: bigint = log.logStartOffset): Buffer {
  const result = log.read(from, Number.MAX_SAFE_INTEGER);
  assert.equal(result.kind, "records");
  return Buffer.concat(result.kind === "records" ? result.chunks : []);
}

/** The `.log` file names in `dir`, sorted (so by base offset). */
export function logFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((name) => name.endsWith(".log"))
    .sort();
}
