// Topics and their partitions on this broker: creation (explicit or automatic), growth,
// deletion, topic configs, and the Partition objects that own the logs.
//
// Ownership: the TopicManager owns the map of open partitions and is the only writer of topic
// entries in ClusterMetadata. All its operations are synchronous, so a topic is never seen
// half-created or half-deleted.
import { join } from "node:path";
import { ErrorCode } from "../protocol/errors.ts";
import type { FileSystem } from "../storage/file-system.ts";
import { type LogConfig, NEVER } from "../storage/log-config.ts";
import { PartitionLog } from "../storage/partition-log.ts";
import type { ClusterMetadata, TopicState } from "./cluster.ts";
import { type BrokerConfig, brokerProp, topicConfigDefaults } from "./config.ts";
import type { Logger } from "./logger.ts";
import { Partition } from "./partition.ts";

export interface TopicError {
  errorCode: number;
  errorMessage: string;
}

/**
 * Kafka's controller refuses a CreateTopics or CreatePartitions request that would add more
 * partitions than this in all (KAFKA-17870, KAFKA-19673): each partition is a log directory and
 * open files here, made synchronously, so a forged count must not reach them.
 */
export const MAX_NEW_PARTITIONS_PER_REQUEST = 10_000;

export const TOO_MANY_PARTITIONS: TopicError = {
  errorCode: ErrorCode.POLICY_VIOLATION,
  errorMessage: `Excessively large number of partitions per request (at most ${MAX_NEW_PARTITIONS_PER_REQUEST} new ones).`,
};

const legalTopicName = /^[a-zA-Z0-9._-]+$/;
const maxTopicNameLength = 249;

export function validateTopicName(name: string): TopicError | null {
  if (name.length === 0 || name === "." || name === "..")
    return { errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, errorMessage: `topic name "${name}" is illegal` };
  if (name.length > maxTopicNameLength)
    return {
      errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION,
      errorMessage: `topic name is longer than ${maxTopicNameLength} characters`,
    };
  if (!legalTopicName.test(name))
    return {
      errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION,
      errorMessage: `topic name "${name}" may contain only ASCII letters, digits, '.', '_' and '-'`,
    };
  return null;
}

/** Kafka writes "never" as Long.MAX_VALUE; the log takes anything past NEVER as never. */
function msOrNever(value: string): number {
  const n = Number(value);
  return Math.min(n, NEVER);
}

export class TopicManager {
  private readonly partitions = new Map<string, Partition[]>();

  constructor(
    private readonly config: BrokerConfig,
    private readonly cluster: ClusterMetadata,
    private readonly fs: FileSystem,
    private readonly log: Logger,
  ) {}

  /** Opens (and recovers) the logs of every known topic. */
  openAll(): void {
    for (const topic of this.cluster.allTopics()) {
      this.partitions.set(
        topic.name,
        topic.partitions.map((p) => this.openPartition(topic, p.partition)),
      );
    }
  }

  partition(topic: string, index: number): Partition | undefined {
    return this.partitions.get(topic)?.[index];
  }

  partitionsOf(topic: string): Partition[] {
    return this.partitions.get(topic) ?? [];
  }

  allPartitions(): Partition[] {
    return [...this.partitions.values()].flat();
  }

  /** The effective value of a topic-level config: the topic's override, else the broker default. */
  topicConfig(topic: TopicState, name: string): string {
    return topic.configs[name] ?? brokerProp(this.config, topicConfigDefaults[name]!);
  }

  validateConfigs(configs: Record<string, string | null>): TopicError | null {
    for (const [name, value] of Object.entries(configs)) {
      if (!(name in topicConfigDefaults))
        return { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: `unknown topic config ${name}` };
      if (name === "cleanup.policy") {
        if (value !== "delete" && value !== "compact")
          return {
            errorCode: ErrorCode.INVALID_CONFIG,
            errorMessage: `cleanup.policy must be delete or compact, got ${value}`,
          };
      } else if (value === null || !/^-?\d+$/.test(value)) {
        return {
          errorCode: ErrorCode.INVALID_CONFIG,
          errorMessage: `topic config ${name} must be an integer, got ${value}`,
        };
      }
    }
    return null;
  }

  /** Checks a creation without doing it (CreateTopics validateOnly shares it). */
  checkCreate(name: string, partitionCount: number, configs: Record<string, string | null>): TopicError | null {
    const invalidName = validateTopicName(name);
    if (invalidName) return invalidName;
    if (this.cluster.topic(name))
      return { errorCode: ErrorCode.TOPIC_ALREADY_EXISTS, errorMessage: `topic ${name} already exists` };
    if (!Number.isInteger(partitionCount) || partitionCount < 1) {
      return {
        errorCode: ErrorCode.INVALID_PARTITIONS,
        errorMessage: `number of partitions must be at least 1, got ${partitionCount}`,
      };
    }
    return this.validateConfigs(configs);
  }

  create(name: string, partitionCount: number, configs: Record<string, string>, isInternal = false): TopicState {
    const topic = this.cluster.addTopic(name, partitionCount, configs, isInternal);
    this.partitions.set(
      name,
      topic.partitions.map((p) => this.openPartition(topic, p.partition)),
    );
    this.log.info("topic created", { topic: name, partitions: partitionCount, configs });
    return topic;
  }

  /** Creates the topic with broker defaults if automatic creation is on; returns it either way. */
  autoCreate(name: string): TopicState | TopicError {
    const existing = this.cluster.topic(name);
    if (existing) return existing;
    if (brokerProp(this.config, "auto.create.topics.enable") !== "true") {
      return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `topic ${name} does not exist` };
    }
    const invalid = validateTopicName(name);
    if (invalid) return invalid;
    return this.create(name, Number(brokerProp(this.config, "num.partitions")), {});
  }

  /** Partitions that growing `name` to `count` would add (0 for an unknown topic or no growth). */
  partitionsToAdd(name: string, count: number): number {
    const current = this.cluster.topic(name)?.partitions.length;
    return current === undefined ? 0 : Math.max(0, count - current);
  }

  checkGrow(name: string, count: number): TopicError | null {
    const topic = this.cluster.topic(name);
    if (!topic)
      return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `topic ${name} does not exist` };
    const current = topic.partitions.length;
    if (count < current) {
      return {
        errorCode: ErrorCode.INVALID_PARTITIONS,
        errorMessage: `topic ${name} has ${current} partitions; it cannot shrink to ${count}: partitions can only be added, never removed`,
      };
    }
    if (count === current)
      return {
        errorCode: ErrorCode.INVALID_PARTITIONS,
        errorMessage: `topic ${name} already has ${current} partitions`,
      };
    return null;
  }

  grow(name: string, count: number): void {
    const current = this.partitions.get(name) ?? [];
    const topic = this.cluster.growTopic(name, count);
    for (let i = current.length; i < count; i++) current.push(this.openPartition(topic, i));
    this.partitions.set(name, current);
    this.log.info("partitions added", { topic: name, partitions: count });
  }

  delete(name: string): void {
    for (const partition of this.partitions.get(name) ?? []) partition.log.deleteAll();
    this.partitions.delete(name);
    this.cluster.removeTopic(name);
    this.log.info("topic deleted", { topic: name });
  }

  closeAll(): void {
    for (const partition of this.allPartitions()) partition.log.close();
    this.partitions.clear();
  }

  private logConfigOf(topic: TopicState): Partial<LogConfig> {
    const value = (name: string): string => this.topicConfig(topic, name);
    return {
      segmentBytes: Number(value("segment.bytes")),
      segmentMs: msOrNever(value("segment.ms")),
      retentionBytes: Number(value("retention.bytes")),
      retentionMs: msOrNever(value("retention.ms")),
      flushIntervalMessages: msOrNever(value("flush.messages")),
      flushIntervalMs: msOrNever(value("flush.ms")),
      indexIntervalBytes: Number(value("index.interval.bytes")),
      cleanupPolicy: value("cleanup.policy") === "compact" ? "compact" : "delete",
    };
  }

  private openPartition(topic: TopicState, index: number): Partition {
    const dir = join(this.config.dataDir, `${topic.name}-${index}`);
    const log = PartitionLog.open(this.fs, dir, this.logConfigOf(topic));
    for (const recovery of log.recoveries) {
      if (recovery.truncatedBytes > 0) {
        this.log.warn("recovered a torn log tail", {
          topic: topic.name,
          partition: index,
          segment: recovery.baseOffset,
          truncatedBytes: recovery.truncatedBytes,
        });
      }
    }
    return new Partition(topic.name, index, log, Number(this.topicConfig(topic, "max.message.bytes")));
  }
}
