// The admin client, with kafkajs's Admin API: topics, partitions, offsets, groups, configs.
// Each operation routes its requests as Kafka requires (controller, partition leaders, group
// coordinators, every broker for ListGroups) and retries retriable errors with the retrier.
import type { Cluster } from "../cluster.ts";
import { KafkaJSNotImplemented } from "../errors.ts";
import { adminEvents } from "../events.ts";
import { InstrumentationEmitter } from "../instrumentation.ts";
import type { Logger } from "../logger.ts";
import { createRetrier, type RetryOptions } from "../retry.ts";
import { alterConfigs, describeConfigs } from "./configs.ts";
import type { AdminContext } from "./context.ts";
import { deleteGroups, describeGroups, listGroups } from "./groups.ts";
import { fetchOffsets, fetchTopicOffsets, fetchTopicOffsetsByTimestamp, resetOffsets, setOffsets } from "./offsets.ts";
import { deleteTopicRecords } from "./records.ts";
import {
  createPartitions,
  createTopics,
  deleteTopics,
  describeCluster,
  fetchTopicMetadata,
  listTopics,
} from "./topics.ts";
import type { Admin } from "./types.ts";

export type * from "./types.ts";
export {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  ConfigResourceTypes,
  ConfigSource,
  ResourcePatternTypes,
} from "./types.ts";

export interface CreateAdminOptions {
  cluster: Cluster;
  logger: Logger;
  /** Defaults to the cluster's retry settings. */
  retry?: RetryOptions;
}

/** kafkajs's admin methods whose Kafka API the bundled broker does not offer. */
const notImplemented = (method: string, missingApi: string) => (): Promise<never> =>
  Promise.reject(
    new KafkaJSNotImplemented(
      `admin.${method}() is not implemented by this client: it needs Kafka's ${missingApi} API, which the bundled broker does not offer`,
    ),
  );

export function createAdmin({ cluster, logger, retry }: CreateAdminOptions): Admin {
  const ctx: AdminContext = { cluster, logger, retrier: retry ? createRetrier(retry) : cluster.retrier };
  const instrumentation = new InstrumentationEmitter(adminEvents, "admin", logger);
  cluster.instrument(instrumentation.network);

  return {
    connect: async () => {
      await cluster.connect();
      instrumentation.emit(adminEvents.CONNECT);
    },
    disconnect: async () => {
      cluster.disconnect();
      instrumentation.emit(adminEvents.DISCONNECT);
    },
    listTopics: () => listTopics(ctx),
    createTopics: (options) => createTopics(ctx, options),
    deleteTopics: (options) => deleteTopics(ctx, options),
    createPartitions: (options) => createPartitions(ctx, options),
    fetchTopicMetadata: (options) => fetchTopicMetadata(ctx, options),
    fetchOffsets: (options) => fetchOffsets(ctx, options),
    fetchTopicOffsets: (topic) => fetchTopicOffsets(ctx, topic),
    fetchTopicOffsetsByTimestamp: (topic, timestamp) => fetchTopicOffsetsByTimestamp(ctx, topic, timestamp),
    describeCluster: () => describeCluster(ctx),
    setOffsets: (options) => setOffsets(ctx, options),
    resetOffsets: (options) => resetOffsets(ctx, options),
    describeConfigs: (options) => describeConfigs(ctx, options),
    listGroups: () => listGroups(ctx),
    describeGroups: (groupIds) => describeGroups(ctx, groupIds),
    deleteGroups: (groupIds) => deleteGroups(ctx, groupIds),
    alterConfigs: (options) => alterConfigs(ctx, options),
    describeAcls: notImplemented("describeAcls", "DescribeAcls"),
    createAcls: notImplemented("createAcls", "CreateAcls"),
    deleteAcls: notImplemented("deleteAcls", "DeleteAcls"),
    deleteTopicRecords: (options) => deleteTopicRecords(ctx, options),
    alterPartitionReassignments: notImplemented("alterPartitionReassignments", "AlterPartitionReassignments"),
    listPartitionReassignments: notImplemented("listPartitionReassignments", "ListPartitionReassignments"),
    logger: () => logger,
    // biome-ignore lint/suspicious/noExplicitAny: kafkajs's own signature, kept for drop-in compatibility
    on: (eventName: string, listener: (event: any) => void) => instrumentation.on(eventName, listener),
    events: adminEvents,
  };
}
