// The kafkajs types that producer, consumer and admin share, declared once with kafkajs's names
// and shapes (node_modules/kafkajs/types/index.d.ts), so an app typed against kafkajs compiles
// against this client unchanged. Declared rather than imported: kafkajs is only a development
// dependency.

export interface IHeaders {
  [key: string]: Buffer | string | (Buffer | string)[] | undefined;
}

/** Partition metadata as kafkajs's Cluster and admin report it. */
export interface PartitionMetadata {
  partitionErrorCode: number;
  partitionId: number;
  leader: number;
  replicas: number[];
  isr: number[];
  offlineReplicas?: number[];
}

export interface PartitionOffset {
  partition: number;
  offset: string;
}

export interface TopicOffsets {
  topic: string;
  partitions: PartitionOffset[];
}

export interface Offsets {
  topics: TopicOffsets[];
}

export type TopicPartitions = { topic: string; partitions: number[] };

export type MemberDescription = {
  clientHost: string;
  clientId: string;
  memberId: string;
  memberAssignment: Buffer;
  memberMetadata: Buffer;
};

export type ConsumerGroupState = "Unknown" | "PreparingRebalance" | "CompletingRebalance" | "Stable" | "Dead" | "Empty";

export type GroupDescription = {
  groupId: string;
  members: MemberDescription[];
  protocol: string;
  protocolType: string;
  state: ConsumerGroupState;
  /** The group's error code; kafkajs returns it too, though its declarations omit it. */
  errorCode?: number;
};

/** The SASL mechanisms this client speaks, named as kafkajs names them. */
export type SASLMechanism = "plain" | "scram-sha-256" | "scram-sha-512";

/** kafkajs's `sasl` option for these mechanisms: every connection authenticates with it. */
export interface SASLOptions {
  mechanism: SASLMechanism;
  username: string;
  password: string;
}

export interface InstrumentationEvent<T> {
  id: string;
  type: string;
  timestamp: number;
  payload: T;
}

/** kafkajs names the event in the type parameter; the remover itself takes nothing. */
export type RemoveInstrumentationEventListener<_EventName> = () => void;

export type ConnectEvent = InstrumentationEvent<null>;
export type DisconnectEvent = InstrumentationEvent<null>;

/** What every network event says about its request. */
export interface RequestDescription {
  apiKey: number;
  apiName: string;
  apiVersion: number;
  broker: string;
  clientId: string;
  correlationId: number;
  createdAt: number;
  pendingDuration: number;
  sentAt: number;
}

/** A request answered: `duration` from sent to answered, `size` of the response in bytes. */
export type RequestEvent = InstrumentationEvent<RequestDescription & { duration: number; size: number }>;
export type RequestTimeoutEvent = InstrumentationEvent<RequestDescription>;
export type RequestQueueSizeEvent = InstrumentationEvent<{
  broker: string;
  clientId: string;
  queueSize: number;
}>;
