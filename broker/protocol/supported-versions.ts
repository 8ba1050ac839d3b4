// The API set: one coherent range per key, chosen for what real clients negotiate (see
// kafka-compat.md). The code generator restricts the message schemas to these ranges; ApiVersions
// advertises the ones the broker has a handler for (broker/server/handlers/index.ts).
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
  /**
   * The newest version our own client (broker/client) sends, when lower than what the broker
   * serves: the broker serves newer versions for other clients, the client stays on the versions
   * it was written for.
   */
  clientMaxVersion?: number;
}

export const SUPPORTED_APIS: readonly SupportedApi[] = [
  { apiKey: 0, name: "Produce", minVersion: 0, maxVersion: 7 },
  // 12 is the first flexible version: LastFetchedEpoch in, DivergingEpoch/CurrentLeader out (KRaft's
  // follower fetch). 13+ would need topic ids.
  { apiKey: 1, name: "Fetch", minVersion: 4, maxVersion: 13, clientMaxVersion: 12 },
  // 4 adds the current leader epoch; @platformatic/kafka needs 5+.
  { apiKey: 2, name: "ListOffsets", minVersion: 1, maxVersion: 5, clientMaxVersion: 3 },
  // 9 is the first flexible version, 10 carries topic ids (KIP-848 members name topics by id), 12
  // looks topics up by id; @platformatic/kafka speaks 9+ only.
  { apiKey: 3, name: "Metadata", minVersion: 0, maxVersion: 12, clientMaxVersion: 6 },
  // OffsetCommit 9 and OffsetFetch 9 carry KIP-848 member epochs; OffsetFetch 8 batches groups;
  // FindCoordinator 4 batches keys. @platformatic/kafka speaks only these newer versions.
  { apiKey: 8, name: "OffsetCommit", minVersion: 2, maxVersion: 9, clientMaxVersion: 7 },
  { apiKey: 9, name: "OffsetFetch", minVersion: 1, maxVersion: 9, clientMaxVersion: 5 },
  { apiKey: 10, name: "FindCoordinator", minVersion: 0, maxVersion: 4, clientMaxVersion: 2 },
  { apiKey: 11, name: "JoinGroup", minVersion: 2, maxVersion: 5 },
  { apiKey: 12, name: "Heartbeat", minVersion: 1, maxVersion: 3 },
  { apiKey: 13, name: "LeaveGroup", minVersion: 1, maxVersion: 5 },
  { apiKey: 14, name: "SyncGroup", minVersion: 1, maxVersion: 3 },
  { apiKey: 15, name: "DescribeGroups", minVersion: 0, maxVersion: 5, clientMaxVersion: 4 },
  // ListGroups 4 filters by state, 5 by type (classic or consumer) and says each group's type.
  { apiKey: 16, name: "ListGroups", minVersion: 0, maxVersion: 5, clientMaxVersion: 2 },
  // SASL on a SASL_PLAINTEXT listener: v0 of the handshake is followed by raw SASL tokens, v1 by
  // SaslAuthenticate requests (what kafkajs and librdkafka pick when both are advertised).
  { apiKey: 17, name: "SaslHandshake", minVersion: 0, maxVersion: 1 },
  { apiKey: 18, name: "ApiVersions", minVersion: 0, maxVersion: 3 },
  { apiKey: 19, name: "CreateTopics", minVersion: 0, maxVersion: 4 },
  { apiKey: 20, name: "DeleteTopics", minVersion: 1, maxVersion: 3 },
  { apiKey: 21, name: "DeleteRecords", minVersion: 0, maxVersion: 2 },
  // 2 is flexible, 3 lets a producer bump its own epoch (KIP-360), 4 answers PRODUCER_FENCED; 5 is KIP-890's.
  { apiKey: 22, name: "InitProducerId", minVersion: 0, maxVersion: 4 },
  // 2 is the first with CurrentLeaderEpoch (fencing), 3 adds ReplicaId (a follower's own end), 4 is flexible.
  { apiKey: 23, name: "OffsetForLeaderEpoch", minVersion: 2, maxVersion: 4 },
  // The transaction APIs at the versions before KIP-890's server-side verification (AddPartitionsToTxn 4
  // batches transactions for brokers; AddOffsetsToTxn and EndTxn 4 change their errors); 3 is flexible.
  { apiKey: 24, name: "AddPartitionsToTxn", minVersion: 0, maxVersion: 3 },
  { apiKey: 25, name: "AddOffsetsToTxn", minVersion: 0, maxVersion: 3 },
  { apiKey: 26, name: "EndTxn", minVersion: 0, maxVersion: 3 },
  // The coordinator's markers to partition leaders (inter-broker).
  { apiKey: 27, name: "WriteTxnMarkers", minVersion: 0, maxVersion: 1 },
  { apiKey: 28, name: "TxnOffsetCommit", minVersion: 0, maxVersion: 3 },
  { apiKey: 32, name: "DescribeConfigs", minVersion: 0, maxVersion: 2 },
  // kafkajs 2.2.4 sends AlterConfigs v0/v1; 2 is flexible.
  { apiKey: 33, name: "AlterConfigs", minVersion: 0, maxVersion: 2 },
  // 3 adds a top-level error code, 4 the volume's total and usable bytes.
  { apiKey: 35, name: "DescribeLogDirs", minVersion: 0, maxVersion: 4 },
  // 1 adds the session lifetime (always 0 here: no re-authentication), 2 is flexible.
  { apiKey: 36, name: "SaslAuthenticate", minVersion: 0, maxVersion: 2 },
  { apiKey: 37, name: "CreatePartitions", minVersion: 0, maxVersion: 1 },
  { apiKey: 42, name: "DeleteGroups", minVersion: 0, maxVersion: 2, clientMaxVersion: 1 },
  { apiKey: 43, name: "ElectLeaders", minVersion: 0, maxVersion: 2 },
  { apiKey: 44, name: "IncrementalAlterConfigs", minVersion: 0, maxVersion: 1 },
  // KIP-455's reassignment APIs: version 0 (what kafkajs 2.2.4 sends) is the only one of each here.
  { apiKey: 45, name: "AlterPartitionReassignments", minVersion: 0, maxVersion: 0 },
  { apiKey: 46, name: "ListPartitionReassignments", minVersion: 0, maxVersion: 0 },
  // The KRaft and inter-broker APIs, at the versions a static voter set (controller.quorum.voters,
  // kraft.version 0) uses: the later versions add KIP-853's directory ids and endpoints.
  { apiKey: 52, name: "Vote", minVersion: 0, maxVersion: 0 },
  { apiKey: 53, name: "BeginQuorumEpoch", minVersion: 0, maxVersion: 0 },
  { apiKey: 54, name: "EndQuorumEpoch", minVersion: 0, maxVersion: 0 },
  { apiKey: 55, name: "DescribeQuorum", minVersion: 0, maxVersion: 1 },
  // 2: topic ids, as the metadata log keys partitions; 3's broker epochs in the ISR need Fetch 15+.
  { apiKey: 56, name: "AlterPartition", minVersion: 2, maxVersion: 2 },
  { apiKey: 60, name: "DescribeCluster", minVersion: 0, maxVersion: 0 },
  { apiKey: 62, name: "BrokerRegistration", minVersion: 0, maxVersion: 0 },
  { apiKey: 63, name: "BrokerHeartbeat", minVersion: 0, maxVersion: 0 },
  { apiKey: 67, name: "AllocateProducerIds", minVersion: 0, maxVersion: 0 },
  // KIP-848: 1 adds the regex subscription and lets the member choose its own id.
  { apiKey: 68, name: "ConsumerGroupHeartbeat", minVersion: 0, maxVersion: 1 },
  { apiKey: 69, name: "ConsumerGroupDescribe", minVersion: 0, maxVersion: 0 },
];

export interface MetadataLogSchema {
  /** The spec file under ../shared/kafka-protocol. */
  spec: string;
  /** The newest version generated: the spec's newest unless set. */
  maxVersion?: number;
  /** Top-level fields nullable in every version although the spec copy here does not say so. */
  nullableFields?: readonly string[];
  /**
   * Tagged fields of Kafka's current spec that the copy here predates: nullable, null by default
   * (absent from records written without them), and optional for a writer to name.
   */
  addedTaggedFields?: readonly { name: string; type: string; tag: number }[];
}

/**
 * The metadata log's records and its LeaderChangeMessage control record, generated into
 * metadata-records/records/ in every version (LeaderChangeMessage in the v0 a static quorum writes;
 * v1 adds KIP-853's directory ids).
 */
export const METADATA_LOG_SCHEMAS: readonly MetadataLogSchema[] = [
  { spec: "metadata/RegisterBrokerRecord.json" },
  { spec: "metadata/UnregisterBrokerRecord.json" },
  { spec: "metadata/TopicRecord.json" },
  { spec: "metadata/PartitionRecord.json" },
  // Kafka's ConfigRecord Value is nullable (null removes the config: AlterConfigs' deletions); the
  // spec copy here lacks the nullableVersions. A non-null value encodes the same either way.
  { spec: "metadata/ConfigRecord.json", nullableFields: ["Value"] },
  // KIP-455's reassignment fields (tags 2-4 of Kafka's version 0), which the spec copy here lacks:
  // null leaves the replicas, or the replicas being removed or added, as they are.
  {
    spec: "metadata/PartitionChangeRecord.json",
    addedTaggedFields: [
      { name: "Replicas", type: "[]int32", tag: 2 },
      { name: "RemovingReplicas", type: "[]int32", tag: 3 },
      { name: "AddingReplicas", type: "[]int32", tag: 4 },
    ],
  },
  { spec: "metadata/FenceBrokerRecord.json" },
  { spec: "metadata/UnfenceBrokerRecord.json" },
  { spec: "metadata/RemoveTopicRecord.json" },
  { spec: "metadata/FeatureLevelRecord.json" },
  { spec: "metadata/ProducerIdsRecord.json" },
  { spec: "metadata/BrokerRegistrationChangeRecord.json" },
  { spec: "metadata/NoOpRecord.json" },
  { spec: "message/LeaderChangeMessage.json", maxVersion: 0 },
];
