// Shared pieces of the acceptance tests: a suite's broker process with the clients it lets go
// afterwards, kafkajs clients with short timeouts, broker shutdown, and consumers collecting what
// they get. Generic waiting, cleanup, assignment tracking, raw wire requests and kcat runs are in
// ../helpers/.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { after, before } from "node:test";
import {
  type Admin,
  type Consumer,
  type ConsumerConfig,
  Kafka,
  type KafkaConfig,
  logLevel,
  type Producer,
} from "kafkajs";
import { runsEntryPoint } from "../../apps/shared/entry-point.ts";
import { type BrokerProcess, startBroker } from "../helpers/broker-process.ts";
import { cleanupAll, disconnectQuietly, sleep } from "../helpers/wait.ts";

export { withBrokerLog } from "../helpers/broker-process.ts";

/** Every `type` (Kafka error name) and message along an error's cause chain, as kafkajs nests them. */
export function errorChain(error: unknown): { types: string[]; messages: string[] } {
  const types: string[] = [];
  const messages: string[] = [];
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current !== null && typeof current === "object" && !seen.has(current)) {
    seen.add(current);
    const e = current as { type?: unknown; message?: unknown; cause?: unknown; originalError?: unknown };
    if (typeof e.type === "string") types.push(e.type);
    if (typeof e.message === "string") messages.push(e.message);
    current = e.cause ?? e.originalError;
  }
  return { types, messages };
}

/** A kafkajs client with a small retry budget, silent logs, short connection timeouts. */
export function kafkaClient(address: string, clientId: string, extra: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({
    clientId,
    brokers: [address],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 15_000,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1000 },
    ...extra,
  });
}

/** Consumer settings that keep group tests quick; the broker must run with group.min.session.timeout.ms ≤ 3000. */
export function quickConsumerConfig(groupId: string, extra: Partial<ConsumerConfig> = {}): ConsumerConfig {
  return {
    groupId,
    sessionTimeout: 6000,
    rebalanceTimeout: 10_000,
    heartbeatInterval: 500,
    maxWaitTimeInMs: 250,
    // A consumer that gives up stays down instead of retrying forever and keeping the test process alive.
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1000, restartOnFailure: async () => false },
    ...extra,
  };
}

/** Broker configs shared by the group tests: short session timeouts accepted. */
export const quickGroupBrokerConfig = {
  "group.min.session.timeout.ms": 1000,
  "group.initial.rebalance.delay.ms": 0,
  "offsets.topic.num.partitions": 5,
} as const;

/** Pids of the broker processes serving `dataDir` (found through /proc, by their --data-dir argument). */
export function brokerPids(dataDir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      const at = args.indexOf("--data-dir");
      if (at >= 0 && args[at + 1] === dataDir && runsEntryPoint(args, "broker/server/main.ts"))
        pids.push(Number(entry));
    } catch {
      // the process is gone
    }
  }
  return pids;
}

/**
 * SIGTERM with a deadline, then the data dir goes. A broker stuck in its shutdown is killed by
 * pid (`stop()` has already let go of its handle, so `cleanup()` alone would leave it running).
 */
export async function shutdownBroker(broker: BrokerProcess | undefined): Promise<void> {
  if (broker === undefined) return;
  const stopped = await Promise.race([broker.stop().then(() => true), sleep(10_000).then(() => false)]);
  if (!stopped) {
    for (const pid of brokerPids(broker.dataDir)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
  await broker.cleanup();
}

export interface ReceivedMessage {
  topic: string;
  partition: number;
  offset: bigint;
  key: string | null;
  value: string;
  timestamp: string;
  headers: Record<string, string>;
}

/** Connects `consumer`, subscribes it to `topic` from the beginning and collects what it delivers into `sink`. */
export async function collectFromBeginning(consumer: Consumer, topic: string, sink: ReceivedMessage[]): Promise<void> {
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(message.headers ?? {})) {
        headers[name] = Array.isArray(value) ? value.map((v) => v.toString()).join(",") : (value?.toString() ?? "");
      }
      sink.push({
        topic,
        partition,
        offset: BigInt(message.offset),
        key: message.key === null ? null : message.key.toString(),
        value: message.value?.toString() ?? "",
        timestamp: message.timestamp,
        headers,
      });
    },
  });
}

type Disconnectable = { disconnect(): Promise<void> };

/** A describe block's broker process and what its tests leave connected. */
export interface AcceptanceBroker {
  /** The broker process (reading it before the suite has started throws). */
  readonly broker: BrokerProcess;
  /** Lets `client` go after the suite's tests, the latest tracked first, each bounded; then the broker shuts down. */
  track<T extends Disconnectable>(client: T): T;
  /** Tracks `client` and connects it. */
  connect<T extends Disconnectable & { connect(): Promise<void> }>(client: T): Promise<T>;
}

/**
 * For a describe block: a broker with quickGroupBrokerConfig (and `config` on top) started before
 * its tests; after them every tracked client is let go and the broker shut down.
 */
export function useAcceptanceBroker(config: Record<string, string | number | boolean> = {}): AcceptanceBroker {
  let broker: BrokerProcess | undefined;
  const clients: Disconnectable[] = [];
  before(async () => {
    broker = await startBroker({ config: { ...quickGroupBrokerConfig, ...config } });
  });
  after(async () => {
    const closing = clients.splice(0).reverse();
    await cleanupAll(...closing.map((c) => () => disconnectQuietly(c)), () => shutdownBroker(broker));
  });
  const track = <T extends Disconnectable>(client: T): T => {
    clients.push(client);
    return client;
  };
  return {
    get broker() {
      if (broker === undefined) throw new Error("the suite's broker has not started");
      return broker;
    },
    track,
    async connect(client) {
      await track(client).connect();
      return client;
    },
  };
}

/** The usual acceptance suite: its broker, a kafkajs client of it, a connected admin and producer. */
export interface AcceptanceSuite extends AcceptanceBroker {
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly producer: Producer;
  /** Creates `topic` with its leaders elected; fails when it existed already. */
  createTopic(topic: string, numPartitions: number): Promise<void>;
  /** A consumer of `groupId` with the quick group settings, let go after the suite. */
  consumer(groupId: string): Consumer;
}

/** As useAcceptanceBroker, with a kafkajs client (`clientId`) whose admin and producer connect before the tests. */
export function useAcceptanceSuite(
  clientId: string,
  config: Record<string, string | number | boolean> = {},
): AcceptanceSuite {
  const base = useAcceptanceBroker(config);
  let clients: { kafka: Kafka; admin: Admin; producer: Producer } | undefined;
  before(async () => {
    const kafka = kafkaClient(base.broker.address, clientId);
    clients = { kafka, admin: await base.connect(kafka.admin()), producer: await base.connect(kafka.producer()) };
  });
  const started = () => {
    if (clients === undefined) throw new Error("the suite's clients have not connected");
    return clients;
  };
  return {
    get broker() {
      return base.broker;
    },
    track: base.track,
    connect: base.connect,
    get kafka() {
      return started().kafka;
    },
    get admin() {
      return started().admin;
    },
    get producer() {
      return started().producer;
    },
    async createTopic(topic, numPartitions) {
      const created = await started().admin.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: true });
      assert.equal(created, true, `topic ${topic} existed already`);
    },
    consumer: (groupId) => base.track(started().kafka.consumer(quickConsumerConfig(groupId))),
  };
}
