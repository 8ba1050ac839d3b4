// Time- and size-based retention of a log with cleanupPolicy "delete" (Kafka's retention.ms and
// retention.bytes): which whole segments, from the front, are due for deletion. Only sealed
// segments go, and only those wholly below the high watermark: records not yet committed are
// never deleted. A compacted log keeps everything (the cleaner trims it instead).
//
// Ownership: none. This decides; PartitionLog.applyRetention has the segments deleted (through
// log-start-offset.ts, which moves the log start, and local-log.ts, which owns the segments).

import type { LogConfig } from "./log-config.ts";

/** What retention looks at in a segment (a Segment is one). */
export interface RetainedSegment {
  readonly size: number;
  /** One past the last offset stored in the segment. */
  readonly nextOffset: bigint;
  /** The time age is measured from: the newest batch's timestamp, else the file's modification time. */
  largestTimestampMs(): number;
}

export interface RetentionResult {
  deletedSegments: number;
  deletedBytes: number;
}

/**
 * How many segments from the front of `segments` (the whole log, oldest first; the last is the
 * active one) are past retention at `now`, and their bytes: first those whose newest batch is
 * older than retentionMs, then as many more as the log can lose and stay at least retentionBytes.
 */
export function segmentsPastRetention(
  segments: readonly RetainedSegment[],
  highWatermark: bigint,
  config: Pick<Readonly<LogConfig>, "cleanupPolicy" | "retentionBytes" | "retentionMs">,
  now: number,
): RetentionResult {
  if (config.cleanupPolicy !== "delete") return { deletedSegments: 0, deletedBytes: 0 };
  const sealedCount = segments.length - 1;
  const deletable = (segment: RetainedSegment) => segment.nextOffset <= highWatermark;
  let count = 0;
  if (config.retentionMs >= 0) {
    while (count < sealedCount) {
      const segment = segments[count]!;
      if (!deletable(segment) || now - segment.largestTimestampMs() <= config.retentionMs) break;
      count += 1;
    }
  }
  let deletedBytes = 0;
  for (let i = 0; i < count; i++) deletedBytes += segments[i]!.size;
  if (config.retentionBytes >= 0) {
    let logSize = 0;
    for (const segment of segments) logSize += segment.size;
    let excess = logSize - deletedBytes - config.retentionBytes;
    while (count < sealedCount) {
      const segment = segments[count]!;
      if (!deletable(segment) || excess < segment.size) break;
      excess -= segment.size;
      deletedBytes += segment.size;
      count += 1;
    }
  }
  return { deletedSegments: count, deletedBytes };
}
