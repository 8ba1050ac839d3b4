// The consumer's public types, shaped after kafkajs's type definitions so an app typed against
// kafkajs compiles against this client unchanged. Declared here rather than imported, because
// kafkajs is only a development dependency.
import type { Logger } from "../logger.ts";
import type { RetryOptions } from "../retry.ts";
import type {
  ConnectEvent,
  DisconnectEvent,
  GroupDescription,
  IHeaders,
  InstrumentationEvent,
  Offsets,
  PartitionMetadata,
  RemoveInstrumentationEventListener,
  RequestEvent,
  RequestQueueSizeEvent,
  RequestTimeoutEvent,
  TopicOffsets,
  TopicPartitions,
} from "../types.ts";

/** A record from a record batch (magic 2), the only format this client reads. */
export interface KafkaMessage {
  key: Buffer | null;
  value: Buffer | null;
  timestamp: string;
  attributes: number;
  offset: string;
  headers: IHeaders;
  size?: never;
}

export type Assignment = { [topic: string]: number[] };
export type GroupMember = { memberId: string; memberMetadata: Buffer };
export type GroupMemberAssignment = { memberId: string; memberAssignment: Buffer };
export type GroupState = { name: string; metadata: Buffer };

/** Java's rebalance protocols: EAGER revokes everything at each rebalance, COOPERATIVE (KIP-429) only what moves. */
export type RebalanceProtocol = "EAGER" | "COOPERATIVE";

/** What a member owns when it (re)joins; kafkajs's assigners ignore it. */
export type OwnedSubscription = { ownedPartitions?: { topic: string; partitions: number[] }[]; generationId?: number };

export type Assigner = {
  name: string;
  version: number;
  assign(group: { members: GroupMember[]; topics: string[] }): Promise<GroupMemberAssignment[]>;
  protocol(subscription: { topics: string[] } & OwnedSubscription): GroupState;
  /** Our extension, Java's supportedProtocols(); EAGER only when left out (as every kafkajs assigner). */
  supportedProtocols?: RebalanceProtocol[];
};

/** The part of kafkajs's Cluster that partition assigners use. */
export interface AssignerCluster {
  findTopicPartitionMetadata(topic: string): PartitionMetadata[];
  getNodeIds(): number[];
  refreshMetadata(): Promise<void>;
}

export type PartitionAssigner = (config: { cluster: AssignerCluster; groupId: string; logger: Logger }) => Assigner;

export type MemberMetadata = { version: number; topics: string[]; userData: Buffer };
export type MemberAssignment = { version: number; assignment: Assignment; userData: Buffer };

export interface ISerializer<T> {
  encode(value: T): Buffer;
  decode(buffer: Buffer): T | null;
}

export interface ConsumerConfig {
  /** Required for group consumption; a standalone consumer (see `assign`) may leave it empty. */
  groupId: string;
  partitionAssigners?: PartitionAssigner[];
  metadataMaxAge?: number;
  sessionTimeout?: number;
  rebalanceTimeout?: number;
  heartbeatInterval?: number;
  maxBytesPerPartition?: number;
  minBytes?: number;
  maxBytes?: number;
  maxWaitTimeInMs?: number;
  retry?: RetryOptions & { restartOnFailure?: (err: Error) => Promise<boolean> };
  allowAutoTopicCreation?: boolean;
  /** Accepted for kafkajs compatibility; requests are pipelined without a cap. */
  maxInFlightRequests?: number;
  readUncommitted?: boolean;
  rackId?: string;
  /**
   * Our extension (kafkajs has none), Java's `group.instance.id`: makes this consumer a static
   * member (KIP-345). Each member of the group needs its own id, kept across restarts. A static
   * member sends no LeaveGroup when it stops or disconnects (as Java's consumer): the group keeps
   * its place and its partitions until `sessionTimeout` runs out, so a consumer that restarts
   * with the same id within it gets the same partitions back and the others do not rebalance.
   * A consumer whose id another instance has taken over is fenced (FENCED_INSTANCE_ID): it crashes
   * and does not restart. Letters, digits, ".", "_" and "-", at most 249 characters.
   */
  groupInstanceId?: string;
  /**
   * Our extension (kafkajs has none), Java's `group.protocol`: "classic" (the default: JoinGroup
   * and SyncGroup, the assignment computed by a member with `partitionAssigners`) or "consumer"
   * (KIP-848: the member heartbeats with ConsumerGroupHeartbeat and the broker computes the
   * assignment, moving partitions one member at a time; there is no group-wide pause). With
   * "consumer", `partitionAssigners` and `sessionTimeout` are not used (the broker's
   * group.consumer.session.timeout.ms applies), the heartbeat interval is the broker's, rebalancing
   * is incremental (PARTITIONS_REVOKED names only what moves, after committing it), and a
   * subscription names topics: a RegExp is matched once at subscribe(), as in kafkajs, and the
   * matching names are sent. A group id is either a classic group or a consumer group.
   */
  groupProtocol?: "classic" | "consumer";
  /**
   * Our extension, Java's `group.remote.assignor`: with groupProtocol "consumer", the broker-side
   * assignor to use ("uniform" or "range" on this broker); left out, the broker's default.
   */
  groupRemoteAssignor?: string;
  /**
   * Our extension (kafkajs has none), Java's `max.poll.interval.ms` (KIP-62), in ms; left out,
   * there is no limit (kafkajs's behaviour). Heartbeats run on their own timer, so a handler that
   * hangs would otherwise keep its partitions for ever. When one eachMessage or eachBatch call has
   * run longer than this, the member leaves the group as Java's consumer does: its heartbeats stop,
   * it sends LeaveGroup with the reason "consumer poll timeout has expired…" (with groupProtocol
   * "consumer": a heartbeat with member epoch -1), and the group hands its partitions to the others.
   * When the call returns, nothing of the lost generation is committed (its partitions are revoked
   * as "lost") and the member joins again as a new member, from the committed offsets. A static
   * member (groupInstanceId) sends no LeaveGroup, as in Java: it only gives up its generation.
   */
  maxPollInterval?: number;
}

export type TopicPartition = { topic: string; partition: number };
export type TopicPartitionOffset = TopicPartition & { offset: string };
export type TopicPartitionOffsetAndMetadata = TopicPartitionOffset & { metadata?: string | null };

export interface OffsetsByTopicPartition {
  topics: TopicOffsets[];
}

export type Batch = {
  topic: string;
  partition: number;
  highWatermark: string;
  messages: KafkaMessage[];
  isEmpty(): boolean;
  firstOffset(): string | null;
  lastOffset(): string;
  offsetLag(): string;
  offsetLagLow(): string;
};

export interface EachMessagePayload {
  topic: string;
  partition: number;
  message: KafkaMessage;
  heartbeat(): Promise<void>;
  pause(): () => void;
}

export interface EachBatchPayload {
  batch: Batch;
  resolveOffset(offset: string): void;
  heartbeat(): Promise<void>;
  pause(): () => void;
  commitOffsetsIfNecessary(offsets?: Offsets): Promise<void>;
  uncommittedOffsets(): OffsetsByTopicPartition;
  isRunning(): boolean;
  isStale(): boolean;
}

export type EachBatchHandler = (payload: EachBatchPayload) => Promise<void>;
export type EachMessageHandler = (payload: EachMessagePayload) => Promise<void>;

export type ConsumerRunConfig = {
  autoCommit?: boolean;
  autoCommitInterval?: number | null;
  autoCommitThreshold?: number | null;
  eachBatchAutoResolve?: boolean;
  partitionsConsumedConcurrently?: number;
  eachBatch?: EachBatchHandler;
  eachMessage?: EachMessageHandler;
};

export type ConsumerSubscribeTopic = { topic: string | RegExp; fromBeginning?: boolean };
export type ConsumerSubscribeTopics = { topics: (string | RegExp)[]; fromBeginning?: boolean };

/** Our extension: the partitions a standalone consumer reads (see Consumer.assign). */
export type StandaloneAssignment = { topic: string; partitions: number[]; fromBeginning?: boolean };

export type ConsumerEvents = {
  HEARTBEAT: "consumer.heartbeat";
  COMMIT_OFFSETS: "consumer.commit_offsets";
  GROUP_JOIN: "consumer.group_join";
  FETCH_START: "consumer.fetch_start";
  FETCH: "consumer.fetch";
  START_BATCH_PROCESS: "consumer.start_batch_process";
  END_BATCH_PROCESS: "consumer.end_batch_process";
  CONNECT: "consumer.connect";
  DISCONNECT: "consumer.disconnect";
  STOP: "consumer.stop";
  CRASH: "consumer.crash";
  REBALANCING: "consumer.rebalancing";
  RECEIVED_UNSUBSCRIBED_TOPICS: "consumer.received_unsubscribed_topics";
  REQUEST: "consumer.network.request";
  REQUEST_TIMEOUT: "consumer.network.request_timeout";
  REQUEST_QUEUE_SIZE: "consumer.network.request_queue_size";
  /** Our extension: partitions this member now owns. */
  PARTITIONS_ASSIGNED: "consumer.partitions_assigned";
  /** Our extension: partitions this member no longer owns. */
  PARTITIONS_REVOKED: "consumer.partitions_revoked";
};

export type ConsumerHeartbeatEvent = InstrumentationEvent<{
  groupId: string;
  memberId: string;
  groupGenerationId: number;
}>;
export type ConsumerCommitOffsetsEvent = InstrumentationEvent<{
  groupId: string;
  memberId: string;
  groupGenerationId: number;
  topics: TopicOffsets[];
}>;
export interface IMemberAssignment {
  [key: string]: number[];
}
export type ConsumerGroupJoinEvent = InstrumentationEvent<{
  duration: number;
  groupId: string;
  isLeader: boolean;
  leaderId: string;
  groupProtocol: string;
  memberId: string;
  memberAssignment: IMemberAssignment;
}>;
export type ConsumerFetchStartEvent = InstrumentationEvent<{ nodeId: number }>;
export type ConsumerFetchEvent = InstrumentationEvent<{ numberOfBatches: number; duration: number; nodeId: number }>;
export interface IBatchProcessEvent {
  topic: string;
  partition: number;
  highWatermark: string;
  offsetLag: string;
  offsetLagLow: string;
  batchSize: number;
  firstOffset: string;
  lastOffset: string;
}
export type ConsumerStartBatchProcessEvent = InstrumentationEvent<IBatchProcessEvent>;
export type ConsumerEndBatchProcessEvent = InstrumentationEvent<IBatchProcessEvent & { duration: number }>;
export type ConsumerCrashEvent = InstrumentationEvent<{ error: Error; groupId: string; restart: boolean }>;
export type ConsumerRebalancingEvent = InstrumentationEvent<{ groupId: string; memberId: string }>;
/**
 * Why an assignment changed. Assigned: "join" (the run's first generation), "rebalance" (a later
 * one). Revoked: "rebalance" (eager: all of them, before rejoining; cooperative: the ones the new
 * assignment moves elsewhere, committed first), "lost" (the group no longer counts this member or
 * its generation: nothing is committed), "stop" (the consumer stops, or gives up after errors).
 */
export type AssignmentChangeReason = "join" | "rebalance" | "lost" | "stop";
/** Our extension: PARTITIONS_ASSIGNED and PARTITIONS_REVOKED, for a timeline of who owned what. */
export type ConsumerPartitionsChangedEvent = InstrumentationEvent<{
  groupId: string;
  memberId: string;
  /** The generation the change belongs to: the new one when assigned, the one left (or moved on from) when revoked. */
  generationId: number;
  rebalanceProtocol: RebalanceProtocol;
  reason: AssignmentChangeReason;
  partitions: TopicPartitions[];
  /** The error that ended the generation, when one did. */
  cause?: string;
}>;
export type ConsumerReceivedUnsubcribedTopicsEvent = InstrumentationEvent<{
  groupId: string;
  generationId: number;
  memberId: string;
  assignedTopics: string[];
  topicsSubscribed: string[];
  topicsNotSubscribed: string[];
}>;

export type Consumer = {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  subscribe(subscription: ConsumerSubscribeTopics | ConsumerSubscribeTopic): Promise<void>;
  /**
   * Our extension (kafkajs has none): consume exactly these partitions without joining a group —
   * no JoinGroup, no heartbeats. Call before run(), instead of subscribe(). With a groupId, start
   * positions come from the group's committed offsets and commits are made outside any generation
   * (generation -1, member id ""), which a broker accepts while the group has no members.
   */
  assign(topicPartitions: StandaloneAssignment[]): void;
  stop(): Promise<void>;
  run(config?: ConsumerRunConfig): Promise<void>;
  commitOffsets(topicPartitions: Array<TopicPartitionOffsetAndMetadata>): Promise<void>;
  seek(topicPartitionOffset: TopicPartitionOffset): void;
  describeGroup(): Promise<GroupDescription>;
  pause(topics: Array<{ topic: string; partitions?: number[] }>): void;
  paused(): TopicPartitions[];
  resume(topics: Array<{ topic: string; partitions?: number[] }>): void;
  on(
    eventName: ConsumerEvents["HEARTBEAT"],
    listener: (event: ConsumerHeartbeatEvent) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  on(
    eventName: ConsumerEvents["COMMIT_OFFSETS"],
    listener: (event: ConsumerCommitOffsetsEvent) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  on(
    eventName: ConsumerEvents["GROUP_JOIN"],
    listener: (event: ConsumerGroupJoinEvent) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  on(
    eventName: ConsumerEvents["FETCH_START"],
    listener: (event: ConsumerFetchStartEvent) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  on(
    eventName: ConsumerEvents["FETCH"],
    listener: (event: ConsumerFetchEvent) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  on(
    eventName: ConsumerEvents["START_BATCH_PROCESS"],
    listener: (event: ConsumerStartBatchProcessEvent) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  on(
    eventName: ConsumerEvents["END_BATCH_PROCESS"],
    listener: (event: ConsumerEndBatchProcessEvent) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  on(
    eventName: ConsumerEvents["CONNECT"],
    listener: (event: ConnectEvent) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  on(
    eventName: ConsumerEvents["DISCONNECT"],
    listener: (event: DisconnectEvent) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  on(
    eventName: ConsumerEvents["STOP"],
    listener: (event: InstrumentationEvent<null>) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  on(
    eventName: ConsumerEvents["CRASH"],
    listener: (event: ConsumerCrashEvent) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  on(
    eventName: ConsumerEvents["REBALANCING"],
    listener: (event: ConsumerRebalancingEvent) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  on(
    eventName: ConsumerEvents["RECEIVED_UNSUBSCRIBED_TOPICS"],
    listener: (event: ConsumerReceivedUnsubcribedTopicsEvent) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  on(
    eventName: ConsumerEvents["REQUEST"],
    listener: (event: RequestEvent) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  on(
    eventName: ConsumerEvents["REQUEST_TIMEOUT"],
    listener: (event: RequestTimeoutEvent) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  on(
    eventName: ConsumerEvents["REQUEST_QUEUE_SIZE"],
    listener: (event: RequestQueueSizeEvent) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  on(
    eventName: ConsumerEvents[keyof ConsumerEvents],
    // biome-ignore lint/suspicious/noExplicitAny: kafkajs's own signature, kept for drop-in compatibility
    listener: (event: InstrumentationEvent<any>) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  logger(): Logger;
  readonly events: ConsumerEvents;
};
