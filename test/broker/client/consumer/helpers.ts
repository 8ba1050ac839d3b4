// Shared pieces of the consumer tests: our consumer built on its own Cluster (the tests do not
// depend on the rest of the client being finished), kafkajs clients to produce test data and to
// mix into groups, and waiting for conditions with a deadline.
import { Kafka as KafkaJS, logLevel as kafkajsLogLevel, type Admin, type Producer } from "kafkajs";
import { Cluster } from "../../../../broker/client/cluster.ts";
import { createConsumer, type Consumer, type ConsumerConfig } from "../../../../broker/client/consumer/index.ts";
import { createLogger, logLevel } from "../../../../broker/client/logger.ts";
import type { BrokerProcess } from "../../../helpers/broker-process.ts";

export const quickGroupBrokerConfig = {
  "group.min.session.timeout.ms": 1000,
  "group.initial.rebalance.delay.ms": 0,
} as const;

/** Group settings that keep tests quick (the broker must accept 1 s session timeouts). */
export function quickConsumerConfig(groupId: string, extra: Partial<ConsumerConfig> = {}): ConsumerConfig {
  return {
    groupId,
    sessionTimeout: 6000,
    rebalanceTimeout: 10_000,
    heartbeatInterval: 300,
    maxWaitTimeInMs: 250,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1000, restartOnFailure: async () => false },
    ...extra,
  };
}

export function ourConsumer(address: string, config: ConsumerConfig, clientId = "consumer-test"): Consumer {
  const logger = createLogger(process.env.CONSUMER_TEST_LOG ? logLevel.DEBUG : logLevel.NOTHING);
  const cluster = new Cluster({
    brokers: [address],
    clientId,
    connectionTimeout: 3000,
    requestTimeout: 15_000,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1000 },
    logger,
    allowAutoTopicCreation: config.allowAutoTopicCreation ?? true,
  });
  return createConsumer({ ...config, cluster, logger: logger.namespace("Consumer") });
}

export function kafkajsClient(address: string, clientId = "consumer-test-kafkajs"): KafkaJS {
  return new KafkaJS({
    clientId,
    brokers: [address],
    logLevel: kafkajsLogLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 15_000,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1000 },
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `condition` until it holds; fails with `message` after the deadline. */
export async function waitFor(condition: () => boolean | Promise<boolean>, message: string | (() => string), timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${typeof message === "function" ? message() : message}`);
    await sleep(25);
  }
}

/** Runs every step even when one fails; for `after` hooks. */
export async function cleanupAll(...steps: Array<(() => unknown) | undefined>): Promise<void> {
  for (const step of steps) {
    if (!step) continue;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([step(), new Promise((resolve) => (timer = setTimeout(resolve, 10_000)))]);
    } catch {
      // keep cleaning up
    } finally {
      clearTimeout(timer);
    }
  }
}

export interface TestRig {
  admin: Admin;
  producer: Producer;
  createTopic(topic: string, numPartitions: number): Promise<void>;
}

export async function connectRig(broker: BrokerProcess): Promise<TestRig> {
  const kafka = kafkajsClient(broker.address);
  const admin = kafka.admin();
  await admin.connect();
  const producer = kafka.producer();
  await producer.connect();
  return {
    admin,
    producer,
    async createTopic(topic, numPartitions) {
      await admin.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: true });
    },
  };
}

export interface Received {
  topic: string;
  partition: number;
  offset: bigint;
  key: string | null;
  value: string;
}

export const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** For each partition, whether the offsets seen are strictly increasing. */
export function inOrderPerPartition(received: Received[]): boolean {
  const last = new Map<string, bigint>();
  for (const r of received) {
    const key = `${r.topic}/${r.partition}`;
    const previous = last.get(key);
    if (previous !== undefined && r.offset <= previous) return false;
    last.set(key, r.offset);
  }
  return true;
}
