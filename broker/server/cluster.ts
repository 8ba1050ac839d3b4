// The cluster's metadata in one place: brokers, the controller, topics and, per partition, its
// leader, leader epoch, replicas and in-sync replicas. A single node is its own controller and the
// leader of everything today; a multi-broker cluster will replace the writer of this state (a
// controller replicating a metadata log) without changing what the handlers read.
//
// Ownership: one ClusterMetadata object owns this state; every mutation is synchronous and is
// persisted before it returns (write to a temporary file, fsync, rename), so a crash leaves either
// the old or the new metadata, never a mix.
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { join } from "node:path";

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

interface PersistedMetadata {
  clusterId: string;
  nextProducerId: string;
  topics: {
    name: string;
    topicId: string;
    isInternal: boolean;
    partitions: PartitionState[];
    configs: Record<string, string>;
  }[];
}

const producerIdBlock = 1000n;

export class ClusterMetadata implements ClusterView {
  readonly clusterId: string;
  readonly brokers: BrokerNode[];
  readonly controllerId: number;
  private readonly topics = new Map<string, TopicState>();
  /** Producer ids are handed out from blocks; the persisted mark is the end of the current block. */
  private nextProducerId: bigint;
  private producerIdBlockEnd: bigint;

  private constructor(
    private readonly file: string,
    self: BrokerNode,
    persisted: PersistedMetadata | null,
  ) {
    this.brokers = [self];
    this.controllerId = self.nodeId;
    this.clusterId = persisted?.clusterId ?? randomBytes(16).toString("base64url").slice(0, 22);
    this.nextProducerId = BigInt(persisted?.nextProducerId ?? "1000");
    this.producerIdBlockEnd = this.nextProducerId;
    for (const t of persisted?.topics ?? []) {
      this.topics.set(t.name, { ...t, topicId: Buffer.from(t.topicId, "hex") });
    }
  }

  static open(dataDir: string, self: BrokerNode): ClusterMetadata {
    mkdirSync(dataDir, { recursive: true });
    const file = join(dataDir, "cluster-metadata.json");
    const persisted = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as PersistedMetadata) : null;
    const metadata = new ClusterMetadata(file, self, persisted);
    if (!persisted) metadata.persist();
    return metadata;
  }

  get self(): BrokerNode {
    return this.brokers[0]!;
  }

  topic(name: string): TopicState | undefined {
    return this.topics.get(name);
  }

  topicNames(): string[] {
    return [...this.topics.keys()];
  }

  allTopics(): TopicState[] {
    return [...this.topics.values()];
  }

  addTopic(name: string, partitionCount: number, configs: Record<string, string>, isInternal = false): TopicState {
    const topic: TopicState = { name, topicId: randomBytes(16), isInternal, partitions: [], configs };
    this.appendPartitions(topic, partitionCount);
    this.topics.set(name, topic);
    this.persist();
    return topic;
  }

  growTopic(name: string, totalCount: number): TopicState {
    const topic = this.topics.get(name);
    if (!topic) throw new Error(`no topic ${name}`);
    this.appendPartitions(topic, totalCount - topic.partitions.length);
    this.persist();
    return topic;
  }

  removeTopic(name: string): void {
    this.topics.delete(name);
    this.persist();
  }

  allocateProducerId(): bigint {
    if (this.nextProducerId >= this.producerIdBlockEnd) {
      this.producerIdBlockEnd = this.nextProducerId + producerIdBlock;
      this.persist();
    }
    return this.nextProducerId++;
  }

  private appendPartitions(topic: TopicState, count: number): void {
    const self = this.self.nodeId;
    for (let i = 0; i < count; i++) {
      topic.partitions.push({
        partition: topic.partitions.length,
        leader: self,
        leaderEpoch: 0,
        replicas: [self],
        isr: [self],
      });
    }
  }

  private persist(): void {
    const data: PersistedMetadata = {
      clusterId: this.clusterId,
      nextProducerId: this.producerIdBlockEnd.toString(),
      topics: [...this.topics.values()].map((t) => ({ ...t, topicId: t.topicId.toString("hex") })),
    };
    const tmp = `${this.file}.tmp`;
    const fd = openSync(tmp, "w");
    try {
      writeSync(fd, JSON.stringify(data, null, 1));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.file);
  }
}
