// A Fetch request over the test partitions of topic `sales`, and the records of a response.

import type { FetchRequest } from "../../../../broker/protocol/messages/index.ts";

export interface WantedPartition {
  partition: number;
  fetchOffset: bigint;
  partitionMaxBytes?: number;
  topic?: string;
}

export function fetchRequest(wanted: WantedPartition[], options: Partial<FetchRequest> = {}): FetchRequest {
  const topics = [...new Set(wanted.map((each) => each.topic ?? "sales"))];
  return {
    replicaId: -1,
    maxWaitMs: 500,
    minBytes: 1,
    maxBytes: 1 << 20,
    isolationLevel: 1,
    sessionId: 0,
    sessionEpoch: -1,
    topics: topics.map((topic) => ({
      topic,
      partitions: wanted
        .filter((each) => (each.topic ?? "sales") === topic)
        .map((each) => ({
          partition: each.partition,
          currentLeaderEpoch: -1,
          fetchOffset: each.fetchOffset,
          logStartOffset: -1n,
          partitionMaxBytes: each.partitionMaxBytes ?? 1 << 20,
        })),
    })),
    forgottenTopicsData: [],
    rackId: "",
    ...options,
  };
}

/** The record bytes a response holds for each partition, in request order. */
export function recordsOf(response: {
  responses: { partitions: { records: Buffer | Buffer[] | null }[] }[];
}): Buffer[] {
  return response.responses.flatMap((topic) =>
    topic.partitions.map((partition) => {
      const records = partition.records;
      if (records === null) return Buffer.alloc(0);
      return Array.isArray(records) ? Buffer.concat(records) : records;
    }),
  );
}
