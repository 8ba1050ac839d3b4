// Shared pieces of the conformance suite: every scenario runs once with the real kafkajs and once
// with our client, both obtained through the app-facing factory, so the suite checks exactly what
// apps get when they flip KAFKA_CLIENT.
import assert from "node:assert/strict";
import { after, before } from "node:test";
import type { Admin, Consumer, ConsumerConfig, Kafka, KafkaConfig, Producer } from "kafkajs";
// kafkajs is CommonJS: Node's ESM named exports miss its error classes, module.exports has them all.
import kafkajsExports, * as kafkajs from "kafkajs";
import { createKafka } from "../../broker/client/factory.ts";
import * as ours from "../../broker/client/index.ts";
import { Apis } from "../../broker/protocol/apis.ts";
import { splitBatches } from "../../broker/protocol/record-batch/splitter.ts";
import { quickGroupBrokerConfig as sharedQuickGroupBrokerConfig } from "../broker/client/helpers.ts";
import type { BrokerProcess } from "../helpers/broker-process.ts";
import { fetchRequest, recordBytes } from "../helpers/requests.ts";
import { disconnectQuietly } from "../helpers/wait.ts";
import { WireClient } from "../helpers/wire-client.ts";

export { describeError, rejectionOf, waitFor } from "../broker/client/helpers.ts";
export { useBroker, withBrokerLog } from "../helpers/broker-process.ts";

export const clientKinds = ["kafkajs", "ours"] as const;
export type ClientKind = (typeof clientKinds)[number];

/**
 * A Kafka instance of the given kind, typed with kafkajs's API since that is the contract both
 * honour. KAFKA_CLIENT and KAFKA_BROKERS are set only around the factory call (it reads them at
 * call time), so a developer's environment cannot point the suite at another cluster.
 */
export async function kafkaFor(
  kind: ClientKind,
  address: string,
  clientId: string,
  extra: Partial<KafkaConfig> = {},
): Promise<Kafka> {
  const saved = { client: process.env.KAFKA_CLIENT, brokers: process.env.KAFKA_BROKERS };
  process.env.KAFKA_CLIENT = kind;
  delete process.env.KAFKA_BROKERS;
  try {
    const kafka = await createKafka({
      clientId,
      brokers: [address],
      logLevel: kafkajs.logLevel.NOTHING,
      connectionTimeout: 3000,
      requestTimeout: 15_000,
      retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1000 },
      ...extra,
    } as Parameters<typeof createKafka>[0]);
    const isOurs = kafka instanceof ours.Kafka;
    const isKafkajs = kafka instanceof kafkajs.Kafka;
    if (kind === "ours" ? !isOurs || isKafkajs : !isKafkajs)
      throw new Error(`the factory did not return a ${kind} client for KAFKA_CLIENT=${kind}`);
    return kafka as unknown as Kafka;
  } finally {
    restoreEnv("KAFKA_CLIENT", saved.client);
    restoreEnv("KAFKA_BROKERS", saved.brokers);
  }
}

function restoreEnv(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

type ErrorClass = abstract new (...args: never[]) => Error;

export interface ErrorClasses {
  KafkaJSError: ErrorClass;
  KafkaJSProtocolError: ErrorClass;
  KafkaJSNonRetriableError: ErrorClass;
  KafkaJSNumberOfRetriesExceeded: ErrorClass;
  KafkaJSConnectionError: ErrorClass;
  KafkaJSDeleteGroupsError: ErrorClass;
  KafkaJSCreateTopicError: ErrorClass;
  KafkaJSAggregateError: ErrorClass;
}

/** The error classes a client's users test with `instanceof`: each package's own. */
export function errorClassesOf(kind: ClientKind): ErrorClasses {
  // KafkaJSCreateTopicError is exported at runtime but missing from kafkajs's declarations.
  return kind === "kafkajs" ? (kafkajsExports as unknown as ErrorClasses) : ours;
}

/** Kafka's error name on the error or on its cause, as kafkajs nests it under retries-exceeded. */
export function errorType(error: unknown): string | undefined {
  const e = error as { type?: string; cause?: { type?: string } } | undefined;
  return e?.type ?? e?.cause?.type;
}

/** Unique per client and scenario, so one broker serves every scenario of a file. */
export function topicName(kind: ClientKind | "cross", scenario: string): string {
  return `${scenario}-${kind}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Group settings that keep rebalances quick; the broker must run with quickGroupBrokerConfig. */
export function quickConsumerConfig(groupId: string, extra: Partial<ConsumerConfig> = {}): ConsumerConfig {
  return {
    groupId,
    sessionTimeout: 4000,
    rebalanceTimeout: 8000,
    heartbeatInterval: 400,
    maxWaitTimeInMs: 200,
    // A consumer that gives up stays down instead of restarting forever and keeping the test alive.
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1000, restartOnFailure: async () => false },
    ...extra,
  };
}

export const quickGroupBrokerConfig = { ...sharedQuickGroupBrokerConfig, "offsets.topic.num.partitions": 3 } as const;

/** Clients a test creates, disconnected by `closeAll` whatever happened. */
export class ClientPool {
  private readonly clients: Array<{ disconnect(): Promise<void> }> = [];

  track<T extends { disconnect(): Promise<void> }>(client: T): T {
    this.clients.push(client);
    return client;
  }

  async closeAll(): Promise<void> {
    const clients = this.clients.splice(0).reverse();
    await Promise.all(clients.map((c) => disconnectQuietly(c)));
  }
}

/** A describe block's clients of one kind: a Kafka, a connected admin and producer, and what its tests track. */
export interface KindClients {
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly producer: Producer;
  /** Clients the tests make, closed after them. */
  readonly pool: ClientPool;
  /** A topic of its own for `scenario`, created with its leaders elected. */
  createTopic(scenario: string, numPartitions: number): Promise<string>;
  /** A consumer of `groupId` with the quick group settings (and `extra`), closed after the tests. */
  consumer(groupId: string, extra?: Partial<ConsumerConfig>): Consumer;
}

export interface KindClientsOptions {
  /** Client settings on top of the suite's (fewer retries, say). */
  kafka?: Partial<KafkaConfig>;
  /** Runs after the tests, before the clients are closed (to release a handler a test holds, say). */
  beforeClose?: () => unknown;
}

/**
 * For the describe block of one client kind: its clients connect to `broker` before the tests and
 * everything tracked in `pool` is closed after them.
 */
export function useClientsOf(
  kind: ClientKind,
  broker: BrokerProcess,
  clientId: string,
  options: KindClientsOptions = {},
): KindClients {
  const pool = new ClientPool();
  let connected: { kafka: Kafka; admin: Admin; producer: Producer } | undefined;
  before(async () => {
    const kafka = await kafkaFor(kind, broker.address, clientId, options.kafka);
    connected = { kafka, admin: await connectedAdmin(kafka, pool), producer: await connectedProducer(kafka, pool) };
  });
  after(async () => {
    await options.beforeClose?.();
    await pool.closeAll();
  });
  const clients = () => {
    if (connected === undefined) throw new Error(`the ${kind} clients have not connected`);
    return connected;
  };
  return {
    get kafka() {
      return clients().kafka;
    },
    get admin() {
      return clients().admin;
    },
    get producer() {
      return clients().producer;
    },
    pool,
    async createTopic(scenario, numPartitions) {
      const topic = topicName(kind, scenario);
      const created = await clients().admin.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: true });
      assert.equal(created, true);
      return topic;
    },
    consumer: (groupId, extra = {}) => pool.track(clients().kafka.consumer(quickConsumerConfig(groupId, extra))),
  };
}

export async function connectedAdmin(kafka: Kafka, pool: ClientPool): Promise<Admin> {
  const admin = pool.track(kafka.admin());
  await admin.connect();
  return admin;
}

export async function connectedProducer(
  kafka: Kafka,
  pool: ClientPool,
  config: Parameters<Kafka["producer"]>[0] = {},
): Promise<Producer> {
  const producer = pool.track(kafka.producer(config));
  await producer.connect();
  return producer;
}

export interface Received {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  timestamp: string;
  headers: Record<string, string | string[] | undefined>;
}

/** A delivered message as plain data (headers decoded; repeated header names stay arrays). */
export function toReceived(topic: string, partition: number, message: kafkajs.KafkaMessage): Received {
  const headers: Received["headers"] = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    headers[name] = Array.isArray(value) ? value.map((v) => v.toString()) : value?.toString();
  }
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key === null ? null : message.key.toString(),
    value: message.value === null ? null : message.value.toString(),
    timestamp: message.timestamp,
    headers,
  };
}

/** Connects `consumer`, subscribes it to `topic` from the beginning and delivers every message into `sink`. */
export async function collectFromBeginning(
  consumer: Consumer,
  topic: string,
  sink: Received[],
  extra: Partial<kafkajs.ConsumerRunConfig> = {},
): Promise<void> {
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await runCollecting(consumer, sink, extra);
}

/** Starts `consumer` delivering every message into `sink`. */
export async function runCollecting(
  consumer: Consumer,
  sink: Received[],
  extra: Partial<kafkajs.ConsumerRunConfig> = {},
): Promise<void> {
  await consumer.run({
    ...extra,
    eachMessage: async ({ topic, partition, message }) => {
      sink.push(toReceived(topic, partition, message));
    },
  });
}

/** Committed offsets of a group on a topic as { partition: offset }. */
export async function committedOffsets(admin: Admin, groupId: string, topic: string): Promise<Record<number, string>> {
  const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return Object.fromEntries((entry?.partitions ?? []).map((p) => [p.partition, p.offset]));
}

/** End offsets (high watermarks) of a topic as { partition: offset }. */
export async function highWatermarks(admin: Admin, topic: string): Promise<Record<number, string>> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return Object.fromEntries(offsets.map((p) => [p.partition, p.high]));
}

// ---------------------------------------------------------------------------------------------
// What is stored, seen through a raw Fetch: proves a producer really compressed its batches.

/** The compression codec (0 none, 1 gzip, ...) of every record batch in a partition, in order. */
export async function storedBatchCodecs(address: string, topic: string, partition: number): Promise<number[]> {
  const wire = await WireClient.connect(address);
  try {
    const response = await wire.request(
      Apis.Fetch,
      11,
      fetchRequest([{ topic, partition, fetchOffset: 0n }], { minBytes: 0, maxBytes: 64 * 1024 * 1024 }),
    );
    const data = response.responses[0]!.partitions[0]!;
    if (data.errorCode !== 0) throw new Error(`raw fetch of ${topic}/${partition}: error code ${data.errorCode}`);
    const layout = splitBatches(recordBytes(data.records));
    if (layout.problem) throw new Error(`raw fetch of ${topic}/${partition}: ${layout.problem.message}`);
    return layout.batches.map((b) => b.header.attributes & 0x07);
  } finally {
    wire.close();
  }
}
