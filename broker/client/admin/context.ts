// What every admin operation shares: the cluster, the retrier, and the request routing Kafka
// requires (controller, partition leaders, any broker for metadata).
//
// The admin asks for topic metadata with requests of its own instead of adding target topics to
// the Cluster: a target topic is fetched on every later refresh, so one question about a topic
// that does not exist would make every later refresh fail.
import { Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { MetadataResponse, MetadataResponsePartition } from "../../protocol/messages/index.ts";
import type { Cluster } from "../cluster.ts";
import { isRetriable, KafkaJSAggregateError, KafkaJSDeleteGroupsError, KafkaJSProtocolError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { BrokerConnection } from "../network/broker-connection.ts";
import type { Retrier } from "../retry.ts";

export interface AdminContext {
  cluster: Cluster;
  retrier: Retrier;
  logger: Logger;
}

export interface AttemptOptions {
  /** Errors to hand to the caller at once even though they are retriable, as kafkajs does for answers like UNKNOWN_TOPIC_OR_PARTITION. */
  surface?: (error: Error) => boolean;
  /** Called before a retriable error is retried. */
  onRetry?: (error: Error, retryCount: number, retryTime: number) => void | Promise<void>;
}

/**
 * Runs `operation` with the retrier. Retriable errors are retried; any other error reaches the
 * caller as it is (not wrapped in KafkaJSNonRetriableError), as kafkajs's admin bails with it.
 * Errors that collect per-item answers are final although they do not say so (`retriable`).
 */
export function attempt<T>(
  ctx: AdminContext,
  operation: (retryCount: number) => Promise<T>,
  options: AttemptOptions = {},
): Promise<T> {
  return ctx.retrier(async (bail, retryCount, retryTime) => {
    try {
      return await operation(retryCount);
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      const isCollectedAnswer = error instanceof KafkaJSAggregateError || error instanceof KafkaJSDeleteGroupsError;
      if (isCollectedAnswer || !isRetriable(error) || options.surface?.(error)) bail(error);
      await options.onRetry?.(error, retryCount, retryTime);
      throw error;
    }
  });
}

export const hasType =
  (...types: string[]) =>
  (error: Error): boolean =>
    types.includes((error as { type?: string }).type ?? "");

/** One Metadata request to any broker; `topics` null asks for every topic. Never auto-creates. */
export async function requestMetadata(ctx: AdminContext, topics: string[] | null): Promise<MetadataResponse> {
  const connection = await ctx.cluster.anyConnection();
  const version = connection.versionFor(Apis.Metadata);
  // Metadata v0 has no null array: there an empty list means every topic.
  const requested = topics === null ? (version === 0 ? [] : null) : topics.map((name) => ({ name }));
  return connection.request(Apis.Metadata, { topics: requested, allowAutoTopicCreation: false }, { version });
}

/** Throws the first topic error, then the first partition error, as kafkajs reads a Metadata response. */
export function throwIfMetadataErrors(response: MetadataResponse): void {
  const failedTopic = response.topics.find((t) => t.errorCode !== ErrorCode.NONE);
  if (failedTopic) throw new KafkaJSProtocolError(failedTopic.errorCode);
  const failedPartition = response.topics.flatMap((t) => t.partitions).find((p) => p.errorCode !== ErrorCode.NONE);
  if (failedPartition) throw new KafkaJSProtocolError(failedPartition.errorCode);
}

/** The partitions of one existing topic, by partition id; throws what the broker says about it. */
export async function topicPartitions(ctx: AdminContext, topic: string): Promise<MetadataResponsePartition[]> {
  const response = await requestMetadata(ctx, [topic]);
  throwIfMetadataErrors(response);
  const metadata = response.topics.find((t) => t.name === topic);
  if (!metadata) throw new KafkaJSProtocolError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  return [...metadata.partitions].sort((a, b) => a.partitionIndex - b.partitionIndex);
}

/** The controller as the freshest metadata names it: topic and partition changes must go there. */
export async function controllerConnection(ctx: AdminContext): Promise<BrokerConnection> {
  await ctx.cluster.refreshMetadata();
  return ctx.cluster.controller();
}

/** A connection to broker `nodeId`, refreshing the broker list first if the node is new to it. */
export async function nodeConnection(ctx: AdminContext, nodeId: number): Promise<BrokerConnection> {
  if (!ctx.cluster.brokers.some((b) => b.nodeId === nodeId)) await ctx.cluster.refreshMetadata();
  return ctx.cluster.connectionTo(nodeId);
}

export const EARLIEST_OFFSET = -2n;
export const LATEST_OFFSET = -1n;
// As kafkajs's admin asks: a topic's end is its last stable offset while a transaction is open.
const READ_COMMITTED = 1;

/**
 * ListOffsets for some partitions of `topic` at `timestamp` (or EARLIEST/LATEST_OFFSET), each
 * partition asked of its leader; one request per leader, sent in parallel.
 */
export async function listOffsets(
  ctx: AdminContext,
  topic: string,
  partitions: MetadataResponsePartition[],
  timestamp: bigint,
): Promise<Map<number, bigint>> {
  const byLeader = new Map<number, number[]>();
  for (const partition of partitions) {
    if (partition.leaderId < 0) throw new KafkaJSProtocolError(ErrorCode.LEADER_NOT_AVAILABLE);
    const ids = byLeader.get(partition.leaderId) ?? [];
    ids.push(partition.partitionIndex);
    byLeader.set(partition.leaderId, ids);
  }
  const offsets = new Map<number, bigint>();
  await Promise.all(
    [...byLeader].map(async ([leader, ids]) => {
      const connection = await nodeConnection(ctx, leader);
      const response = await connection.request(Apis.ListOffsets, {
        replicaId: -1,
        isolationLevel: READ_COMMITTED,
        topics: [{ name: topic, partitions: ids.map((partitionIndex) => ({ partitionIndex, timestamp })) }],
      });
      for (const answered of response.topics.flatMap((t) => t.partitions)) {
        if (answered.errorCode !== ErrorCode.NONE) throw new KafkaJSProtocolError(answered.errorCode);
        offsets.set(answered.partitionIndex, answered.offset ?? -1n);
      }
    }),
  );
  return offsets;
}
