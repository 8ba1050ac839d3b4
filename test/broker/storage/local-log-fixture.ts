// Shared pieces of the tests of a partition log's files without the PartitionLog over them
// (local-log, log-start-offset): a LocalLog opened on a temp dir through a FaultyFileSystem,
// closed after the test, with the epoch cache opened beside it, and batches appended at its end.

import type { TestContext } from "node:test";
import type { LeaderEpochFileCache } from "../../../broker/storage/leader-epoch-checkpoint.ts";
import { LocalLog } from "../../../broker/storage/local-log.ts";
import { type LogConfig, resolveLogConfig } from "../../../broker/storage/log-config.ts";
import { loadLog } from "../../../broker/storage/log-loader.ts";
import { appendableBatches, assignOffsets } from "../../../broker/storage/log-validator.ts";
import { batchOfSize } from "./batch-builder.ts";
import { FaultyFileSystem, manualClock, tempDir } from "./faulty-file-system.ts";

export interface OpenedLocalLog {
  local: LocalLog;
  epochs: LeaderEpochFileCache;
  disk: FaultyFileSystem;
  dir: string;
  /** The failures onOffline heard. */
  offline: unknown[];
}

export function openLocal(t: TestContext, config: Partial<LogConfig> = {}, dir: string = tempDir(t)): OpenedLocalLog {
  const disk = new FaultyFileSystem();
  const { clock } = manualClock();
  const resolved = resolveLogConfig(config);
  const loaded = loadLog(disk, dir, { indexIntervalBytes: resolved.indexIntervalBytes, clock });
  const offline: unknown[] = [];
  const local = new LocalLog(disk, dir, resolved, clock, loaded, clock(), (cause) => offline.push(cause));
  t.after(() => {
    if (!local.isClosed) local.close();
  });
  return { local, epochs: loaded.epochs.cache, disk, dir, offline };
}

/** Appends one batch of `count` records at the log end, as PartitionLog.append does once offsets are set. */
export function appendTo(local: LocalLog, count = 1, valueBytes = 40): void {
  const records = batchOfSize(count, valueBytes);
  const baseOffset = local.active.nextOffset;
  const assigned = assignOffsets(records, appendableBatches(records), baseOffset, 0);
  local.append(records, baseOffset, assigned, 0);
}
