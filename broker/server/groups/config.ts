// Broker settings of the group coordinator: Kafka's property names in camelCase, Kafka's defaults
// except where noted.

export interface GroupCoordinatorConfig {
  /** group.min.session.timeout.ms */
  groupMinSessionTimeoutMs: number;
  /** group.max.session.timeout.ms */
  groupMaxSessionTimeoutMs: number;
  /** group.initial.rebalance.delay.ms — Kafka ships 3000; 0 here so a lone consumer starts at once. */
  groupInitialRebalanceDelayMs: number;
  /** offset.metadata.max.bytes */
  offsetMetadataMaxBytes: number;
  /** group.max.size */
  groupMaxSize: number;
  /** offsets.topic.num.partitions — must match the partition count of `__consumer_offsets`. */
  offsetsTopicNumPartitions: number;
  /** group.consumer.session.timeout.ms — the KIP-848 protocol's session; the broker's choice, not the member's. */
  consumerGroupSessionTimeoutMs: number;
  /** group.consumer.heartbeat.interval.ms — returned to every consumer-protocol member. */
  consumerGroupHeartbeatIntervalMs: number;
  /** group.consumer.assignors — server-side assignors by name; the first is the default. */
  consumerGroupAssignors: readonly string[];
}

export const defaultGroupCoordinatorConfig: Readonly<GroupCoordinatorConfig> = Object.freeze({
  groupMinSessionTimeoutMs: 6_000,
  groupMaxSessionTimeoutMs: 1_800_000,
  groupInitialRebalanceDelayMs: 0,
  offsetMetadataMaxBytes: 4_096,
  groupMaxSize: Number.POSITIVE_INFINITY,
  offsetsTopicNumPartitions: 50,
  consumerGroupSessionTimeoutMs: 45_000,
  consumerGroupHeartbeatIntervalMs: 5_000,
  consumerGroupAssignors: Object.freeze(["uniform", "range"]),
});

export function resolveGroupCoordinatorConfig(overrides: Partial<GroupCoordinatorConfig> = {}): GroupCoordinatorConfig {
  const config = { ...defaultGroupCoordinatorConfig, ...overrides };
  if (config.groupMinSessionTimeoutMs > config.groupMaxSessionTimeoutMs) {
    throw new RangeError("groupMinSessionTimeoutMs must not exceed groupMaxSessionTimeoutMs");
  }
  if (!Number.isInteger(config.offsetsTopicNumPartitions) || config.offsetsTopicNumPartitions < 1) {
    throw new RangeError("offsetsTopicNumPartitions must be a positive integer");
  }
  return config;
}
