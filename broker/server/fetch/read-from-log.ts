// Reads what one Fetch asks for from the partition logs, each partition through its
// PartitionState (replication/fetch-records.ts): leadership, leader-epoch and last-fetched-epoch
// checks, then whole stored batches — a consumer's up to the high watermark (the last stable
// offset with read_committed, with the aborted transactions among them), a follower's
// (replica id ≥ 0) up to the log end, recording where the follower is — within the request's
// per-partition and whole-response byte limits; and the error code of each partition that cannot
// be read.
//
// Holds no state: each call reads the partitions as they are at that moment (a Partition owns its
// log; see partition.ts).

import { ErrorCode } from "../../protocol/errors.ts";
import type { FetchRequest, FetchResponse, FetchResponsePartitionData } from "../../protocol/messages/index.ts";
import type { Partition } from "../partition.ts";
import { fetchRecords } from "../replication/fetch-records.ts";

/** Where the partitions of a request are found (the replicas the broker hosts). */
export interface PartitionLookup {
  partition(topic: string, index: number): Partition | undefined;
}

export interface FetchRead {
  response: FetchResponse;
  /** Record bytes in the response, which min_bytes is compared with. */
  bytes: number;
  /** Some partition answered an error (or a diverging epoch): the fetch should not wait for more data. */
  hasError: boolean;
}

/** How a fetch reads besides its request (Kafka's FetchParams). */
export interface FetchParams {
  /**
   * The request carries client metadata (Fetch v11+): a consumer may then read from a follower,
   * as Kafka lets it; otherwise only the leader serves it.
   */
  clientMetadata: boolean;
  /** False when a parked fetch reads again: a follower's position was recorded when it arrived. */
  updateFetchState: boolean;
}

const firstRead: FetchParams = { clientMetadata: false, updateFetchState: true };

export function readFromLog(request: FetchRequest, partitions: PartitionLookup, params = firstRead): FetchRead {
  const fromFollower = request.replicaId >= 0;
  let bytes = 0;
  let hasError = false;
  const responses = request.topics.map((topic) => ({
    topic: topic.topic,
    partitions: topic.partitions.map((wanted): FetchResponsePartitionData => {
      const failed = (errorCode: number): FetchResponsePartitionData => ({
        partitionIndex: wanted.partition,
        errorCode,
        highWatermark: -1n,
        lastStableOffset: -1n,
        logStartOffset: -1n,
        abortedTransactions: [],
        preferredReadReplica: -1,
        records: null,
      });
      const partition = partitions.partition(topic.topic, wanted.partition);
      if (!partition) {
        hasError = true;
        return failed(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      }
      const limit = Math.min(wanted.partitionMaxBytes, request.maxBytes - bytes);
      // Read even with no bytes left: a follower's fetch must still record its position. Only the
      // first partition with data may exceed the limits by one batch, so progress is always possible.
      const read = fetchRecords(partition.replication, {
        replicaId: request.replicaId,
        fetchOffset: wanted.fetchOffset,
        currentLeaderEpoch: wanted.currentLeaderEpoch,
        lastFetchedEpoch: wanted.lastFetchedEpoch,
        followerLogStartOffset: wanted.logStartOffset,
        maxBytes: Math.max(limit, 0),
        minOneBatch: bytes === 0,
        fetchOnlyLeader: fromFollower || !params.clientMetadata,
        updateFetchState: params.updateFetchState,
        isolationLevel: request.isolationLevel,
      });
      if (read.errorCode !== ErrorCode.NONE || !("chunks" in read)) {
        hasError = true;
        return failed(read.errorCode);
      }
      bytes += read.size;
      // A diverging reader is answered at once, so that it truncates rather than waits.
      if (read.divergingEpoch) hasError = true;
      return {
        partitionIndex: wanted.partition,
        errorCode: ErrorCode.NONE,
        highWatermark: read.highWatermark,
        lastStableOffset: read.lastStableOffset,
        logStartOffset: read.logStartOffset,
        // Kafka answers null to read_uncommitted; an empty list reads the same to every client.
        abortedTransactions: read.abortedTransactions ?? [],
        preferredReadReplica: -1,
        records: read.chunks,
        ...(read.divergingEpoch ? { divergingEpoch: read.divergingEpoch } : {}),
      };
    }),
  }));
  return { response: { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: 0, responses }, bytes, hasError };
}

/** The partitions of the request that exist here (the ones whose appends can complete a waiting fetch). */
export function partitionsOf(request: FetchRequest, partitions: PartitionLookup): Partition[] {
  return request.topics.flatMap((t) =>
    t.partitions.map((p) => partitions.partition(t.topic, p.partition)).filter((p) => p !== undefined),
  );
}
