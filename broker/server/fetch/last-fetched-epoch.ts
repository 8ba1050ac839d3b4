// Fetch v12's epoch check on a partition with no replication half (a single node leads its own
// partitions): a fetcher that sends the epoch of the last batch it fetched learns whether its copy
// diverged from this log before it reads on — Kafka's Partition.readRecords rule. A replicated
// partition makes the same check in replication/partition-state.ts. Holds no state.
import { ErrorCode } from "../../protocol/errors.ts";

/** The part of a PartitionLog the check reads. */
export interface EpochLog {
  readonly logStartOffset: bigint;
  /** The largest epoch at most `epoch` and where it ends; -1/-1 when the log knows none. */
  endOffsetForEpoch(epoch: number): { epoch: number; endOffset: bigint };
}

export type LastFetchedEpochCheck =
  | { kind: "read" }
  | { kind: "error"; errorCode: number }
  | { kind: "diverging"; divergingEpoch: { epoch: number; endOffset: bigint } };

const read: LastFetchedEpochCheck = { kind: "read" };

/**
 * `lastFetchedEpoch` < 0 (versions before 12, or a fetcher that has read nothing) skips the check.
 * An epoch the log cannot place, or an offset before the log start, is OFFSET_OUT_OF_RANGE; an
 * epoch that ends before the fetch offset, or that the log only knows an older epoch for, diverges.
 */
export function checkLastFetchedEpoch(
  log: EpochLog,
  lastFetchedEpoch: number,
  fetchOffset: bigint,
): LastFetchedEpochCheck {
  if (lastFetchedEpoch < 0) return read;
  const found = log.endOffsetForEpoch(lastFetchedEpoch);
  if (found.epoch < 0 || found.endOffset < 0n || fetchOffset < log.logStartOffset) {
    return { kind: "error", errorCode: ErrorCode.OFFSET_OUT_OF_RANGE };
  }
  if (found.epoch < lastFetchedEpoch || found.endOffset < fetchOffset) {
    return { kind: "diverging", divergingEpoch: { epoch: found.epoch, endOffset: found.endOffset } };
  }
  return read;
}
