// What scenarios share: our Kafka client on the scenario's system (quiet, quick to retry), a topic
// created with a given number of partitions, group settings that make a join or a leave show within
// a second or two, the demo's users seeded, and waiting for a condition with a named deadline.
// Every client a scenario opens goes through a Clients, so it is closed however the scenario ends.
//
// Ownership: a Clients owns the producers, consumers and admins it opened until closeAll().

import { loadConfig } from "../../apps/shared/config.ts";
import { COMMANDS_TOPIC, EVENTS_TOPIC, type PointsCommand } from "../../apps/shared/topics.ts";
import type { Admin } from "../../broker/client/admin/index.ts";
import { Cluster } from "../../broker/client/cluster.ts";
import type { Consumer, ConsumerConfig } from "../../broker/client/consumer/index.ts";
import { Kafka, logLevel } from "../../broker/client/index.ts";
import { createLogger } from "../../broker/client/logger.ts";
import type { Producer, ProducerConfig } from "../../broker/client/producer/index.ts";
import { waitUntil as pollUntil } from "../fault/wait-until.ts";
import { type SeedResult, seedDemo } from "../seed-demo.ts";
import type { ScenarioSystem } from "./scenario.ts";

export { COMMANDS_TOPIC, EVENTS_TOPIC };

/** A client of our own on the scenario's system; logs nothing, so the narration stays clean. */
export function kafkaOn(system: ScenarioSystem, clientId = "scenario"): Kafka {
  return new Kafka({
    clientId,
    brokers: system.bootstrap,
    logLevel: logLevel.NOTHING,
    retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 1_000 },
  });
}

/**
 * Our client's cluster view on the scenario's system, for scenarios that show the wire itself (a
 * raw Fetch, ListOffsets at an isolation level, a batch sent twice); the caller disconnects it.
 */
export function wireCluster(system: ScenarioSystem, clientId: string): Cluster {
  return new Cluster({
    brokers: system.bootstrap,
    clientId,
    connectionTimeout: 2_000,
    requestTimeout: 10_000,
    retry: { retries: 3, initialRetryTime: 100 },
    logger: createLogger(logLevel.NOTHING),
    allowAutoTopicCreation: false,
  });
}

/** Group settings for scenarios: a member that leaves or dies is noticed in seconds, not tens. */
export function quickGroup(groupId: string, extra: Partial<ConsumerConfig> = {}): ConsumerConfig {
  return {
    groupId,
    sessionTimeout: 6_000,
    rebalanceTimeout: 6_000,
    heartbeatInterval: 300,
    maxWaitTimeInMs: 100,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1_000, restartOnFailure: async () => false },
    ...extra,
  };
}

/** Opens clients on one system and closes every one of them at the end. */
export class Clients {
  private readonly kafka: Kafka;
  private readonly open: Array<{ disconnect(): Promise<void> }> = [];

  constructor(system: ScenarioSystem, clientId = "scenario") {
    this.kafka = kafkaOn(system, clientId);
  }

  async producer(config: ProducerConfig = {}): Promise<Producer> {
    const producer = this.kafka.producer(config);
    this.open.push(producer);
    await producer.connect();
    return producer;
  }

  /** A consumer, connected (not yet subscribed or running). */
  async consumer(config: ConsumerConfig): Promise<Consumer> {
    const consumer = this.kafka.consumer(config);
    this.open.push(consumer);
    await consumer.connect();
    return consumer;
  }

  async admin(): Promise<Admin> {
    const admin = this.kafka.admin();
    this.open.push(admin);
    await admin.connect();
    return admin;
  }

  /** Creates `topic` with `partitions` partitions and waits for their leaders. */
  async createTopic(topic: string, partitions: number): Promise<void> {
    const admin = await this.admin();
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  }

  /** Closes every client opened (last first), none waited on longer than 5 s; never throws. */
  async closeAll(): Promise<void> {
    for (const client of this.open.splice(0).reverse())
      await Promise.race([
        client.disconnect().catch(() => undefined),
        new Promise((resolve) => setTimeout(resolve, 5_000).unref()),
      ]);
  }
}

/** Runs `body` with a Clients on the system, closed afterwards whatever happened. */
export async function withClients<T>(system: ScenarioSystem, body: (clients: Clients) => Promise<T>): Promise<T> {
  const clients = new Clients(system);
  try {
    return await body(clients);
  } finally {
    await clients.closeAll();
  }
}

/**
 * Polls `condition` (every 50 ms) until it holds; after `timeoutMs` throws "timed out … waiting for
 * <what>", which ends the scenario as failed. A condition that throws counts as not holding yet.
 */
export function waitUntil(
  what: string | (() => string | Promise<string>),
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  return pollUntil(condition, { timeoutMs, intervalMs: 50, message: what });
}

/**
 * The demo's stores, terminals and `users` users (points-api's tables in the system's SQLite file),
 * with their opening balances sent as charge commands on points.commands (`partitions` of them).
 */
export function seedUsers(system: ScenarioSystem, users = 20, partitions = 3): Promise<SeedResult> {
  const config = loadConfig({
    DATA_DIR: system.dataDir,
    DATABASE_URL: system.databaseUrl,
    KAFKA_BROKERS: system.bootstrap.join(","),
    POINTS_PARTITIONS: String(partitions),
  });
  return seedDemo(config, { users });
}

/** A points command as points-api would put it on points.commands. */
export function pointsCommand(
  userId: string,
  n: number,
  type: PointsCommand["type"] = "charge",
  amount = 100,
): PointsCommand {
  return {
    commandId: `${userId}-cmd-${n}`,
    type,
    userId,
    amount,
    storeId: "store-1",
    terminalId: "store-1-pos-1",
    issuedAt: new Date().toISOString(),
  };
}

/** `user-0001`, `user-0002`, … like the demo's users. */
export function userIds(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `user-${String(i + 1).padStart(4, "0")}`);
}

/** A record as a scenario's member saw it. */
export interface SeenRecord {
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
}

/** A group member a scenario watches: what it was assigned at its last join and every record it read. */
export interface WatchedMember {
  name: string;
  consumer: Consumer;
  /** The partitions of the topic its last join gave it (empty: none, not joined yet, or rejoining). */
  assigned: number[];
  /** True from a rebalance's start until its join completes. */
  rebalancing: boolean;
  /** How many times it joined (one per generation it took part in). */
  joins: number;
  seen: SeenRecord[];
  /** The partitions it read records of. */
  partitionsRead(): number[];
}

/**
 * A member of `groupId` reading `topic` from the beginning, connected, subscribed and running; its
 * assignment and records are kept on the returned object as they come.
 */
export async function startMember(
  clients: Clients,
  name: string,
  groupId: string,
  topic: string,
  extra: Partial<ConsumerConfig> = {},
): Promise<WatchedMember> {
  const consumer = await clients.consumer(quickGroup(groupId, extra));
  const member: WatchedMember = {
    name,
    consumer,
    assigned: [],
    rebalancing: true,
    joins: 0,
    seen: [],
    partitionsRead: () => [...new Set(member.seen.map((r) => r.partition))].sort((a, b) => a - b),
  };
  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    member.joins += 1;
    member.assigned = [...(event.payload.memberAssignment[topic] ?? [])].sort((a, b) => a - b);
    member.rebalancing = false;
  });
  consumer.on(consumer.events.REBALANCING, () => {
    member.assigned = [];
    member.rebalancing = true;
  });
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      member.seen.push({
        partition,
        offset: message.offset,
        key: message.key?.toString("utf8") ?? null,
        value: message.value?.toString("utf8") ?? null,
      });
    },
  });
  return member;
}

/** Sends one command per entry of `users` (in order), keyed by userId, numbered from `first`. */
export async function sendCommands(producer: Producer, topic: string, users: string[], first = 1): Promise<void> {
  await producer.send({
    topic,
    acks: -1,
    messages: users.map((userId, i) => ({ key: userId, value: JSON.stringify(pointsCommand(userId, first + i)) })),
  });
}
