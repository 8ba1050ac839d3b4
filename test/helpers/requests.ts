// Request bodies as the tests send them on the wire: the fields no test varies (one replica, no
// session, no leader epoch, no transaction) are filled in here once; what a test varies it passes.
import type {
  CreateTopicsRequest,
  CreateTopicsRequestCreatableTopicConfig,
  FetchRequest,
  ProduceRequest,
} from "../../broker/protocol/messages/index.ts";

export interface TopicToCreate {
  name: string;
  numPartitions: number;
  configs?: CreateTopicsRequestCreatableTopicConfig[];
}

/** CreateTopics of `topics`, each with one replica and the broker's placement. */
export function createTopicsRequest(topics: TopicToCreate[], timeoutMs = 5000): CreateTopicsRequest {
  return {
    topics: topics.map(({ name, numPartitions, configs = [] }) => ({
      name,
      numPartitions,
      replicationFactor: 1,
      assignments: [],
      configs,
    })),
    timeoutMs,
    validateOnly: false,
  };
}

/** Produce of record batches to partitions of one topic, outside any transaction (acks -1 unless told). */
export function produceRequest(
  topic: string,
  partitions: Array<{ index: number; records: Buffer }>,
  { acks = -1, timeoutMs = 5000 }: { acks?: number; timeoutMs?: number } = {},
): ProduceRequest {
  return { transactionalId: null, acks, timeoutMs, topicData: [{ name: topic, partitionData: partitions }] };
}

export interface PartitionToFetch {
  topic: string;
  partition: number;
  fetchOffset: bigint;
  /** Default: the request's maxBytes. */
  partitionMaxBytes?: number;
  /** Fetch v12's epoch of the last batch fetched; default -1, none. */
  lastFetchedEpoch?: number;
}

/**
 * Fetch of `partitions` as a consumer without a fetch session sends it; `options` sets the
 * request's own fields (default: no wait, 1 byte at least, 1 MiB at most, read uncommitted).
 */
export function fetchRequest(partitions: PartitionToFetch[], options: Partial<FetchRequest> = {}): FetchRequest {
  const request: FetchRequest = {
    clusterId: null,
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    forgottenTopicsData: [],
    rackId: "",
    ...options,
    topics: [],
  };
  for (const topic of new Set(partitions.map((p) => p.topic))) {
    request.topics.push({
      topic,
      partitions: partitions
        .filter((p) => p.topic === topic)
        .map((p) => ({
          partition: p.partition,
          currentLeaderEpoch: -1,
          fetchOffset: p.fetchOffset,
          lastFetchedEpoch: p.lastFetchedEpoch ?? -1,
          logStartOffset: -1n,
          partitionMaxBytes: p.partitionMaxBytes ?? request.maxBytes,
        })),
    });
  }
  return request;
}

/** A fetched partition's record bytes as one buffer, however the response holds them. */
export function recordBytes(records: Buffer | Buffer[] | null): Buffer {
  if (records === null) return Buffer.alloc(0);
  return Array.isArray(records) ? Buffer.concat(records) : records;
}
