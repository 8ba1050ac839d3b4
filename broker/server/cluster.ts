// The cluster as request handlers read it: brokers, the controller, topics and, per partition,
// its leader, leader epoch, replicas and in-sync replicas. The metadata image of the KRaft quorum
// is what they are read from (metadata/image-cluster-view.ts); these are the shapes. No state.

export interface BrokerNode {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface PartitionState {
  partition: number;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
}

export interface TopicState {
  name: string;
  /** 16 random bytes, as Kafka's topic UUIDs. */
  topicId: Buffer;
  isInternal: boolean;
  partitions: PartitionState[];
  /** Topic-level config overrides (segment.bytes, retention.ms, cleanup.policy, ...). */
  configs: Record<string, string>;
}

/** What request handlers read of the cluster, whoever keeps it (this file, or the KRaft metadata image). */
export interface ClusterView {
  readonly clusterId: string;
  /** The brokers clients may use: on a cluster, the registered and unfenced ones. */
  readonly brokers: readonly BrokerNode[];
  /** The node Metadata names as controller (admin requests go there; any broker forwards them). */
  readonly controllerId: number;
  topic(name: string): TopicState | undefined;
  topicNames(): string[];
  allTopics(): TopicState[];
}
