// Shared pieces of the consumer tests: our consumer built on its own Cluster (the tests do not
// depend on the rest of the client), group settings that keep rebalances quick, and kafkajs
// clients to produce test data.

import { after, before } from "node:test";
import type { Admin, Producer } from "kafkajs";
import { type Consumer, type ConsumerConfig, createConsumer } from "../../../../broker/client/consumer/index.ts";
import { createLogger, logLevel } from "../../../../broker/client/logger.ts";
import { type BrokerProcess, startBroker } from "../../../helpers/broker-process.ts";
import { cleanupAll, kafkajsClient, ourCluster, quickGroupBrokerConfig } from "../helpers.ts";

export { cleanupAll, kafkajsClient, quickGroupBrokerConfig, waitFor } from "../helpers.ts";

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
  const cluster = ourCluster(address, {
    clientId,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1000 },
    logger,
    allowAutoTopicCreation: config.allowAutoTopicCreation ?? true,
  });
  return createConsumer({ ...config, cluster, logger: logger.namespace("Consumer") });
}

export interface TestRig {
  admin: Admin;
  producer: Producer;
  createTopic(topic: string, numPartitions: number): Promise<void>;
}

export async function connectRig(broker: BrokerProcess): Promise<TestRig> {
  const kafka = kafkajsClient(broker.address, "consumer-test-kafkajs");
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

export interface ConsumerSuite {
  broker(): BrokerProcess;
  rig(): TestRig;
  /** A client to disconnect after the suite's tests. */
  track<T extends { disconnect(): Promise<void> }>(client: T): T;
}

/**
 * For a describe block: a broker with quick group settings and a kafkajs rig, ready before its
 * tests; after them every tracked client is disconnected, the rig closed and the broker removed.
 * `adminPort: 0` gives the broker an admin listener (its event journal) on a free port.
 */
export function useConsumerSuite(options: { adminPort?: number } = {}): ConsumerSuite {
  let broker: BrokerProcess | undefined;
  let rig: TestRig | undefined;
  const clients: Array<{ disconnect(): Promise<void> }> = [];
  before(async () => {
    broker = await startBroker({ config: quickGroupBrokerConfig, ...options });
    rig = await connectRig(broker);
  });
  after(async () => {
    await cleanupAll(
      ...clients.map((client) => () => client.disconnect()),
      () => rig?.producer.disconnect(),
      () => rig?.admin.disconnect(),
      () => broker?.cleanup(),
    );
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("the suite has not started");
    return value;
  };
  return {
    broker: () => started(broker),
    rig: () => started(rig),
    track: (client) => {
      clients.push(client);
      return client;
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
