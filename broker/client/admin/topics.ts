// Topic administration: creating and deleting topics and adding partitions go to the controller;
// listing and describing topics and the cluster read Metadata from any broker.
import { Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { MetadataResponse } from "../../protocol/messages/index.ts";
import {
  KafkaJSAggregateError,
  KafkaJSCreateTopicError,
  KafkaJSNonRetriableError,
  KafkaJSProtocolError,
  KafkaJSTimeout,
} from "../errors.ts";
import type { PartitionMetadata } from "../types.ts";
import {
  type AdminContext,
  attempt,
  controllerConnection,
  hasType,
  requestMetadata,
  throwIfMetadataErrors,
} from "./context.ts";
import type { ITopicConfig, ITopicMetadata, ITopicPartitionConfig } from "./types.ts";

const DEFAULT_TIMEOUT = 5000;
const LEADER_POLL_INTERVAL = 100;
const DEFAULT_LEADER_WAIT = 10_000;

export interface CreateTopicsOptions {
  validateOnly?: boolean;
  waitForLeaders?: boolean;
  timeout?: number;
  topics: ITopicConfig[];
}

export async function createTopics(
  ctx: AdminContext,
  { topics, validateOnly = false, timeout, waitForLeaders = true }: CreateTopicsOptions,
): Promise<boolean> {
  validateTopicConfigs(topics);
  const results = await attempt(
    ctx,
    async () => {
      const controller = await controllerConnection(ctx);
      const response = await controller.request(
        Apis.CreateTopics,
        {
          topics: topics.map((t) => ({
            name: t.topic,
            numPartitions: t.numPartitions ?? -1,
            replicationFactor: t.replicationFactor ?? -1,
            assignments: (t.replicaAssignment ?? []).map((a) => ({
              partitionIndex: a.partition,
              brokerIds: a.replicas,
            })),
            configs: (t.configEntries ?? []).map((c) => ({ name: c.name, value: c.value })),
          })),
          timeoutMs: timeout ?? DEFAULT_TIMEOUT,
          validateOnly,
        },
        { extraTimeout: timeout ?? DEFAULT_TIMEOUT },
      );
      // A controller that moved: ask the new one.
      const notController = response.topics.find((t) => t.errorCode === ErrorCode.NOT_CONTROLLER);
      if (notController) throw new KafkaJSProtocolError(notController.errorCode, notController.errorMessage);
      return response.topics;
    },
    {
      onRetry: (error, retryCount, retryTime) =>
        ctx.logger.warn("Could not create topics", { error: error.message, retryCount, retryTime }),
    },
  );

  const created = results.filter((t) => t.errorCode === ErrorCode.NONE).map((t) => t.name);
  // Waited for apart from the creation, so a retry while waiting never asks to create them again.
  // A validateOnly request created nothing, so there are no leaders to wait for.
  if (waitForLeaders && !validateOnly && created.length > 0) {
    await attempt(ctx, () => waitForTopicLeaders(ctx, created, timeout ?? DEFAULT_LEADER_WAIT));
  }

  const failed = results.filter((t) => t.errorCode !== ErrorCode.NONE);
  if (failed.length === 0) return true;
  // kafkajs's contract: topics that already exist are not an error, only "nothing created".
  if (failed.every((t) => t.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS)) return false;
  throw new KafkaJSAggregateError(
    "Topic creation errors",
    [...failed]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((t) => new KafkaJSCreateTopicError(t.errorCode, t.errorMessage ?? null, t.name)),
  );
}

/** Until every topic has a leader for every partition; a topic may not be known yet to the broker asked. */
async function waitForTopicLeaders(ctx: AdminContext, topics: string[], maxWait: number): Promise<void> {
  const deadline = Date.now() + maxWait;
  const notYet = new Set<number>([ErrorCode.LEADER_NOT_AVAILABLE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
  for (;;) {
    const response = await requestMetadata(ctx, topics);
    const errors = response.topics
      .flatMap((t) => [t.errorCode, ...t.partitions.map((p) => p.errorCode)])
      .filter((code) => code !== ErrorCode.NONE);
    const unexpected = errors.find((code) => !notYet.has(code));
    if (unexpected !== undefined) throw new KafkaJSProtocolError(unexpected);
    if (errors.length === 0) return;
    if (Date.now() + LEADER_POLL_INTERVAL > deadline)
      throw new KafkaJSTimeout("Timed out while waiting for topic leaders");
    await new Promise((resolve) => setTimeout(resolve, LEADER_POLL_INTERVAL));
  }
}

function validateTopicConfigs(topics: ITopicConfig[]): void {
  if (!Array.isArray(topics)) throw new KafkaJSNonRetriableError(`Invalid topics array ${topics}`);
  if (topics.some((t) => typeof t?.topic !== "string"))
    throw new KafkaJSNonRetriableError("Invalid topics array, the topic names have to be a valid string");
  if (new Set(topics.map((t) => t.topic)).size < topics.length) {
    throw new KafkaJSNonRetriableError("Invalid topics array, it cannot have multiple entries for the same topic");
  }
  for (const { topic, configEntries } of topics) {
    if (configEntries == null) continue;
    if (!Array.isArray(configEntries))
      throw new KafkaJSNonRetriableError(`Invalid configEntries for topic "${topic}", must be an array`);
    configEntries.forEach((entry: unknown, index) => {
      if (typeof entry !== "object" || entry === null) {
        throw new KafkaJSNonRetriableError(
          `Invalid configEntries for topic "${topic}". Entry ${index} must be an object`,
        );
      }
      for (const property of ["name", "value"] as const) {
        if (typeof (entry as Record<string, unknown>)[property] !== "string") {
          throw new KafkaJSNonRetriableError(
            `Invalid configEntries for topic "${topic}". Entry ${index} must have a valid "${property}" property`,
          );
        }
      }
    });
  }
}

export async function deleteTopics(
  ctx: AdminContext,
  { topics, timeout }: { topics: string[]; timeout?: number },
): Promise<void> {
  if (!Array.isArray(topics)) throw new KafkaJSNonRetriableError(`Invalid topics array ${topics}`);
  if (topics.some((t) => typeof t !== "string"))
    throw new KafkaJSNonRetriableError("Invalid topics array, the names must be a valid string");
  await attempt(
    ctx,
    async () => {
      const controller = await controllerConnection(ctx);
      const response = await controller.request(
        Apis.DeleteTopics,
        { topicNames: topics, timeoutMs: timeout ?? DEFAULT_TIMEOUT },
        { extraTimeout: timeout ?? DEFAULT_TIMEOUT },
      );
      const failed = [...response.responses]
        .sort((a, b) => a.name.localeCompare(b.name))
        .find((t) => t.errorCode !== ErrorCode.NONE);
      if (!failed) return;
      const error = new KafkaJSProtocolError(failed.errorCode);
      if (failed.errorCode === ErrorCode.REQUEST_TIMED_OUT) {
        ctx.logger.error(
          'Could not delete topics, check if "delete.topic.enable" is set to "true" or increase the timeout',
          { error: error.message },
        );
      }
      throw error;
    },
    {
      // Of the broker's answers, kafkajs retries only these (an unknown topic may be one just
      // created, not yet known everywhere); lost connections are retried too.
      surface: (error) =>
        error instanceof KafkaJSProtocolError && !hasType("NOT_CONTROLLER", "UNKNOWN_TOPIC_OR_PARTITION")(error),
      onRetry: (error, retryCount, retryTime) =>
        ctx.logger.warn("Could not delete topics", { error: error.message, retryCount, retryTime }),
    },
  );
}

export interface CreatePartitionsOptions {
  validateOnly?: boolean;
  timeout?: number;
  topicPartitions: ITopicPartitionConfig[];
}

export async function createPartitions(
  ctx: AdminContext,
  { topicPartitions, validateOnly = false, timeout }: CreatePartitionsOptions,
): Promise<void> {
  if (!Array.isArray(topicPartitions))
    throw new KafkaJSNonRetriableError(`Invalid topic partitions array ${topicPartitions}`);
  if (topicPartitions.length === 0) throw new KafkaJSNonRetriableError("Empty topic partitions array");
  if (topicPartitions.some((t) => typeof t?.topic !== "string")) {
    throw new KafkaJSNonRetriableError("Invalid topic partitions array, the topic names have to be a valid string");
  }
  if (new Set(topicPartitions.map((t) => t.topic)).size < topicPartitions.length) {
    throw new KafkaJSNonRetriableError(
      "Invalid topic partitions array, it cannot have multiple entries for the same topic",
    );
  }
  await attempt(
    ctx,
    async () => {
      const controller = await controllerConnection(ctx);
      const response = await controller.request(
        Apis.CreatePartitions,
        {
          topics: topicPartitions.map((t) => ({
            name: t.topic,
            count: t.count,
            assignments:
              t.assignments && t.assignments.length > 0 ? t.assignments.map((brokerIds) => ({ brokerIds })) : null,
          })),
          timeoutMs: timeout ?? DEFAULT_TIMEOUT,
          validateOnly,
        },
        { extraTimeout: timeout ?? DEFAULT_TIMEOUT },
      );
      const failed = [...response.results]
        .sort((a, b) => a.name.localeCompare(b.name))
        .find((t) => t.errorCode !== ErrorCode.NONE);
      // The broker's own message says why (e.g. that partitions can only be added).
      if (failed) throw new KafkaJSProtocolError(failed.errorCode, failed.errorMessage);
    },
    {
      surface: (error) => error instanceof KafkaJSProtocolError && !hasType("NOT_CONTROLLER")(error),
      onRetry: (error, retryCount, retryTime) =>
        ctx.logger.warn("Could not create partitions", { error: error.message, retryCount, retryTime }),
    },
  );
}

/** Metadata, retried only while a leader is being elected (as kafkajs); any other error is the answer. */
function metadataOf(ctx: AdminContext, topics: string[] | null): Promise<MetadataResponse> {
  return attempt(
    ctx,
    async () => {
      const response = await requestMetadata(ctx, topics);
      throwIfMetadataErrors(response);
      return response;
    },
    { surface: (error) => error instanceof KafkaJSProtocolError && error.type !== "LEADER_NOT_AVAILABLE" },
  );
}

export async function listTopics(ctx: AdminContext): Promise<string[]> {
  const response = await metadataOf(ctx, null);
  return response.topics.map((t) => t.name);
}

export async function fetchTopicMetadata(
  ctx: AdminContext,
  { topics = [] }: { topics?: string[] } = {},
): Promise<{ topics: ITopicMetadata[] }> {
  for (const topic of topics ?? []) {
    if (!topic || typeof topic !== "string") throw new KafkaJSNonRetriableError(`Invalid topic ${topic}`);
  }
  const response = await metadataOf(ctx, topics && topics.length > 0 ? topics : null);
  return {
    topics: response.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p): PartitionMetadata => {
        const partition: PartitionMetadata = {
          partitionErrorCode: p.errorCode,
          partitionId: p.partitionIndex,
          leader: p.leaderId,
          replicas: p.replicaNodes,
          isr: p.isrNodes,
        };
        if (p.offlineReplicas !== undefined) partition.offlineReplicas = p.offlineReplicas;
        return partition;
      }),
    })),
  };
}

export async function describeCluster(ctx: AdminContext): Promise<{
  brokers: { nodeId: number; host: string; port: number }[];
  controller: number | null;
  clusterId: string | null;
}> {
  const response = await metadataOf(ctx, []);
  const controllerId = response.controllerId ?? -1;
  return {
    brokers: response.brokers.map(({ nodeId, host, port }) => ({ nodeId, host, port })),
    controller: controllerId === -1 ? null : controllerId,
    clusterId: response.clusterId ?? null,
  };
}
