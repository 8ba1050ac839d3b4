// The advertised API set: one coherent range per key, chosen for what real clients negotiate
// (see kafka-compat.md). The code generator restricts the message schemas to these ranges.
// Produce starts at v0 although records are magic 2 only: librdkafka (≤ 2.x) compresses a batch
// only if the broker's Produce range contains the codec's minimum version, 0 for gzip and snappy,
// and otherwise silently sends it uncompressed; it still uses the newest version. A v0–v2 client's
// older message formats are answered UNSUPPORTED_FOR_MESSAGE_FORMAT: stored batches are never converted.

export interface SupportedApi {
  apiKey: number;
  /** The spec's API name: message files are `<name>Request.json` / `<name>Response.json`. */
  name: string;
  minVersion: number;
  maxVersion: number;
}

export const SUPPORTED_APIS: readonly SupportedApi[] = [
  { apiKey: 0, name: "Produce", minVersion: 0, maxVersion: 7 },
  { apiKey: 1, name: "Fetch", minVersion: 4, maxVersion: 11 },
  { apiKey: 2, name: "ListOffsets", minVersion: 1, maxVersion: 3 },
  { apiKey: 3, name: "Metadata", minVersion: 0, maxVersion: 6 },
  { apiKey: 8, name: "OffsetCommit", minVersion: 2, maxVersion: 7 },
  { apiKey: 9, name: "OffsetFetch", minVersion: 1, maxVersion: 5 },
  { apiKey: 10, name: "FindCoordinator", minVersion: 0, maxVersion: 2 },
  { apiKey: 11, name: "JoinGroup", minVersion: 2, maxVersion: 5 },
  { apiKey: 12, name: "Heartbeat", minVersion: 1, maxVersion: 3 },
  { apiKey: 13, name: "LeaveGroup", minVersion: 1, maxVersion: 3 },
  { apiKey: 14, name: "SyncGroup", minVersion: 1, maxVersion: 3 },
  { apiKey: 15, name: "DescribeGroups", minVersion: 0, maxVersion: 4 },
  { apiKey: 16, name: "ListGroups", minVersion: 0, maxVersion: 2 },
  { apiKey: 18, name: "ApiVersions", minVersion: 0, maxVersion: 3 },
  { apiKey: 19, name: "CreateTopics", minVersion: 0, maxVersion: 4 },
  { apiKey: 20, name: "DeleteTopics", minVersion: 1, maxVersion: 3 },
  { apiKey: 22, name: "InitProducerId", minVersion: 0, maxVersion: 1 },
  { apiKey: 32, name: "DescribeConfigs", minVersion: 0, maxVersion: 2 },
  { apiKey: 37, name: "CreatePartitions", minVersion: 0, maxVersion: 1 },
  { apiKey: 42, name: "DeleteGroups", minVersion: 0, maxVersion: 1 },
];
