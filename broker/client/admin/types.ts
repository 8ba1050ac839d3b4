// The admin's public types, named and shaped as kafkajs 2.2.4 declares them, so app code written
// against kafkajs's Admin compiles against ours, and kafkajs's Admin satisfies ours (the factory
// hands out either). Where kafkajs's declarations and its runtime disagree (createPartitions
// resolves undefined; describeConfigs has no throttleTime; clusterId may be null), these types
// admit what both clients actually return.
import type { KafkaJSProtocolError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { RetryOptions } from "../retry.ts";
import type {
  ConnectEvent,
  DisconnectEvent,
  GroupDescription,
  InstrumentationEvent,
  PartitionMetadata,
  PartitionOffset,
  RemoveInstrumentationEventListener,
  RequestEvent,
  RequestQueueSizeEvent,
  RequestTimeoutEvent,
  TopicPartitions,
} from "../types.ts";

export interface AdminConfig {
  retry?: RetryOptions;
}

export interface ReplicaAssignment {
  partition: number;
  replicas: number[];
}

export interface IResourceConfigEntry {
  name: string;
  value: string;
}

export interface ITopicConfig {
  topic: string;
  numPartitions?: number;
  replicationFactor?: number;
  replicaAssignment?: ReplicaAssignment[];
  configEntries?: IResourceConfigEntry[];
}

export interface ITopicPartitionConfig {
  topic: string;
  count: number;
  assignments?: number[][];
}

export interface ITopicMetadata {
  name: string;
  partitions: PartitionMetadata[];
}

export type SeekEntry = PartitionOffset;

export type FetchOffsetsPartition = PartitionOffset & { metadata: string | null };

// kafkajs's enums, as objects of constants with a type of the same name (the union of their
// values), so `ConfigResourceTypes.TOPIC` and `type: ConfigResourceTypes` both read as in kafkajs.

export const ConfigResourceTypes = { UNKNOWN: 0, TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8 } as const;
export type ConfigResourceType = (typeof ConfigResourceTypes)[keyof typeof ConfigResourceTypes];
export type ConfigResourceTypes = ConfigResourceType;

export const ConfigSource = {
  UNKNOWN: 0,
  TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  DYNAMIC_BROKER_LOGGER_CONFIG: 6,
} as const;
export type ConfigSourceValue = (typeof ConfigSource)[keyof typeof ConfigSource];
export type ConfigSource = ConfigSourceValue;

export const AclResourceTypes = {
  UNKNOWN: 0,
  ANY: 1,
  TOPIC: 2,
  GROUP: 3,
  CLUSTER: 4,
  TRANSACTIONAL_ID: 5,
  DELEGATION_TOKEN: 6,
} as const;
export type AclResourceTypes = (typeof AclResourceTypes)[keyof typeof AclResourceTypes];

export const AclPermissionTypes = { UNKNOWN: 0, ANY: 1, DENY: 2, ALLOW: 3 } as const;
export type AclPermissionTypes = (typeof AclPermissionTypes)[keyof typeof AclPermissionTypes];

export const AclOperationTypes = {
  UNKNOWN: 0,
  ANY: 1,
  ALL: 2,
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
} as const;
export type AclOperationTypes = (typeof AclOperationTypes)[keyof typeof AclOperationTypes];

export const ResourcePatternTypes = { UNKNOWN: 0, ANY: 1, MATCH: 2, LITERAL: 3, PREFIXED: 4 } as const;
export type ResourcePatternTypes = (typeof ResourcePatternTypes)[keyof typeof ResourcePatternTypes];

/** What alterConfigs resolves with: every resource altered (a refused one rejects the call). */
export interface AlterConfigResponse {
  resources: Array<{
    errorCode: number;
    errorMessage: string | null;
    resourceType: ConfigResourceType;
    resourceName: string;
  }>;
}

export interface IResourceConfig {
  type: ConfigResourceType;
  name: string;
  configEntries: IResourceConfigEntry[];
}

export interface Acl {
  principal: string;
  host: string;
  operation: AclOperationTypes;
  permissionType: AclPermissionTypes;
}

export interface AclResource {
  resourceType: AclResourceTypes;
  resourceName: string;
  resourcePatternType: ResourcePatternTypes;
}

export type AclEntry = Acl & AclResource;

export type DescribeAclResource = AclResource & { acls: Acl[] };

export interface DescribeAclResponse {
  throttleTime: number;
  errorCode: number;
  errorMessage?: string;
  resources: DescribeAclResource[];
}

export interface AclFilter {
  resourceType: AclResourceTypes;
  resourceName?: string;
  resourcePatternType: ResourcePatternTypes;
  principal?: string;
  host?: string;
  operation: AclOperationTypes;
  permissionType: AclPermissionTypes;
}

export interface MatchingAcl {
  errorCode: number;
  errorMessage?: string;
  resourceType: AclResourceTypes;
  resourceName: string;
  resourcePatternType: ResourcePatternTypes;
  principal: string;
  host: string;
  operation: AclOperationTypes;
  permissionType: AclPermissionTypes;
}

export interface DeleteAclFilterResponses {
  errorCode: number;
  errorMessage?: string;
  matchingAcls: MatchingAcl[];
}

export interface DeleteAclResponse {
  throttleTime: number;
  filterResponses: DeleteAclFilterResponses[];
}

export interface PartitionReassignment {
  topic: string;
  partitionAssignment: ReplicaAssignment[];
}

export interface OngoingPartitionReassignment {
  partitionIndex: number;
  replicas: number[];
  addingReplicas?: number[];
  removingReplicas?: number[];
}

export interface OngoingTopicReassignment {
  topic: string;
  partitions: OngoingPartitionReassignment[];
}

export interface ListPartitionReassignmentsResponse {
  topics: OngoingTopicReassignment[];
}

export interface ResourceConfigQuery {
  type: ConfigResourceType;
  name: string;
  configNames?: string[];
}

export interface ConfigSynonyms {
  configName: string;
  configValue: string;
  configSource: ConfigSourceValue;
}

export interface ConfigEntries {
  configName: string;
  configValue: string;
  isDefault: boolean;
  configSource: ConfigSourceValue;
  isSensitive: boolean;
  readOnly: boolean;
  /** Empty when the broker answers DescribeConfigs v0, which has no synonyms. */
  configSynonyms: ConfigSynonyms[];
}

export interface DescribeConfigResponse {
  resources: {
    configEntries: ConfigEntries[];
    errorCode: number;
    errorMessage: string | null;
    resourceName: string;
    resourceType: ConfigResourceType;
  }[];
}

export interface GroupOverview {
  groupId: string;
  protocolType: string;
}

export interface GroupDescriptions {
  groups: GroupDescription[];
}

export interface DeleteGroupsResult {
  groupId: string;
  errorCode?: number;
  error?: KafkaJSProtocolError;
}

export type AdminEvents = {
  CONNECT: "admin.connect";
  DISCONNECT: "admin.disconnect";
  REQUEST: "admin.network.request";
  REQUEST_TIMEOUT: "admin.network.request_timeout";
  REQUEST_QUEUE_SIZE: "admin.network.request_queue_size";
};

export type AdminEventName = AdminEvents[keyof AdminEvents];

export interface Admin {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  listTopics(): Promise<string[]>;
  createTopics(options: {
    validateOnly?: boolean;
    waitForLeaders?: boolean;
    timeout?: number;
    topics: ITopicConfig[];
  }): Promise<boolean>;
  deleteTopics(options: { topics: string[]; timeout?: number }): Promise<void>;
  createPartitions(options: {
    validateOnly?: boolean;
    timeout?: number;
    topicPartitions: ITopicPartitionConfig[];
    // biome-ignore lint/suspicious/noConfusingVoidType: kafkajs types it Promise<boolean> and resolves with nothing; both must fit
  }): Promise<boolean | void>;
  fetchTopicMetadata(options?: { topics: string[] }): Promise<{ topics: ITopicMetadata[] }>;
  fetchOffsets(options: {
    groupId: string;
    topics?: string[];
    resolveOffsets?: boolean;
  }): Promise<Array<{ topic: string; partitions: FetchOffsetsPartition[] }>>;
  fetchTopicOffsets(topic: string): Promise<Array<SeekEntry & { high: string; low: string }>>;
  fetchTopicOffsetsByTimestamp(topic: string, timestamp?: number): Promise<SeekEntry[]>;
  describeCluster(): Promise<{
    brokers: Array<{ nodeId: number; host: string; port: number }>;
    controller: number | null;
    clusterId: string | null;
  }>;
  setOffsets(options: { groupId: string; topic: string; partitions: SeekEntry[] }): Promise<void>;
  resetOffsets(options: { groupId: string; topic: string; earliest: boolean }): Promise<void>;
  describeConfigs(configs: {
    resources: ResourceConfigQuery[];
    includeSynonyms: boolean;
  }): Promise<DescribeConfigResponse>;
  alterConfigs(configs: { validateOnly: boolean; resources: IResourceConfig[] }): Promise<AlterConfigResponse>;
  listGroups(): Promise<{ groups: GroupOverview[] }>;
  deleteGroups(groupIds: string[]): Promise<DeleteGroupsResult[]>;
  describeGroups(groupIds: string[]): Promise<GroupDescriptions>;
  /** Not implemented (rejects with KafkaJSNotImplemented): the bundled broker has no ACL APIs. */
  describeAcls(options: AclFilter): Promise<DescribeAclResponse>;
  /** Not implemented (rejects with KafkaJSNotImplemented): the bundled broker has no ACL APIs. */
  deleteAcls(options: { filters: AclFilter[] }): Promise<DeleteAclResponse>;
  /** Not implemented (rejects with KafkaJSNotImplemented): the bundled broker has no ACL APIs. */
  createAcls(options: { acl: AclEntry[] }): Promise<boolean>;
  /** Not implemented (rejects with KafkaJSNotImplemented): the bundled broker has no DeleteRecords API. */
  deleteTopicRecords(options: { topic: string; partitions: SeekEntry[] }): Promise<void>;
  /** Not implemented (rejects with KafkaJSNotImplemented): the bundled broker has no AlterPartitionReassignments API. */
  alterPartitionReassignments(request: { topics: PartitionReassignment[]; timeout?: number }): Promise<void>;
  /** Not implemented (rejects with KafkaJSNotImplemented): the bundled broker has no ListPartitionReassignments API. */
  listPartitionReassignments(request: {
    topics?: TopicPartitions[];
    timeout?: number;
  }): Promise<ListPartitionReassignmentsResponse>;
  logger(): Logger;
  on(
    eventName: AdminEvents["CONNECT"],
    listener: (event: ConnectEvent) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  on(
    eventName: AdminEvents["DISCONNECT"],
    listener: (event: DisconnectEvent) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  on(
    eventName: AdminEvents["REQUEST"],
    listener: (event: RequestEvent) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  on(
    eventName: AdminEvents["REQUEST_QUEUE_SIZE"],
    listener: (event: RequestQueueSizeEvent) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  on(
    eventName: AdminEvents["REQUEST_TIMEOUT"],
    listener: (event: RequestTimeoutEvent) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  on(
    eventName: AdminEventName,
    // biome-ignore lint/suspicious/noExplicitAny: kafkajs's own signature, kept for drop-in compatibility
    listener: (event: InstrumentationEvent<any>) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  readonly events: AdminEvents;
}
