// The cluster's metadata as of one offset of the `__cluster_metadata` log (Kafka's MetadataImage):
// registered brokers, topics by name and by id with their partitions (replicas, ISR, leader and the
// two epochs), topic and broker config overrides, finalized features and the next producer id
// block. The data plane reads it; only metadata-delta.ts makes new ones.
//
// Ownership: none — an image is immutable once built (every field readonly, its maps never written
// after construction). A new image shares every unchanged broker, topic and partition object with
// the one it came from, so "did this topic change?" is a reference comparison.

/** `leader` of a partition that has none. */
export const NO_LEADER = -1;
/** `leader` of a PartitionChangeRecord that leaves the leader as it is. */
export const NO_LEADER_CHANGE = -2;

/** ConfigRecord resource types (Kafka's ConfigResource.Type ids). */
export const ConfigResourceType = { TOPIC: 2, BROKER: 4 } as const;

/** Topics Kafka treats as internal (Topic.isInternal). */
const internalTopics = new Set(["__consumer_offsets", "__transaction_state"]);

export interface BrokerEndpoint {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly securityProtocol: number;
}

export interface BrokerRegistration {
  readonly id: number;
  /** Assigned by the controller at registration; a restarted broker process gets a new one. */
  readonly epoch: bigint;
  /** 16 bytes, new for every start of the broker process. */
  readonly incarnationId: Buffer;
  readonly endpoints: readonly BrokerEndpoint[];
  /** The first endpoint's host and port: the one clients are told about (one listener per broker). */
  readonly host: string;
  readonly port: number;
  readonly rack: string | null;
  readonly fenced: boolean;
  readonly inControlledShutdown: boolean;
  /**
   * Offset of the RegisterBrokerRecord in the metadata log; the broker is caught up (may be unfenced)
   * once it has applied this far. -1n in a controller's not yet committed view.
   */
  readonly registrationOffset: bigint;
}

export interface PartitionRegistration {
  readonly partition: number;
  /** In preferred order: the first is the preferred leader. */
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  /** A broker id, or NO_LEADER. */
  readonly leader: number;
  /** Bumped on every leader change. */
  readonly leaderEpoch: number;
  /** Bumped on every change of the partition (leader, ISR, replicas). */
  readonly partitionEpoch: number;
  /**
   * While a reassignment moves the partition (KIP-455), the replicas it adds and the ones it
   * removes; `replicas` is then the target followed by the removing ones. Absent or empty: none.
   */
  readonly addingReplicas?: readonly number[];
  readonly removingReplicas?: readonly number[];
}

export interface TopicImage {
  readonly name: string;
  /** 16 bytes. */
  readonly topicId: Buffer;
  /** Indexed by partition id. */
  readonly partitions: readonly PartitionRegistration[];
}

export interface TopicPartitionImage {
  readonly topic: TopicImage;
  readonly partition: PartitionRegistration;
}

export interface FeatureLevel {
  readonly min: number;
  readonly max: number;
}

export interface MetadataImageFields {
  /** Offset of the last record applied; -1n for the empty image. */
  readonly offset: bigint;
  /** Raft epoch of the batch that held that record; -1 for the empty image. */
  readonly epoch: number;
  readonly brokers: ReadonlyMap<number, BrokerRegistration>;
  readonly topicsByName: ReadonlyMap<string, TopicImage>;
  /** Keyed by topicIdKey(topicId). */
  readonly topicsById: ReadonlyMap<string, TopicImage>;
  /** Topic name → config name → value: only the overrides; broker defaults apply to the rest. */
  readonly topicConfigs: ReadonlyMap<string, ReadonlyMap<string, string>>;
  /** Broker id as a string ("" for the cluster-wide default) → config name → value. */
  readonly brokerConfigs: ReadonlyMap<string, ReadonlyMap<string, string>>;
  readonly features: ReadonlyMap<string, FeatureLevel>;
  /** First producer id of the next block AllocateProducerIds hands out. */
  readonly nextProducerId: bigint;
  /** Highest broker epoch any RegisterBrokerRecord carried (kept after unregistration); -1n if none. */
  readonly highestBrokerEpoch: bigint;
}

/** The map key of a topic id. */
export function topicIdKey(topicId: Buffer): string {
  return topicId.toString("hex");
}

export function isInternalTopic(name: string): boolean {
  return internalTopics.has(name);
}

export class MetadataImage implements MetadataImageFields {
  static readonly EMPTY = new MetadataImage({
    offset: -1n,
    epoch: -1,
    brokers: new Map(),
    topicsByName: new Map(),
    topicsById: new Map(),
    topicConfigs: new Map(),
    brokerConfigs: new Map(),
    features: new Map(),
    nextProducerId: 0n,
    highestBrokerEpoch: -1n,
  });

  readonly offset: bigint;
  readonly epoch: number;
  readonly brokers: ReadonlyMap<number, BrokerRegistration>;
  readonly topicsByName: ReadonlyMap<string, TopicImage>;
  readonly topicsById: ReadonlyMap<string, TopicImage>;
  readonly topicConfigs: ReadonlyMap<string, ReadonlyMap<string, string>>;
  readonly brokerConfigs: ReadonlyMap<string, ReadonlyMap<string, string>>;
  readonly features: ReadonlyMap<string, FeatureLevel>;
  readonly nextProducerId: bigint;
  readonly highestBrokerEpoch: bigint;

  constructor(fields: MetadataImageFields) {
    this.offset = fields.offset;
    this.epoch = fields.epoch;
    this.brokers = fields.brokers;
    this.topicsByName = fields.topicsByName;
    this.topicsById = fields.topicsById;
    this.topicConfigs = fields.topicConfigs;
    this.brokerConfigs = fields.brokerConfigs;
    this.features = fields.features;
    this.nextProducerId = fields.nextProducerId;
    this.highestBrokerEpoch = fields.highestBrokerEpoch;
  }

  /** A copy with some fields replaced (the rest shared). */
  with(changes: Partial<MetadataImageFields>): MetadataImage {
    return new MetadataImage({ ...this.fields(), ...changes });
  }

  fields(): MetadataImageFields {
    return {
      offset: this.offset,
      epoch: this.epoch,
      brokers: this.brokers,
      topicsByName: this.topicsByName,
      topicsById: this.topicsById,
      topicConfigs: this.topicConfigs,
      brokerConfigs: this.brokerConfigs,
      features: this.features,
      nextProducerId: this.nextProducerId,
      highestBrokerEpoch: this.highestBrokerEpoch,
    };
  }

  broker(id: number): BrokerRegistration | undefined {
    return this.brokers.get(id);
  }

  /** Registered, unfenced brokers by id: the ones Metadata lists and clients may talk to. */
  liveBrokers(): BrokerRegistration[] {
    return [...this.brokers.values()].filter((b) => !b.fenced).sort((a, b) => a.id - b.id);
  }

  /** Unfenced and not shutting down: may lead partitions, join ISRs and take new replicas. */
  isActive(brokerId: number): boolean {
    const broker = this.brokers.get(brokerId);
    return broker !== undefined && !broker.fenced && !broker.inControlledShutdown;
  }

  /** The brokers isActive accepts, by id. */
  activeBrokers(): BrokerRegistration[] {
    return this.liveBrokers().filter((b) => !b.inControlledShutdown);
  }

  topic(name: string): TopicImage | undefined {
    return this.topicsByName.get(name);
  }

  topicById(topicId: Buffer): TopicImage | undefined {
    return this.topicsById.get(topicIdKey(topicId));
  }

  partition(topic: string, partition: number): PartitionRegistration | undefined {
    return this.topicsByName.get(topic)?.partitions[partition];
  }

  /** Every partition of every topic, topics in name order. */
  allPartitions(): TopicPartitionImage[] {
    const names = [...this.topicsByName.keys()].sort();
    return names.flatMap((name) => {
      const topic = this.topicsByName.get(name)!;
      return topic.partitions.map((partition) => ({ topic, partition }));
    });
  }

  /** Partitions whose leader is the broker. */
  partitionsLedBy(brokerId: number): TopicPartitionImage[] {
    return this.allPartitions().filter(({ partition }) => partition.leader === brokerId);
  }

  /** Partitions with a replica on the broker (led by it or followed). */
  partitionsWithReplicaOn(brokerId: number): TopicPartitionImage[] {
    return this.allPartitions().filter(({ partition }) => partition.replicas.includes(brokerId));
  }

  /** Partitions whose ISR holds the broker. */
  partitionsWithIsrMember(brokerId: number): TopicPartitionImage[] {
    return this.allPartitions().filter(({ partition }) => partition.isr.includes(brokerId));
  }

  partitionsWithoutLeader(): TopicPartitionImage[] {
    return this.allPartitions().filter(({ partition }) => partition.leader === NO_LEADER);
  }

  hasLeaderships(brokerId: number): boolean {
    for (const topic of this.topicsByName.values()) {
      if (topic.partitions.some((p) => p.leader === brokerId)) return true;
    }
    return false;
  }

  /** A topic's own value for a config (a ConfigRecord for the topic), if it has one. */
  topicConfig(topic: string, name: string): string | undefined {
    return this.topicConfigs.get(topic)?.get(name);
  }
}

export interface PartitionChange {
  topicName: string;
  topicId: Buffer;
  partition: number;
  /** Absent for a new partition. */
  before?: PartitionRegistration;
  /** Absent for a deleted one. */
  after?: PartitionRegistration;
}

/**
 * Partitions that differ between two images (added, removed or changed), found by reference: an
 * image shares every topic and partition object a delta did not touch.
 */
export function changedPartitions(before: MetadataImage, after: MetadataImage): PartitionChange[] {
  const changes: PartitionChange[] = [];
  const keys = new Set([...before.topicsById.keys(), ...after.topicsById.keys()]);
  for (const key of keys) {
    const old = before.topicsById.get(key);
    const now = after.topicsById.get(key);
    if (old === now) continue;
    const topic = (now ?? old)!;
    const count = Math.max(old?.partitions.length ?? 0, now?.partitions.length ?? 0);
    for (let i = 0; i < count; i++) {
      const was = old?.partitions[i];
      const is = now?.partitions[i];
      if (was !== is) {
        changes.push({ topicName: topic.name, topicId: topic.topicId, partition: i, before: was, after: is });
      }
    }
  }
  return changes;
}
