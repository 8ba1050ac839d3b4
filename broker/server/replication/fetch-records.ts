// One partition of a Fetch (Kafka's Partition.fetchRecords): the leader and leader-epoch checks,
// then the read — a follower's (replica id ≥ 0) up to the log end, a consumer's up to the high
// watermark, or with read_committed (isolation level 1) up to the last stable offset, with the
// aborted transactions its records may hold — and, for a follower, its position recorded on the
// leader, which may move the high watermark and the ISR. The high watermark (and the last stable
// offset) answered is the one from before that, as Kafka answers. A reader whose last fetched epoch (Fetch v12+) ends here before its fetch offset, or
// that this log never had, gets no records but the diverging epoch, where it must truncate (Kafka's
// Partition.readRecords rule); one this log cannot place, or a fetch offset before the log start,
// gets OFFSET_OUT_OF_RANGE. A replica whose log went offline answers KAFKA_STORAGE_ERROR.
//
// Holds no state: the PartitionState it reads through owns everything it changes.
import { ErrorCode } from "../../protocol/errors.ts";
import { BATCH_LOG_OVERHEAD, BatchField } from "../../protocol/record-batch/layout.ts";
import { UNDEFINED_EPOCH_OFFSET } from "../../storage/leader-epoch-checkpoint.ts";
import type { PartitionState } from "./partition-state.ts";

/** One partition of a fetch, as the fetch path asks it of the partition's replication state. */
export interface ReplicaRead {
  /** ≥ 0: the follower fetching; -1: a consumer. */
  replicaId: number;
  fetchOffset: bigint;
  /** -1 when the request carries none. */
  currentLeaderEpoch: number;
  /** The epoch of the last batch the reader has (Fetch v12+), -1 when none: checked for divergence. */
  lastFetchedEpoch: number;
  followerLogStartOffset: bigint;
  maxBytes: number;
  minOneBatch: boolean;
  /** Kafka's fetchOnlyLeader: followers and consumers without client metadata read only from the leader. */
  fetchOnlyLeader: boolean;
  /** False when a parked fetch reads again: the follower's position was taken when it arrived. */
  updateFetchState: boolean;
  /** A consumer's isolation level (Fetch v4+): 0 read_uncommitted (the default), 1 read_committed. */
  isolationLevel?: number;
}

/** Kafka's IsolationLevel.READ_COMMITTED. */
export const READ_COMMITTED = 1;

/** An aborted transaction as a read_committed fetch answers it. */
export interface FetchedAbortedTxn {
  producerId: bigint;
  firstOffset: bigint;
}

export type ReplicaReadResult =
  | {
      errorCode: typeof ErrorCode.NONE;
      chunks: Buffer[];
      size: number;
      highWatermark: bigint;
      /** The last stable offset when read (partition.ts), whatever the isolation level, as Kafka answers. */
      lastStableOffset: bigint;
      logStartOffset: bigint;
      /** read_committed only: the aborted transactions among the records returned, else null. */
      abortedTransactions: FetchedAbortedTxn[] | null;
      /** Where the reader's last fetched epoch ends here, when its log diverged: truncate, then fetch again. */
      divergingEpoch?: { epoch: number; endOffset: bigint };
    }
  | { errorCode: number };

export function fetchRecords(state: PartitionState, request: ReplicaRead): ReplicaReadResult {
  // A log that an I/O failure took offline is read no more (Kafka: a partition in an offline log dir).
  if (state.partition.log.isOffline) return { errorCode: ErrorCode.KAFKA_STORAGE_ERROR };
  const epochError = state.checkCurrentLeaderEpoch(request.currentLeaderEpoch);
  if (epochError !== ErrorCode.NONE) return { errorCode: epochError };
  if (request.fetchOnlyLeader && !state.isLeader) return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
  const fromFollower = request.replicaId >= 0;
  if (fromFollower && !state.follower(request.replicaId)) {
    // A replica the leader does not know (yet): with an epoch, the pair is not recognised yet.
    const errorCode =
      request.currentLeaderEpoch >= 0 ? ErrorCode.UNKNOWN_LEADER_EPOCH : ErrorCode.NOT_LEADER_OR_FOLLOWER;
    return { errorCode };
  }
  const log = state.partition.log;
  const highWatermark = log.highWatermark;
  const lastStableOffset = state.partition.lastStableOffset;
  const logStartOffset = log.logStartOffset;
  const readCommitted = !fromFollower && request.isolationLevel === READ_COMMITTED;
  const logEndOffset = log.logEndOffset;
  if (request.lastFetchedEpoch >= 0) {
    const epochEnd = state.lastOffsetForLeaderEpoch(request.currentLeaderEpoch, request.lastFetchedEpoch, false);
    if (epochEnd.errorCode !== ErrorCode.NONE) return { errorCode: epochEnd.errorCode };
    if (epochEnd.endOffset === UNDEFINED_EPOCH_OFFSET || request.fetchOffset < logStartOffset)
      return { errorCode: ErrorCode.OFFSET_OUT_OF_RANGE };
    if (epochEnd.leaderEpoch < request.lastFetchedEpoch || epochEnd.endOffset < request.fetchOffset) {
      const divergingEpoch = { epoch: epochEnd.leaderEpoch, endOffset: epochEnd.endOffset };
      return {
        errorCode: ErrorCode.NONE,
        chunks: [],
        size: 0,
        highWatermark,
        lastStableOffset,
        logStartOffset,
        abortedTransactions: readCommitted ? [] : null,
        divergingEpoch,
      };
    }
  }
  const upperBound = fromFollower ? logEndOffset : readCommitted ? lastStableOffset : highWatermark;
  const read = log.read(request.fetchOffset, request.maxBytes, request.minOneBatch, upperBound);
  if (read.kind === "offset-out-of-range") return { errorCode: ErrorCode.OFFSET_OUT_OF_RANGE };
  if (fromFollower && request.updateFetchState) {
    const { replicaId, fetchOffset, followerLogStartOffset } = request;
    state.updateFollowerFetchState(replicaId, fetchOffset, followerLogStartOffset, state.now(), logEndOffset);
  }
  const abortedTransactions = readCommitted
    ? state.partition.abortedTransactions(request.fetchOffset, nextOffsetAfter(read.chunks, request.fetchOffset))
    : null;
  return {
    errorCode: ErrorCode.NONE,
    chunks: read.chunks,
    size: read.size,
    highWatermark,
    lastStableOffset,
    logStartOffset,
    abortedTransactions,
  };
}

/**
 * The offset after the last batch of `chunks` (whole stored batches), walking their headers only;
 * `fetchOffset` when there is none: no aborted transaction then concerns the answer.
 */
function nextOffsetAfter(chunks: readonly Buffer[], fetchOffset: bigint): bigint {
  let next = fetchOffset;
  for (const chunk of chunks) {
    for (let at = 0; at + BatchField.recordCount <= chunk.length; ) {
      next = chunk.readBigInt64BE(at) + BigInt(chunk.readInt32BE(at + BatchField.lastOffsetDelta)) + 1n;
      at += BATCH_LOG_OVERHEAD + chunk.readInt32BE(at + BatchField.batchLength);
    }
  }
  return next;
}
