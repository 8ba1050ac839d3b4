// What is known of topics wherever they are handled: legal names and configs, a topic config's
// effective value, opening a partition's log with its topic's settings, and TopicAccess, what the
// data-plane handlers need of the topics (cluster-topics.ts serves it). The controller creates,
// grows and deletes topics (broker/controller). No state.
import { join } from "node:path";
import { ErrorCode } from "../protocol/errors.ts";
import type { FileSystem } from "../storage/file-system.ts";
import { type LogConfig, NEVER } from "../storage/log-config.ts";
import { PartitionLog } from "../storage/partition-log.ts";
import type { TopicState } from "./cluster.ts";
import { type BrokerConfig, brokerProp, topicConfigDefaults } from "./config.ts";
import type { Logger } from "./logger.ts";
import type { Partition } from "./partition.ts";

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
  /** Creates the missing topics automatically and waits (briefly) until they are served here. */
  awaitCreation(names: readonly string[]): Promise<void>;
}

/** The effective value of a topic-level config: the topic's override, else the broker default. */
export function topicConfigOf(config: BrokerConfig, topic: TopicState, name: string): string {
  return topic.configs[name] ?? brokerProp(config, topicConfigDefaults[name]!);
}

/** A partition log's settings from a topic's effective configs. */
export function logConfigOf(config: BrokerConfig, topic: TopicState): Partial<LogConfig> {
  return logConfigFrom((name) => topicConfigOf(config, topic, name));
}

/** A partition log's settings from the values of the topic-level configs (by topic config name). */
export function logConfigFrom(value: (name: string) => string): Partial<LogConfig> {
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
 * topic's settings. Its high watermark is the partition's replication state's to move. Should a
 * write to it ever fail, the log goes offline and this says so, once, naming the partition and
 * the cause: from then on the partition answers KAFKA_STORAGE_ERROR until the broker restarts
 * (which recovers the log from its files), while the broker's other partitions serve on.
 * After a clean shutdown (clean-shutdown.ts) the active segment is not scanned.
 */
export function openTopicLog(
  config: BrokerConfig,
  fs: FileSystem,
  log: Logger,
  topic: TopicState,
  index: number,
  { hadCleanShutdown = false }: { hadCleanShutdown?: boolean } = {},
): PartitionLog {
  const dir = join(config.dataDir, `${topic.name}-${index}`);
  const onOffline = (cause: unknown): void =>
    log.error("partition log offline after an I/O error; it answers KAFKA_STORAGE_ERROR until the broker restarts", {
      topic: topic.name,
      partition: index,
      dir,
      error: cause instanceof Error ? cause.message : String(cause),
    });
  const partitionLog = PartitionLog.open(fs, dir, { ...logConfigOf(config, topic), onOffline, hadCleanShutdown });
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
