// The offsets one replica answers ListOffsets and OffsetForLeaderEpoch with, after the checks a
// fetch makes too: a log that went offline answers KAFKA_STORAGE_ERROR, a request's leader epoch
// must be this replica's (PartitionState.checkCurrentLeaderEpoch), and a request meant for the
// leader is refused by a follower.
//
// Holds no state: reads the PartitionState and its log as they are.
import { ErrorCode } from "../../protocol/errors.ts";
import { UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET } from "../../storage/leader-epoch-checkpoint.ts";
import type { PartitionState } from "./partition-state.ts";

export interface OffsetSnapshot {
  errorCode: number;
  logStartOffset: bigint;
  highWatermark: bigint;
  /** What read_committed readers may read up to (Partition.lastStableOffset). */
  lastStableOffset: bigint;
  logEndOffset: bigint;
}

export interface EpochEndOffset {
  errorCode: number;
  leaderEpoch: number;
  endOffset: bigint;
}

/** The offsets a ListOffsets answers from, with the same leadership and epoch checks as a fetch. */
export function offsetSnapshot(
  state: PartitionState,
  currentLeaderEpoch: number,
  fetchOnlyFromLeader: boolean,
): OffsetSnapshot {
  const partition = state.partition;
  const log = partition.log;
  let errorCode = log.isOffline ? ErrorCode.KAFKA_STORAGE_ERROR : state.checkCurrentLeaderEpoch(currentLeaderEpoch);
  if (errorCode === ErrorCode.NONE && fetchOnlyFromLeader && !state.isLeader)
    errorCode = ErrorCode.NOT_LEADER_OR_FOLLOWER;
  return {
    errorCode,
    logStartOffset: log.logStartOffset,
    highWatermark: log.highWatermark,
    lastStableOffset: partition.lastStableOffset,
    logEndOffset: log.logEndOffset,
  };
}

/**
 * The end offset of the largest epoch at most `leaderEpoch` in this replica's log (what a
 * follower truncates to), answered from the leader-epoch cache: the log end for the current
 * epoch, -1/-1 for an epoch older than any the cache knows, as Kafka answers.
 */
export function lastOffsetForLeaderEpoch(
  state: PartitionState,
  currentLeaderEpoch: number,
  leaderEpoch: number,
  fetchOnlyFromLeader: boolean,
): EpochEndOffset {
  const log = state.partition.log;
  const errorCode = log.isOffline ? ErrorCode.KAFKA_STORAGE_ERROR : state.checkCurrentLeaderEpoch(currentLeaderEpoch);
  const failed = (code: number) => ({
    errorCode: code,
    leaderEpoch: UNDEFINED_EPOCH,
    endOffset: UNDEFINED_EPOCH_OFFSET,
  });
  if (errorCode !== ErrorCode.NONE) return failed(errorCode);
  if (fetchOnlyFromLeader && !state.isLeader) return failed(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  const found = log.endOffsetForEpoch(leaderEpoch);
  if (found.endOffset === UNDEFINED_EPOCH_OFFSET) return failed(ErrorCode.NONE);
  return { errorCode: ErrorCode.NONE, leaderEpoch: found.epoch, endOffset: found.endOffset };
}
