// The admin's public types, named and shaped as kafkajs 2.2.4 declares them, so app code written
// against kafkajs's Admin compiles against ours, and kafkajs's Admin satisfies ours (the factory
// hands out either). Where kafkajs's declarations and its runtime disagree (createPartitions
// resolves undefined; describeConfigs has no throttleTime; clusterId may be null), these types
// admit what both clients actually return.
import type { KafkaJSProtocolError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { RetryOptions } from "../retry.ts";

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

export interface PartitionMetadata {
  partitionErrorCode: number;
  partitionId: number;
  leader: number;
  replicas: number[];
  isr: number[];
  offlineReplicas?: number[];
}

export interface ITopicMetadata {
  name: string;
  partitions: PartitionMetadata[];
}

export interface PartitionOffset {
  partition: number;
  offset: string;
}

export type SeekEntry = PartitionOffset;

export type FetchOffsetsPartition = PartitionOffset & { metadata: string | null };

export const ConfigResourceTypes = { UNKNOWN: 0, TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8 } as const;
export type ConfigResourceType = (typeof ConfigResourceTypes)[keyof typeof ConfigResourceTypes];

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

export interface MemberDescription {
  memberId: string;
  clientId: string;
  clientHost: string;
  memberMetadata: Buffer;
  memberAssignment: Buffer;
}

export type ConsumerGroupState = "Unknown" | "PreparingRebalance" | "CompletingRebalance" | "Stable" | "Dead" | "Empty";

export interface GroupDescription {
  /** Always present (kafkajs returns it too), though kafkajs's declarations omit it. */
  errorCode?: number;
  groupId: string;
  state: ConsumerGroupState;
  protocolType: string;
  protocol: string;
  members: MemberDescription[];
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

export interface InstrumentationEvent<T> {
  id: string;
  type: string;
  timestamp: number;
  payload: T;
}

export type RemoveInstrumentationEventListener<T> = () => void;

export type ConnectEvent = InstrumentationEvent<null>;
export type DisconnectEvent = InstrumentationEvent<null>;

export interface Admin {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  listTopics(): Promise<string[]>;
  createTopics(options: { validateOnly?: boolean; waitForLeaders?: boolean; timeout?: number; topics: ITopicConfig[] }): Promise<boolean>;
  deleteTopics(options: { topics: string[]; timeout?: number }): Promise<void>;
  createPartitions(options: { validateOnly?: boolean; timeout?: number; topicPartitions: ITopicPartitionConfig[] }): Promise<boolean | void>;
  fetchTopicMetadata(options?: { topics: string[] }): Promise<{ topics: ITopicMetadata[] }>;
  fetchOffsets(options: { groupId: string; topics?: string[]; resolveOffsets?: boolean }): Promise<Array<{ topic: string; partitions: FetchOffsetsPartition[] }>>;
  fetchTopicOffsets(topic: string): Promise<Array<SeekEntry & { high: string; low: string }>>;
  fetchTopicOffsetsByTimestamp(topic: string, timestamp?: number): Promise<SeekEntry[]>;
  describeCluster(): Promise<{ brokers: Array<{ nodeId: number; host: string; port: number }>; controller: number | null; clusterId: string | null }>;
  setOffsets(options: { groupId: string; topic: string; partitions: SeekEntry[] }): Promise<void>;
  resetOffsets(options: { groupId: string; topic: string; earliest: boolean }): Promise<void>;
  describeConfigs(configs: { resources: ResourceConfigQuery[]; includeSynonyms: boolean }): Promise<DescribeConfigResponse>;
  listGroups(): Promise<{ groups: GroupOverview[] }>;
  deleteGroups(groupIds: string[]): Promise<DeleteGroupsResult[]>;
  describeGroups(groupIds: string[]): Promise<GroupDescriptions>;
  logger(): Logger;
  on(eventName: AdminEvents["CONNECT"], listener: (event: ConnectEvent) => void): RemoveInstrumentationEventListener<typeof eventName>;
  on(eventName: AdminEvents["DISCONNECT"], listener: (event: DisconnectEvent) => void): RemoveInstrumentationEventListener<typeof eventName>;
  on(eventName: AdminEventName, listener: (event: InstrumentationEvent<any>) => void): RemoveInstrumentationEventListener<typeof eventName>;
  readonly events: AdminEvents;
}
