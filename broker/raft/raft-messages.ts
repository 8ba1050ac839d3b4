// The KRaft messages as one replica of `__cluster_metadata-0` writes and reads them (Kafka's
// RaftUtil): every request and response names exactly that one topic partition, so these build
// the single-partition bodies and find the partition in a received one. Holds no state.

import { ErrorCode } from "../protocol/errors.ts";
import type {
  BeginQuorumEpochRequest,
  BeginQuorumEpochResponse,
  DescribeQuorumResponse,
  EndQuorumEpochRequest,
  EndQuorumEpochResponse,
  FetchRequest,
  FetchResponse,
  FetchResponsePartitionData,
  VoteRequest,
  VoteResponse,
} from "../protocol/messages/index.ts";
import { METADATA_PARTITION, METADATA_TOPIC, type OffsetAndEpoch } from "./raft-log.ts";

/** What every response carries besides its own fields: the sender's view of the epoch and leader. */
export interface LeaderAndEpoch {
  leaderId: number | null;
  epoch: number;
}

const NO_LEADER = -1;

/** The one partition of a KRaft request or response, or null when it names anything else. */
export function singlePartition<P extends { partitionIndex: number }>(
  topics: readonly { topicName: string; partitions: readonly P[] }[],
): P | null {
  if (topics.length !== 1) return null;
  const topic = topics[0]!;
  if (topic.topicName !== METADATA_TOPIC || topic.partitions.length !== 1) return null;
  const partition = topic.partitions[0]!;
  return partition.partitionIndex === METADATA_PARTITION ? partition : null;
}

/** The one partition of a Fetch request (its topic field is `topic`, its partition `partition`). */
export function singleFetchPartition(
  request: FetchRequest,
): FetchRequest["topics"][number]["partitions"][number] | null {
  if (request.topics.length !== 1) return null;
  const topic = request.topics[0]!;
  if (topic.topic !== METADATA_TOPIC || topic.partitions.length !== 1) return null;
  const partition = topic.partitions[0]!;
  return partition.partition === METADATA_PARTITION ? partition : null;
}

export function singleFetchResponsePartition(response: FetchResponse): FetchResponsePartitionData | null {
  if (response.responses.length !== 1) return null;
  const topic = response.responses[0]!;
  if (topic.topic !== METADATA_TOPIC || topic.partitions.length !== 1) return null;
  const partition = topic.partitions[0]!;
  return partition.partitionIndex === METADATA_PARTITION ? partition : null;
}

/** The first Fetch version with LastFetchedEpoch and DivergingEpoch: KRaft's. */
export const RAFT_FETCH_VERSION = 12;

/** Whether a Fetch is a quorum replica's fetch of the metadata log (which the Raft node answers). */
export function isMetadataLogFetch(request: FetchRequest, apiVersion: number): boolean {
  return apiVersion >= RAFT_FETCH_VERSION && request.topics.some((topic) => topic.topic === METADATA_TOPIC);
}

export function leaderIdOrNull(leaderId: number | undefined): number | null {
  return leaderId === undefined || leaderId < 0 ? null : leaderId;
}

// ---------------------------------------------------------------------------------------------
// Requests

export function voteRequest(candidateId: number, candidateEpoch: number, lastLog: OffsetAndEpoch): VoteRequest {
  return {
    clusterId: null,
    topics: [
      {
        topicName: METADATA_TOPIC,
        partitions: [
          {
            partitionIndex: METADATA_PARTITION,
            candidateEpoch,
            candidateId,
            lastOffsetEpoch: lastLog.epoch,
            lastOffset: lastLog.offset,
          },
        ],
      },
    ],
  };
}

export function beginQuorumEpochRequest(leaderId: number, leaderEpoch: number): BeginQuorumEpochRequest {
  return {
    clusterId: null,
    topics: [
      { topicName: METADATA_TOPIC, partitions: [{ partitionIndex: METADATA_PARTITION, leaderId, leaderEpoch }] },
    ],
  };
}

export function endQuorumEpochRequest(
  leaderId: number,
  leaderEpoch: number,
  preferredSuccessors: readonly number[],
): EndQuorumEpochRequest {
  return {
    clusterId: null,
    topics: [
      {
        topicName: METADATA_TOPIC,
        partitions: [
          { partitionIndex: METADATA_PARTITION, leaderId, leaderEpoch, preferredSuccessors: [...preferredSuccessors] },
        ],
      },
    ],
  };
}

export function fetchRequest(options: {
  replicaId: number;
  epoch: number;
  fetchOffset: bigint;
  lastFetchedEpoch: number;
  maxWaitMs: number;
  maxBytes: number;
}): FetchRequest {
  return {
    clusterId: null,
    replicaId: options.replicaId,
    maxWaitMs: options.maxWaitMs,
    minBytes: 0,
    maxBytes: options.maxBytes,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic: METADATA_TOPIC,
        partitions: [
          {
            partition: METADATA_PARTITION,
            currentLeaderEpoch: options.epoch,
            fetchOffset: options.fetchOffset,
            lastFetchedEpoch: options.lastFetchedEpoch,
            logStartOffset: -1n,
            partitionMaxBytes: options.maxBytes,
          },
        ],
      },
    ],
    forgottenTopicsData: [],
    rackId: "",
  };
}

// ---------------------------------------------------------------------------------------------
// Responses

export function voteResponse(errorCode: number, current: LeaderAndEpoch, voteGranted: boolean): VoteResponse {
  return {
    errorCode: ErrorCode.NONE,
    topics: [
      {
        topicName: METADATA_TOPIC,
        partitions: [
          {
            partitionIndex: METADATA_PARTITION,
            errorCode,
            leaderId: current.leaderId ?? NO_LEADER,
            leaderEpoch: current.epoch,
            voteGranted,
          },
        ],
      },
    ],
  };
}

export function beginQuorumEpochResponse(errorCode: number, current: LeaderAndEpoch): BeginQuorumEpochResponse {
  return { errorCode: ErrorCode.NONE, topics: [partitionAnswer(errorCode, current)] };
}

export function endQuorumEpochResponse(errorCode: number, current: LeaderAndEpoch): EndQuorumEpochResponse {
  return { errorCode: ErrorCode.NONE, topics: [partitionAnswer(errorCode, current)] };
}

/** A whole-request error (the request named another partition, or the node cannot answer at all). */
export function topLevelError<T extends { errorCode: number; topics: unknown[] }>(errorCode: number): T {
  return { errorCode, topics: [] } as unknown as T;
}

function partitionAnswer(errorCode: number, current: LeaderAndEpoch) {
  return {
    topicName: METADATA_TOPIC,
    partitions: [
      {
        partitionIndex: METADATA_PARTITION,
        errorCode,
        leaderId: current.leaderId ?? NO_LEADER,
        leaderEpoch: current.epoch,
      },
    ],
  };
}

export function fetchResponse(options: {
  errorCode: number;
  current: LeaderAndEpoch;
  highWatermark: bigint | null;
  logStartOffset: bigint;
  records?: Buffer[];
  divergingAt?: OffsetAndEpoch;
}): FetchResponse {
  return {
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    sessionId: 0,
    responses: [
      {
        topic: METADATA_TOPIC,
        partitions: [
          {
            partitionIndex: METADATA_PARTITION,
            errorCode: options.errorCode,
            highWatermark: options.highWatermark ?? -1n,
            lastStableOffset: -1n,
            logStartOffset: options.logStartOffset,
            divergingEpoch:
              options.divergingAt === undefined
                ? { epoch: -1, endOffset: -1n }
                : { epoch: options.divergingAt.epoch, endOffset: options.divergingAt.offset },
            currentLeader: { leaderId: options.current.leaderId ?? NO_LEADER, leaderEpoch: options.current.epoch },
            snapshotId: { endOffset: -1n, epoch: -1 },
            abortedTransactions: null,
            preferredReadReplica: -1,
            records: options.records ?? null,
          },
        ],
      },
    ],
  };
}

/** A Fetch answered as a whole: the request does not name `__cluster_metadata-0` alone. */
export function fetchTopLevelError(errorCode: number): FetchResponse {
  return { throttleTimeMs: 0, errorCode, sessionId: 0, responses: [] };
}

export function describeQuorumError(errorCode: number): DescribeQuorumResponse {
  return { errorCode, topics: [] };
}

/** A replica's progress as DescribeQuorum tells it. */
export interface ReplicaDescription {
  replicaId: number;
  logEndOffset: bigint;
  lastFetchTimestamp: number;
  lastCaughtUpTimestamp: number;
}

/** The DescribeQuorum answer; `errorCode` NOT_LEADER_OR_FOLLOWER from a replica that does not lead. */
export function describeQuorumResponse(options: {
  errorCode: number;
  current: LeaderAndEpoch;
  highWatermark: bigint | null;
  voters: readonly ReplicaDescription[];
  observers: readonly ReplicaDescription[];
}): DescribeQuorumResponse {
  const replicaState = (replica: ReplicaDescription) => ({
    replicaId: replica.replicaId,
    logEndOffset: replica.logEndOffset,
    lastFetchTimestamp: BigInt(replica.lastFetchTimestamp),
    lastCaughtUpTimestamp: BigInt(replica.lastCaughtUpTimestamp),
  });
  return {
    errorCode: ErrorCode.NONE,
    topics: [
      {
        topicName: METADATA_TOPIC,
        partitions: [
          {
            partitionIndex: METADATA_PARTITION,
            errorCode: options.errorCode,
            leaderId: options.current.leaderId ?? NO_LEADER,
            leaderEpoch: options.current.epoch,
            highWatermark: options.highWatermark ?? -1n,
            currentVoters: options.voters.map(replicaState),
            observers: options.observers.map(replicaState),
          },
        ],
      },
    ],
  };
}
