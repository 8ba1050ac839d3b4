// A Fetch request over the test partitions of topic `sales`, and the records of a response.

import type { FetchRequest } from "../../../../broker/protocol/messages/index.ts";
import { fetchRequest as fetchOf, recordBytes } from "../../../helpers/requests.ts";

export interface WantedPartition {
  partition: number;
  fetchOffset: bigint;
  partitionMaxBytes?: number;
  topic?: string;
  lastFetchedEpoch?: number;
}

/** Read committed, waiting up to 500 ms; a partition's maxBytes is 1 MiB whatever the request's. */
export function fetchRequest(wanted: WantedPartition[], options: Partial<FetchRequest> = {}): FetchRequest {
  return fetchOf(
    wanted.map(({ topic = "sales", partitionMaxBytes = 1 << 20, ...rest }) => ({ topic, partitionMaxBytes, ...rest })),
    { maxWaitMs: 500, isolationLevel: 1, ...options },
  );
}

/** The record bytes a response holds for each partition, in request order. */
export function recordsOf(response: {
  responses: { partitions: { records: Buffer | Buffer[] | null }[] }[];
}): Buffer[] {
  return response.responses.flatMap((topic) => topic.partitions.map((partition) => recordBytes(partition.records)));
}
