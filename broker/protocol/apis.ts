// The API table: which request/response schemas serve each key, and their version ranges. Knowing
// an API here means its messages can be read and written (the client sends them, the router decodes
// them); the broker advertises and serves only the ones it has handlers for.

import * as messages from "./messages/index.ts";
import type { MessageSchema } from "./schema.ts";
import { versionInRange } from "./schema.ts";
import { SUPPORTED_APIS } from "./supported-versions.ts";

export const ApiKeys = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  SyncGroup: 14,
  DescribeGroups: 15,
  ListGroups: 16,
  SaslHandshake: 17,
  ApiVersions: 18,
  CreateTopics: 19,
  DeleteTopics: 20,
  DeleteRecords: 21,
  InitProducerId: 22,
  OffsetForLeaderEpoch: 23,
  AddPartitionsToTxn: 24,
  AddOffsetsToTxn: 25,
  EndTxn: 26,
  WriteTxnMarkers: 27,
  TxnOffsetCommit: 28,
  DescribeConfigs: 32,
  AlterConfigs: 33,
  DescribeLogDirs: 35,
  SaslAuthenticate: 36,
  CreatePartitions: 37,
  DeleteGroups: 42,
  ElectLeaders: 43,
  IncrementalAlterConfigs: 44,
  AlterPartitionReassignments: 45,
  ListPartitionReassignments: 46,
  Vote: 52,
  BeginQuorumEpoch: 53,
  EndQuorumEpoch: 54,
  DescribeQuorum: 55,
  AlterPartition: 56,
  DescribeCluster: 60,
  BrokerRegistration: 62,
  BrokerHeartbeat: 63,
  AllocateProducerIds: 67,
  ConsumerGroupHeartbeat: 68,
  ConsumerGroupDescribe: 69,
} as const;

export type ApiName = keyof typeof ApiKeys;
export type ApiKey = (typeof ApiKeys)[ApiName];

export interface ApiDefinition<Request = unknown, Response = unknown> {
  apiKey: number;
  name: string;
  requestSchema: MessageSchema<Request>;
  responseSchema: MessageSchema<Response>;
  minVersion: number;
  maxVersion: number;
  /** The newest version our own client sends (see supported-versions.ts). */
  clientMaxVersion: number;
}

function defineApi<Request, Response>(
  name: ApiName,
  requestSchema: MessageSchema<Request>,
  responseSchema: MessageSchema<Response>,
): ApiDefinition<Request, Response> {
  const apiKey = ApiKeys[name];
  const supported = SUPPORTED_APIS.find((api) => api.apiKey === apiKey);
  if (supported === undefined || supported.name !== name) throw new Error(`no supported version range for ${name}`);
  return {
    apiKey,
    name,
    requestSchema,
    responseSchema,
    minVersion: supported.minVersion,
    maxVersion: supported.maxVersion,
    clientMaxVersion: supported.clientMaxVersion ?? supported.maxVersion,
  };
}

/** Typed per API, e.g. `Apis.Produce.requestSchema` is a `MessageSchema<ProduceRequest>`. */
export const Apis = {
  Produce: defineApi("Produce", messages.ProduceRequestSchema, messages.ProduceResponseSchema),
  Fetch: defineApi("Fetch", messages.FetchRequestSchema, messages.FetchResponseSchema),
  ListOffsets: defineApi("ListOffsets", messages.ListOffsetsRequestSchema, messages.ListOffsetsResponseSchema),
  Metadata: defineApi("Metadata", messages.MetadataRequestSchema, messages.MetadataResponseSchema),
  OffsetCommit: defineApi("OffsetCommit", messages.OffsetCommitRequestSchema, messages.OffsetCommitResponseSchema),
  OffsetFetch: defineApi("OffsetFetch", messages.OffsetFetchRequestSchema, messages.OffsetFetchResponseSchema),
  FindCoordinator: defineApi(
    "FindCoordinator",
    messages.FindCoordinatorRequestSchema,
    messages.FindCoordinatorResponseSchema,
  ),
  JoinGroup: defineApi("JoinGroup", messages.JoinGroupRequestSchema, messages.JoinGroupResponseSchema),
  Heartbeat: defineApi("Heartbeat", messages.HeartbeatRequestSchema, messages.HeartbeatResponseSchema),
  LeaveGroup: defineApi("LeaveGroup", messages.LeaveGroupRequestSchema, messages.LeaveGroupResponseSchema),
  SyncGroup: defineApi("SyncGroup", messages.SyncGroupRequestSchema, messages.SyncGroupResponseSchema),
  DescribeGroups: defineApi(
    "DescribeGroups",
    messages.DescribeGroupsRequestSchema,
    messages.DescribeGroupsResponseSchema,
  ),
  ListGroups: defineApi("ListGroups", messages.ListGroupsRequestSchema, messages.ListGroupsResponseSchema),
  SaslHandshake: defineApi("SaslHandshake", messages.SaslHandshakeRequestSchema, messages.SaslHandshakeResponseSchema),
  ApiVersions: defineApi("ApiVersions", messages.ApiVersionsRequestSchema, messages.ApiVersionsResponseSchema),
  CreateTopics: defineApi("CreateTopics", messages.CreateTopicsRequestSchema, messages.CreateTopicsResponseSchema),
  DeleteTopics: defineApi("DeleteTopics", messages.DeleteTopicsRequestSchema, messages.DeleteTopicsResponseSchema),
  DeleteRecords: defineApi("DeleteRecords", messages.DeleteRecordsRequestSchema, messages.DeleteRecordsResponseSchema),
  InitProducerId: defineApi(
    "InitProducerId",
    messages.InitProducerIdRequestSchema,
    messages.InitProducerIdResponseSchema,
  ),
  OffsetForLeaderEpoch: defineApi(
    "OffsetForLeaderEpoch",
    messages.OffsetForLeaderEpochRequestSchema,
    messages.OffsetForLeaderEpochResponseSchema,
  ),
  AddPartitionsToTxn: defineApi(
    "AddPartitionsToTxn",
    messages.AddPartitionsToTxnRequestSchema,
    messages.AddPartitionsToTxnResponseSchema,
  ),
  AddOffsetsToTxn: defineApi(
    "AddOffsetsToTxn",
    messages.AddOffsetsToTxnRequestSchema,
    messages.AddOffsetsToTxnResponseSchema,
  ),
  EndTxn: defineApi("EndTxn", messages.EndTxnRequestSchema, messages.EndTxnResponseSchema),
  WriteTxnMarkers: defineApi(
    "WriteTxnMarkers",
    messages.WriteTxnMarkersRequestSchema,
    messages.WriteTxnMarkersResponseSchema,
  ),
  TxnOffsetCommit: defineApi(
    "TxnOffsetCommit",
    messages.TxnOffsetCommitRequestSchema,
    messages.TxnOffsetCommitResponseSchema,
  ),
  DescribeConfigs: defineApi(
    "DescribeConfigs",
    messages.DescribeConfigsRequestSchema,
    messages.DescribeConfigsResponseSchema,
  ),
  AlterConfigs: defineApi("AlterConfigs", messages.AlterConfigsRequestSchema, messages.AlterConfigsResponseSchema),
  DescribeLogDirs: defineApi(
    "DescribeLogDirs",
    messages.DescribeLogDirsRequestSchema,
    messages.DescribeLogDirsResponseSchema,
  ),
  SaslAuthenticate: defineApi(
    "SaslAuthenticate",
    messages.SaslAuthenticateRequestSchema,
    messages.SaslAuthenticateResponseSchema,
  ),
  CreatePartitions: defineApi(
    "CreatePartitions",
    messages.CreatePartitionsRequestSchema,
    messages.CreatePartitionsResponseSchema,
  ),
  DeleteGroups: defineApi("DeleteGroups", messages.DeleteGroupsRequestSchema, messages.DeleteGroupsResponseSchema),
  ElectLeaders: defineApi("ElectLeaders", messages.ElectLeadersRequestSchema, messages.ElectLeadersResponseSchema),
  IncrementalAlterConfigs: defineApi(
    "IncrementalAlterConfigs",
    messages.IncrementalAlterConfigsRequestSchema,
    messages.IncrementalAlterConfigsResponseSchema,
  ),
  AlterPartitionReassignments: defineApi(
    "AlterPartitionReassignments",
    messages.AlterPartitionReassignmentsRequestSchema,
    messages.AlterPartitionReassignmentsResponseSchema,
  ),
  ListPartitionReassignments: defineApi(
    "ListPartitionReassignments",
    messages.ListPartitionReassignmentsRequestSchema,
    messages.ListPartitionReassignmentsResponseSchema,
  ),
  Vote: defineApi("Vote", messages.VoteRequestSchema, messages.VoteResponseSchema),
  BeginQuorumEpoch: defineApi(
    "BeginQuorumEpoch",
    messages.BeginQuorumEpochRequestSchema,
    messages.BeginQuorumEpochResponseSchema,
  ),
  EndQuorumEpoch: defineApi(
    "EndQuorumEpoch",
    messages.EndQuorumEpochRequestSchema,
    messages.EndQuorumEpochResponseSchema,
  ),
  DescribeQuorum: defineApi(
    "DescribeQuorum",
    messages.DescribeQuorumRequestSchema,
    messages.DescribeQuorumResponseSchema,
  ),
  AlterPartition: defineApi(
    "AlterPartition",
    messages.AlterPartitionRequestSchema,
    messages.AlterPartitionResponseSchema,
  ),
  DescribeCluster: defineApi(
    "DescribeCluster",
    messages.DescribeClusterRequestSchema,
    messages.DescribeClusterResponseSchema,
  ),
  BrokerRegistration: defineApi(
    "BrokerRegistration",
    messages.BrokerRegistrationRequestSchema,
    messages.BrokerRegistrationResponseSchema,
  ),
  BrokerHeartbeat: defineApi(
    "BrokerHeartbeat",
    messages.BrokerHeartbeatRequestSchema,
    messages.BrokerHeartbeatResponseSchema,
  ),
  AllocateProducerIds: defineApi(
    "AllocateProducerIds",
    messages.AllocateProducerIdsRequestSchema,
    messages.AllocateProducerIdsResponseSchema,
  ),
  ConsumerGroupHeartbeat: defineApi(
    "ConsumerGroupHeartbeat",
    messages.ConsumerGroupHeartbeatRequestSchema,
    messages.ConsumerGroupHeartbeatResponseSchema,
  ),
  ConsumerGroupDescribe: defineApi(
    "ConsumerGroupDescribe",
    messages.ConsumerGroupDescribeRequestSchema,
    messages.ConsumerGroupDescribeResponseSchema,
  ),
  // biome-ignore lint/suspicious/noExplicitAny: each entry has its own request and response types
} as const satisfies Record<ApiName, ApiDefinition<any, any>>;

/** All known APIs, ordered by key (ApiVersions advertises the served ones in this order). */
export const API_LIST: readonly ApiDefinition[] = Object.values(Apis).sort((a, b) => a.apiKey - b.apiKey);

const apisByKey = new Map<number, ApiDefinition>(API_LIST.map((api) => [api.apiKey, api]));

export function apiByKey(apiKey: number): ApiDefinition | undefined {
  return apisByKey.get(apiKey);
}

export function isSupportedVersion(apiKey: number, version: number): boolean {
  const api = apisByKey.get(apiKey);
  return api !== undefined && version >= api.minVersion && version <= api.maxVersion;
}

/**
 * Follows the spec's flexibleVersions even beyond the advertised range, so a request of a newer
 * version still has its header parsed right (needed to answer UNSUPPORTED_VERSION).
 */
export function isFlexible(apiKey: number, version: number): boolean {
  const api = apisByKey.get(apiKey);
  return api !== undefined && versionInRange(api.requestSchema.flexibleVersions, version);
}

export function requestHeaderVersion(apiKey: number, version: number): 1 | 2 {
  return isFlexible(apiKey, version) ? 2 : 1;
}

export function responseHeaderVersion(apiKey: number, version: number): 0 | 1 {
  // ApiVersions responses keep header v0 so clients can read them before knowing our versions.
  if (apiKey === ApiKeys.ApiVersions) return 0;
  return isFlexible(apiKey, version) ? 1 : 0;
}
