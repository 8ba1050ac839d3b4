// The cluster as request handlers read it: brokers, the controller, topics and, per partition,
// its leader, leader epoch, replicas and in-sync replicas. The metadata image of the KRaft quorum
// is what they are read from (metadata/image-cluster-view.ts); these are the shapes. No state.

export interface BrokerNode {
  nodeId: number;
  /** The endpoint of the inter-broker listener (the first one registered). */
  host: string;
  port: number;
  rack: string | null;
  /** Every listener's endpoint, by listener name; absent: `host`/`port` only. */
  endpoints?: readonly { name: string; host: string; port: number }[];
}

/**
 * The brokers as a client on `listener` must reach them: that listener's host and port, as Kafka
 * advertises; a broker without the listener is left out. No listener named: `host`/`port`.
 */
export function brokersOnListener(brokers: readonly BrokerNode[], listener: string | undefined): readonly BrokerNode[] {
  if (listener === undefined) return brokers;
  return brokers.flatMap((broker) => {
    if (broker.endpoints === undefined) return [broker];
    const endpoint = broker.endpoints.find((e) => e.name === listener);
    if (endpoint === undefined) return [];
    return endpoint.host === broker.host && endpoint.port === broker.port
      ? [broker]
      : [{ ...broker, host: endpoint.host, port: endpoint.port }];
  });
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
