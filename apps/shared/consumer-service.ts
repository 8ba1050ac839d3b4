// The frame every consumer service runs in: one consumer group on one topic, one call of the
// service's `handleBatch` per fetched batch, or of its `handleBatches` per group of batches (one
// fetch's partitions, and those that arrive while a group is handled: group-commit.ts), so a
// service can write one SQLite transaction per call; offsets committed after the batches are
// handled (unless the service commits them itself).
// Handlers must be idempotent: after a crash between their database commit and the offset commit,
// the batch is delivered again.
// Each service has a Prometheus registry (metrics.ts) with the frame's batch metrics and its own,
// served on METRICS_PORT (a free port unless set; the URL is logged as `metrics: http://…`).
//
// Owner of mutable state: the RunningService returned (its consumer, database client, metrics
// server and the partitions it owns).

import type { Registry } from "prom-client";
import type { Batch, ConsumerConfig, KafkaMessage } from "../../broker/client/consumer/types.ts";
import { createKafka, type KafkaClient, type KafkaClientConsumer } from "../../broker/client/factory.ts";
import { logLevel } from "../../broker/client/index.ts";
import type { AppConfig } from "./config.ts";
import { createDb, type Db } from "./db/client.ts";
import { groupCommit } from "./group-commit.ts";
import type { AppLog } from "./log.ts";
import { createLog } from "./log.ts";
import { batchMetrics, createRegistry, type MetricsServer, metricsPortFrom, startMetricsServer } from "./metrics.ts";

export interface ServiceContext {
  config: AppConfig;
  db: Db;
  kafka: KafkaClient;
  log: AppLog;
  /** The process's metrics: the frame's batch metrics are in it; a service adds its own in setup. */
  metrics: Registry;
}

/**
 * The group settings every service starts from. A handler may run as long as a rebalance may take
 * (rebalanceTimeout) before its member is out of the group: the ledger's max poll interval.
 */
export const FRAME_GROUP_SETTINGS = {
  sessionTimeout: 10_000,
  rebalanceTimeout: 20_000,
  heartbeatInterval: 1_000,
} as const;

export interface BatchOf {
  topic: string;
  partition: number;
  messages: KafkaMessage[];
}

/** A service handles each batch on its own, or groups of them. */
export type ConsumerServiceDefinition = ConsumerServiceFrame &
  (
    | {
        /** Handle one fetched batch of one partition, in offset order. Must be idempotent. */
        handleBatch(batch: BatchOf, ctx: ServiceContext): Promise<void>;
        handleBatches?: never;
      }
    | {
        /**
         * Handle batches of different partitions (at most one of each, in offset order) together,
         * as they come from one fetch or gathered while the previous group was handled. Must be
         * idempotent.
         */
        handleBatches(batches: BatchOf[], ctx: ServiceContext): Promise<void>;
        handleBatch?: never;
      }
  );

interface ConsumerServiceFrame {
  /** Service name, used in logs and as the Kafka clientId. */
  name: string;
  groupId: string;
  topic: string;
  /** Group settings over the frame's defaults (e.g. the ledger's static membership or assignor). */
  consumerOptions?: Partial<Omit<ConsumerConfig, "groupId">>;
  /** Prepare anything the handler needs (e.g. a producer); called once before consuming. */
  setup?(ctx: ServiceContext): Promise<void>;
  /** Sees the consumer before it connects, e.g. to listen to its instrumentation events. */
  instrument?(consumer: KafkaClientConsumer, ctx: ServiceContext): void;
  /**
   * The service commits its offsets itself (the ledger's transactional mode sends them in its Kafka
   * transactions): the frame then commits none.
   */
  commitsOffsets?: boolean;
  teardown?(ctx: ServiceContext): Promise<void>;
}

export interface RunningService {
  ctx: ServiceContext;
  /** Where the metrics are served, or null when METRICS_PORT is "off". */
  metricsUrl: string | null;
  /** Partitions currently owned by this member. */
  assignment(): number[];
  stop(): Promise<void>;
}

/** Creates the topic with the configured partition count if it does not exist yet. */
export async function ensureTopics(kafka: KafkaClient, topics: string[], partitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: topics.map((topic) => ({ topic, numPartitions: partitions })),
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
}

/** The definition's handler as one call per batch; grouped batches share their group's call. */
function batchHandler(definition: ConsumerServiceDefinition, ctx: ServiceContext): (batch: BatchOf) => Promise<void> {
  if (definition.handleBatches === undefined) return (batch) => definition.handleBatch(batch, ctx);
  const handleBatches = definition.handleBatches;
  const grouped = groupCommit(
    (batches: BatchOf[]) => handleBatches(batches, ctx),
    async () => {},
  );
  return (batch) => grouped([batch]);
}

export interface ServiceOptions {
  /** Where to serve metrics: 0 for a free port, null for nowhere; METRICS_PORT by default. */
  metricsPort?: number | null;
}

export async function startConsumerService(
  definition: ConsumerServiceDefinition,
  config: AppConfig,
  log: AppLog = createLog(definition.name),
  { metricsPort = metricsPortFrom(process.env) }: ServiceOptions = {},
): Promise<RunningService> {
  const kafka = await createKafka({ clientId: definition.name, brokers: config.brokers, logLevel: logLevel.NOTHING });
  const db = createDb(config.databaseUrl);
  const metrics = createRegistry(definition.name);
  const batches = batchMetrics(metrics);
  const ctx: ServiceContext = { config, db, kafka, log, metrics };
  await ensureTopics(kafka, [definition.topic], config.partitions);
  await definition.setup?.(ctx);
  const metricsServer: MetricsServer | null =
    metricsPort === null ? null : await startMetricsServer(metrics, metricsPort, log, config.httpHost);

  // Larger fetches when a service is behind: fewer, bigger batches (one transaction each) catch up
  // faster — measured +10 % for the ledger draining a backlog.
  const consumer = kafka.consumer({
    groupId: definition.groupId,
    ...FRAME_GROUP_SETTINGS,
    maxBytesPerPartition: 4 << 20,
    maxBytes: 16 << 20,
    ...definition.consumerOptions,
  });
  definition.instrument?.(consumer, ctx);
  const handle = batchHandler(definition, ctx);
  let owned: number[] = [];
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    owned = [...(payload.memberAssignment[definition.topic] ?? [])].sort((a, b) => a - b);
    log.info(
      `joined group ${definition.groupId} as ${payload.memberId}${payload.isLeader ? " (leader)" : ""}: partitions [${owned.join(", ")}] of ${definition.topic}`,
    );
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    log.error(`consumer crashed${payload.restart ? ", restarting" : ""}`, payload.error);
    // A consumer that will not restart consumes nothing more: end the process, so whoever runs it
    // (npm start, a supervisor) sees it and starts a fresh one, which resumes at committed offsets.
    if (!payload.restart) process.exit(1);
  });

  await consumer.connect();
  await consumer.subscribe({ topics: [definition.topic], fromBeginning: true });
  await consumer.run({
    partitionsConsumedConcurrently: config.partitions,
    autoCommit: definition.commitsOffsets !== true,
    eachBatch: async ({ batch }: { batch: Batch }) => {
      if (batch.messages.length === 0) return;
      batches.batches.inc({ topic: batch.topic });
      batches.batchRecords.observe({ topic: batch.topic }, batch.messages.length);
      const timer = batches.handleSeconds.startTimer({ topic: batch.topic });
      try {
        await handle({ topic: batch.topic, partition: batch.partition, messages: batch.messages });
        timer({ result: "ok" });
      } catch (error) {
        timer({ result: "error" });
        throw error;
      }
    },
  });
  log.info(`consuming ${definition.topic} as group ${definition.groupId}`);

  let stopped: Promise<void> | undefined;
  return {
    ctx,
    metricsUrl: metricsServer?.url ?? null,
    assignment: () => owned,
    stop: () =>
      (stopped ??= (async () => {
        await consumer.disconnect();
        await metricsServer?.close();
        await definition.teardown?.(ctx);
        await db.$disconnect();
        log.info("stopped");
      })()),
  };
}
