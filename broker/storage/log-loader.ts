// Opening a partition log's directory (Kafka's LogLoader): what a crash can leave behind is
// removed (a cleaner's half-written `.cleaned` files, index files whose log is gone), then the
// segments are opened oldest first. Sealed segments load from their indexes, which a roll made
// durable; the active segment, and any segment whose indexes are missing or inconsistent, is
// recovered: scanned and cut at its last whole valid batch, so writes continue from there.
//
// Ownership: none kept. The segments it opens are handed to the PartitionLog, which owns them
// from then on; on failure it closes what it opened.

import { join } from "node:path";
import type { FileSystem } from "./file-system.ts";
import {
  CLEANED_FILE_SUFFIX,
  LOG_FILE_SUFFIX,
  logFileNameOfIndex,
  parseLogFileName,
  segmentFileName,
} from "./log-files.ts";
import { Segment, type SegmentOptions } from "./segment.ts";
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

/** Loads the segments in `dir`; an empty directory gets one empty segment at offset 0. */
export function loadSegments(fs: FileSystem, dir: string, options: SegmentOptions): LoadedSegments {
  const baseOffsets = discardLeftovers(fs, dir);
  const segments: Segment[] = [];
  const recoveries: SegmentRecovery[] = [];
  try {
    if (baseOffsets.length === 0) {
      segments.push(Segment.create(fs, dir, 0n, options));
      fs.syncDir(dir);
    }
    for (const [i, baseOffset] of baseOffsets.entries()) {
      const isActive = i === baseOffsets.length - 1;
      const { segment, recovery } = Segment.open(fs, dir, baseOffset, options, { recover: isActive });
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
