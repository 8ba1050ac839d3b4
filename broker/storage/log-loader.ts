// Opening a partition log's directory (Kafka's LogLoader): what a crash can leave behind is
// removed (a cleaner's half-written `.cleaned` files, index files whose log is gone), then the
// segments are opened oldest first. Sealed segments load from their indexes, which a roll made
// durable; the active segment (unless the last shutdown was clean: clean-shutdown.ts), and any
// segment whose indexes are missing or inconsistent, is recovered: scanned and cut at its last
// whole valid batch, so writes continue from there.
// Then the leader-epoch checkpoint is read, trimmed to the log's offsets as Kafka does, and
// checked against the batches; when it is missing, unreadable or disagrees with them (a crash
// lost its last write, or an unsynced one), it is rebuilt by scanning every batch header.
//
// A new log's directory is created without an fsync; its first flush makes it durable (log-flush.ts).
//
// Ownership: none kept. The segments and the epoch cache it opens are handed to the
// PartitionLog, which owns the epoch cache from then on and gives the segments to its LocalLog;
// on failure it closes what it opened.

import { dirname, join } from "node:path";
import { CheckpointFileError } from "./checkpoint-file.ts";
import { createDirDurably, type FileSystem } from "./file-system.ts";
import { type EpochEntry, LeaderEpochFileCache } from "./leader-epoch-checkpoint.ts";
import {
  CLEANED_FILE_SUFFIX,
  LOG_FILE_SUFFIX,
  logFileNameOfIndex,
  parseLogFileName,
  segmentFileName,
} from "./log-files.ts";
import { READ_SCAN_BUFFER_BYTES, type StoredBatchHeader } from "./record-batch.ts";
import { Segment, type SegmentOptions, segmentIndexFor } from "./segment.ts";
import type { RecoveryResult } from "./segment-recovery.ts";

export interface SegmentRecovery extends RecoveryResult {
  baseOffset: bigint;
}

export interface LoadedSegments {
  /** Oldest first; never empty, the last is the active segment. */
  segments: Segment[];
  /** What recovery found in each segment it scanned. */
  recoveries: SegmentRecovery[];
}

export interface LoadedLog extends LoadedSegments {
  epochs: LoadedEpochCache;
  /** Directories created without an fsync, parent first, to sync before the log's first flush. */
  dirsToSync: string[];
}

/**
 * Opens the log in `dir`, creating it if needed: its segments (see loadSegments), then its
 * leader-epoch checkpoint (see loadLeaderEpochCache). On failure what was opened is closed.
 */
export function loadLog(
  fs: FileSystem,
  dir: string,
  options: SegmentOptions,
  { hadCleanShutdown = false }: { hadCleanShutdown?: boolean } = {},
): LoadedLog {
  const dirsToSync = fs.exists(dir) ? [] : [dirname(dir), dir];
  createDirDurably(fs, dirname(dir));
  fs.mkdirp(dir);
  const { segments, recoveries } = loadSegments(fs, dir, options, {
    syncNewDir: dirsToSync.length === 0,
    recoverActive: !hadCleanShutdown,
  });
  try {
    return { segments, recoveries, epochs: loadLeaderEpochCache(fs, dir, segments, { sync: true }), dirsToSync };
  } catch (error) {
    for (const segment of segments) segment.close();
    throw error;
  }
}

/**
 * Loads the segments in `dir`; an empty directory gets one empty segment at offset 0, its files
 * made durable unless `syncNewDir` is false (a new log defers that to its first flush, log-flush.ts).
 * The active segment is recovered unless `recoverActive` is false (after a clean shutdown).
 */
export function loadSegments(
  fs: FileSystem,
  dir: string,
  options: SegmentOptions,
  { syncNewDir = true, recoverActive = true }: { syncNewDir?: boolean; recoverActive?: boolean } = {},
): LoadedSegments {
  const baseOffsets = discardLeftovers(fs, dir);
  const segments: Segment[] = [];
  const recoveries: SegmentRecovery[] = [];
  try {
    if (baseOffsets.length === 0) {
      segments.push(Segment.create(fs, dir, 0n, options));
      if (syncNewDir) fs.syncDir(dir);
    }
    for (const [i, baseOffset] of baseOffsets.entries()) {
      const isActive = i === baseOffsets.length - 1;
      const { segment, recovery } = Segment.open(fs, dir, baseOffset, options, { recover: isActive && recoverActive });
      segments.push(segment);
      if (recovery !== null) recoveries.push({ baseOffset, ...recovery });
    }
  } catch (error) {
    for (const segment of segments) segment.close();
    throw error;
  }
  return { segments, recoveries };
}

/** Lists the base offsets of the segments to load, after removing what a crash can leave behind. */
function discardLeftovers(fs: FileSystem, dir: string): bigint[] {
  const names = fs.list(dir);
  const baseOffsets = names.map(parseLogFileName).filter((offset): offset is bigint => offset !== null);
  const logNames = new Set(baseOffsets.map((offset) => segmentFileName(offset, LOG_FILE_SUFFIX)));
  let removed = false;
  for (const name of names) {
    const logOfIndex = logFileNameOfIndex(name);
    const isOrphanIndex = logOfIndex !== null && !logNames.has(logOfIndex);
    if (name.endsWith(CLEANED_FILE_SUFFIX) || isOrphanIndex) {
      fs.remove(join(dir, name));
      removed = true;
    }
  }
  if (removed) fs.syncDir(dir);
  return baseOffsets.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export interface LoadedEpochCache {
  cache: LeaderEpochFileCache;
  /** Why the checkpoint was rebuilt from the batches, or null when it was used as found. */
  rebuiltBecause: string | null;
}

/**
 * Loads the leader-epoch checkpoint of the log made of `segments` (oldest first, as loadSegments
 * returns them), trimmed to the log's offsets, or rebuilds it from the batches (see the top of
 * this file). `sync` is the cache's own option: fsync every rewrite.
 */
export function loadLeaderEpochCache(
  fs: FileSystem,
  dir: string,
  segments: readonly Segment[],
  { sync }: { sync: boolean },
): LoadedEpochCache {
  const logStartOffset = segments[0]!.baseOffset;
  const logEndOffset = segments.at(-1)!.nextOffset;
  let found: EpochEntry[] | null = null;
  let unreadable: string | null = null;
  try {
    found = LeaderEpochFileCache.readEntries(fs, dir);
  } catch (error) {
    if (!(error instanceof CheckpointFileError)) throw error;
    unreadable = error.message;
  }
  if (found !== null) {
    const cache = new LeaderEpochFileCache(fs, dir, found, { sync });
    cache.truncateFromStart(logStartOffset);
    cache.truncateFromEnd(logEndOffset);
    const disagreement = disagreementWithLog(cache.epochEntries, segments);
    if (disagreement === null) return { cache, rebuiltBecause: null };
    cache.reset(epochStartsInLog(segments));
    return { cache, rebuiltBecause: disagreement };
  }
  const cache = new LeaderEpochFileCache(fs, dir, [], { sync });
  const scanned = epochStartsInLog(segments);
  // An empty log without a checkpoint is a new log: there is nothing to write yet.
  if (scanned.length > 0 || unreadable !== null) cache.reset(scanned);
  return { cache, rebuiltBecause: unreadable ?? (scanned.length > 0 ? "no leader-epoch checkpoint" : null) };
}

/** The first offset of each run of batches carrying one leader epoch, in log order. */
function epochStartsInLog(segments: readonly Segment[]): EpochEntry[] {
  const starts: EpochEntry[] = [];
  let current: number | null = null;
  for (const segment of segments) {
    for (const header of segment.batchHeaders()) {
      const epoch = header.partitionLeaderEpoch;
      if (epoch < 0 || epoch === current) continue;
      starts.push({ epoch, startOffset: header.baseOffset });
      current = epoch;
    }
  }
  return starts;
}

/**
 * Why `entries` cannot describe the batches of `segments`, or null when they can: each entry
 * after the first must name a batch that starts at its offset and carries its epoch (the first
 * may start inside its batch, moved there by truncateFromStart), and the last batch must carry
 * the latest epoch.
 */
function disagreementWithLog(entries: readonly EpochEntry[], segments: readonly Segment[]): string | null {
  const last = lastBatchHeader(segments);
  if (last === null) return entries.length === 0 ? null : "epochs recorded for an empty log";
  for (const [i, { epoch, startOffset }] of entries.entries()) {
    const header = firstBatchHeaderFrom(segments, startOffset);
    if (header === null || header.partitionLeaderEpoch !== epoch || (i > 0 && header.baseOffset !== startOffset))
      return `epoch ${epoch} does not start at offset ${startOffset}`;
  }
  const latest = entries.at(-1)?.epoch;
  if (last.partitionLeaderEpoch >= 0 && last.partitionLeaderEpoch !== latest)
    return `the last batch has epoch ${last.partitionLeaderEpoch}, the checkpoint ends with ${latest ?? "none"}`;
  return null;
}

/** The header of the first batch holding an offset ≥ `offset`, or null when there is none. */
function firstBatchHeaderFrom(segments: readonly Segment[], offset: bigint): StoredBatchHeader | null {
  for (let i = segmentIndexFor(segments, offset); i < segments.length; i++) {
    const segment = segments[i]!;
    const from = offset > segment.baseOffset ? offset : segment.baseOffset;
    for (const header of segment.batchHeaders(from, READ_SCAN_BUFFER_BYTES)) return header;
  }
  return null;
}

function lastBatchHeader(segments: readonly Segment[]): StoredBatchHeader | null {
  for (let i = segments.length - 1; i >= 0; i--) {
    const segment = segments[i]!;
    if (segment.isEmpty) continue;
    for (const header of segment.batchHeaders(segment.nextOffset - 1n, READ_SCAN_BUFFER_BYTES)) return header;
  }
  return null;
}
