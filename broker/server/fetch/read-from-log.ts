// Reads what one Fetch asks for from the partition logs: whole stored batches up to the high
// watermark, within the request's per-partition and whole-response byte limits, and the error
// code of each partition that cannot be read. A replicated partition reads through its
// PartitionState (replication/fetch-records.ts): leadership and leader-epoch checks, and for a
// follower's fetch (replica id ≥ 0) up to the log end, recording where the follower is.
//
// Holds no state: each call reads the partitions as they are at that moment (a Partition owns its
// log; see partition.ts).

import { ErrorCode } from "../../protocol/errors.ts";
import type { FetchRequest, FetchResponse, FetchResponsePartitionData } from "../../protocol/messages/index.ts";
import type { Partition } from "../partition.ts";
import { fetchRecords } from "../replication/fetch-records.ts";
import { checkLastFetchedEpoch } from "./last-fetched-epoch.ts";

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
      const partition = partitions.partition(topic.topic, wanted.partition);
      const answer = (errorCode: number, records: Buffer[] | null = null): FetchResponsePartitionData => ({
        partitionIndex: wanted.partition,
        errorCode,
        highWatermark: partition?.highWatermark ?? -1n,
        // No transactions: the last stable offset is the high watermark.
        lastStableOffset: partition?.highWatermark ?? -1n,
        logStartOffset: partition?.logStartOffset ?? -1n,
        abortedTransactions: [],
        preferredReadReplica: -1,
        records,
      });
      if (!partition) {
        hasError = true;
        return answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      }
      const limit = Math.min(wanted.partitionMaxBytes, request.maxBytes - bytes);
      const replication = partition.replication;
      if (replication) {
        // Read even with no bytes left: a follower's fetch must still record its position.
        const read = fetchRecords(replication, {
          replicaId: request.replicaId,
          fetchOffset: wanted.fetchOffset,
          currentLeaderEpoch: wanted.currentLeaderEpoch,
          lastFetchedEpoch: wanted.lastFetchedEpoch,
          followerLogStartOffset: wanted.logStartOffset,
          maxBytes: Math.max(limit, 0),
          minOneBatch: bytes === 0,
          fetchOnlyLeader: fromFollower || !params.clientMetadata,
          updateFetchState: params.updateFetchState,
        });
        if (read.errorCode !== ErrorCode.NONE || !("chunks" in read)) {
          hasError = true;
          return { ...answer(read.errorCode), highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n };
        }
        bytes += read.size;
        // A diverging reader is answered at once, so that it truncates rather than waits.
        if (read.divergingEpoch) hasError = true;
        return {
          ...answer(ErrorCode.NONE, read.chunks),
          highWatermark: read.highWatermark,
          lastStableOffset: read.highWatermark,
          logStartOffset: read.logStartOffset,
          ...(read.divergingEpoch ? { divergingEpoch: read.divergingEpoch } : {}),
        };
      }
      const epochCheck = checkLastFetchedEpoch(partition.log, wanted.lastFetchedEpoch, wanted.fetchOffset);
      if (epochCheck.kind !== "read") {
        // Answered at once: a diverging fetcher truncates rather than waits.
        hasError = true;
        if (epochCheck.kind === "error") return answer(epochCheck.errorCode);
        return { ...answer(ErrorCode.NONE, []), divergingEpoch: epochCheck.divergingEpoch };
      }
      if (limit <= 0 && bytes > 0) return answer(ErrorCode.NONE, []);
      // Only the first partition with data may exceed the limits by one batch, so progress is always possible.
      const read = partition.log.read(wanted.fetchOffset, Math.max(limit, 0), bytes === 0, partition.highWatermark);
      if (read.kind === "offset-out-of-range") {
        hasError = true;
        return answer(ErrorCode.OFFSET_OUT_OF_RANGE);
      }
      bytes += read.size;
      return answer(ErrorCode.NONE, read.chunks);
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
