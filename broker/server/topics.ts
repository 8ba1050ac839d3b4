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

/** Topic configs that take true or false. */
const booleanTopicConfigs = new Set(["unclean.leader.election.enable"]);

/** Checks topic-level configs by name and value (CreateTopics, here or at the controller). */
export function validateTopicConfigs(configs: Record<string, string | null>): TopicError | null {
  for (const [name, value] of Object.entries(configs)) {
    if (!(name in topicConfigDefaults))
      return { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: `unknown topic config ${name}` };
    if (name === "cleanup.policy") {
      if (value !== "delete" && value !== "compact")
        return {
          errorCode: ErrorCode.INVALID_CONFIG,
          errorMessage: `cleanup.policy must be delete or compact, got ${value}`,
        };
    } else if (booleanTopicConfigs.has(name)) {
      if (value !== "true" && value !== "false")
        return {
          errorCode: ErrorCode.INVALID_CONFIG,
          errorMessage: `topic config ${name} must be true or false, got ${value}`,
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

/** Kafka writes "never" as Long.MAX_VALUE; the log takes anything past NEVER as never. */
function msOrNever(value: string): number {
  const n = Number(value);
  return Math.min(n, NEVER);
}

/** What produce, fetch and the other data-plane handlers need of the topics, on a lone broker or a cluster. */
export interface TopicAccess {
  partition(topic: string, index: number): Partition | undefined;
  allPartitions(): Partition[];
  /** The effective value of a topic-level config: the topic's override, else the broker default. */
  topicConfig(topic: TopicState, name: string): string;
  /**
   * The topic if it exists; else, when automatic creation is on, creates it with broker defaults.
   * A cluster answers LEADER_NOT_AVAILABLE while the controller creates it, so clients ask again.
   */
  autoCreate(name: string): TopicState | TopicError;
}

export class TopicManager implements TopicAccess {
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

  topicConfig(topic: TopicState, name: string): string {
    return topicConfigOf(this.config, topic, name);
  }

  validateConfigs(configs: Record<string, string | null>): TopicError | null {
    return validateTopicConfigs(configs);
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

  private openPartition(topic: TopicState, index: number): Partition {
    const log = openTopicLog(this.config, this.fs, this.log, topic, index);
    return new Partition(topic.name, index, log, Number(topicConfigOf(this.config, topic, "max.message.bytes")));
  }
}

/** The effective value of a topic-level config: the topic's override, else the broker default. */
export function topicConfigOf(config: BrokerConfig, topic: TopicState, name: string): string {
  return topic.configs[name] ?? brokerProp(config, topicConfigDefaults[name]!);
}

function logConfigOf(config: BrokerConfig, topic: TopicState): Partial<LogConfig> {
  const value = (name: string): string => topicConfigOf(config, topic, name);
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

/**
 * Opens (and recovers) the log of one partition of `topic` in `<dataDir>/<topic>-<index>`, with the
 * topic's settings; `replicated` for a partition whose high watermark replication moves.
 */
export function openTopicLog(
  config: BrokerConfig,
  fs: FileSystem,
  log: Logger,
  topic: TopicState,
  index: number,
  options: { replicated?: boolean } = {},
): PartitionLog {
  const dir = join(config.dataDir, `${topic.name}-${index}`);
  const partitionLog = PartitionLog.open(fs, dir, { ...logConfigOf(config, topic), ...options });
  for (const recovery of partitionLog.recoveries) {
    if (recovery.truncatedBytes > 0) {
      log.warn("recovered a torn log tail", {
        topic: topic.name,
        partition: index,
        segment: recovery.baseOffset,
        truncatedBytes: recovery.truncatedBytes,
      });
    }
  }
  return partitionLog;
}
