// Shared pieces of the points-api suites: seed rows, the seeded terminals' keys, the submit-command
// use case with a publisher that keeps what it is given, a JSON HTTP client, and a tap that reads everything on points.commands so a test can look at what the API produced.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import type { z } from "zod";
import type { CommandPublisher } from "../../../apps/points-api/command-publisher.ts";
import { IdempotencyCache } from "../../../apps/points-api/idempotency-cache.ts";
import { createLedgerRepository } from "../../../apps/points-api/repositories/ledger.ts";
import { createStoresRepository } from "../../../apps/points-api/repositories/stores.ts";
import type { TerminalKeysRepository } from "../../../apps/points-api/repositories/terminal-keys.ts";
import { createUsersRepository } from "../../../apps/points-api/repositories/users.ts";
import { createSubmitCommand } from "../../../apps/points-api/use-cases/submit-command.ts";
import type { Db } from "../../../apps/shared/db/client.ts";
import { bearer, keyDigest, newTerminalKey } from "../../../apps/shared/terminal-keys.ts";
import { COMMANDS_TOPIC, type PointsCommand } from "../../../apps/shared/topics.ts";
import { createKafka, type KafkaClient, type KafkaClientConsumer } from "../../../broker/client/factory.ts";
import { logLevel } from "../../../broker/client/index.ts";
import { cleanupAllWithin, waitFor } from "../../helpers/wait.ts";

/** Two stores (s1 with t1 and t2, s2 with t3) and three users. */
export async function seedReferences(db: Db): Promise<void> {
  await db.store.createMany({
    data: [
      { id: "s1", name: "Shibuya" },
      { id: "s2", name: "Umeda" },
    ],
  });
  await db.terminal.createMany({
    data: [
      { id: "t1", storeId: "s1", name: "Register 1" },
      { id: "t2", storeId: "s1", name: "Register 2" },
      { id: "t3", storeId: "s2", name: "Register 1" },
    ],
  });
  await db.user.createMany({
    data: [
      { id: "u1", name: "Alice" },
      { id: "u2", name: "Bob" },
      { id: "u3", name: "Carol" },
    ],
  });
}

/**
 * Keys for the seeded terminals (t1, t2, t3) and a repository that knows them, for an app built
 * in-process (createApp); a points-api process reads its data directory's keys (AppEnv.terminalKey).
 */
export function seededTerminalKeys(): { keys: Record<string, string>; repository: TerminalKeysRepository } {
  const keys = Object.fromEntries(["t1", "t2", "t3"].map((id) => [id, newTerminalKey(id)]));
  const digests = new Map(Object.entries(keys).map(([id, key]) => [id, keyDigest(key)]));
  return {
    keys,
    repository: { digestOf: async (terminalId) => digests.get(terminalId), refresh: async () => {} },
  };
}

/** A publisher that keeps the commands it is given and puts them at `partition`, offsets 0, 1, ... */
export function recordingPublisher(
  partition: number,
  onPublish?: (command: PointsCommand) => Promise<void>,
): CommandPublisher & { published: PointsCommand[] } {
  const published: PointsCommand[] = [];
  return {
    published,
    async publish(command) {
      published.push(command);
      await onPublish?.(command);
      return { partition, offset: String(published.length - 1) };
    },
  };
}

/** The submit-command use case on points-api's repositories over `db`, with a fresh idempotency cache. */
export function submitCommandOn(db: Db, publisher: CommandPublisher, now: () => Date = () => new Date()) {
  return createSubmitCommand({
    users: createUsersRepository(db),
    stores: createStoresRepository(db),
    ledger: createLedgerRepository(db),
    publisher,
    idempotency: new IdempotencyCache(),
    now,
  });
}

/** The header that carries a terminal's key. */
export const withKey = (key: string): Record<string, string> => ({ authorization: bearer(key) });

export interface JsonResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON, or the raw text when the body is not JSON. */
  body: any;
}

export async function request(
  baseUrl: string,
  method: string,
  path: string,
  options: { json?: unknown; body?: string | Uint8Array; headers?: Record<string, string> } = {},
): Promise<JsonResponse> {
  const headers: Record<string, string> = {
    ...(options.json !== undefined ? { "content-type": "application/json" } : {}),
    ...options.headers,
  };
  const response = await fetch(new URL(path, baseUrl), {
    method,
    headers,
    body: options.json !== undefined ? JSON.stringify(options.json) : options.body,
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body };
}

export const get = (baseUrl: string, path: string) => request(baseUrl, "GET", path);
export const postJson = (baseUrl: string, path: string, json: unknown, headers: Record<string, string> = {}) =>
  request(baseUrl, "POST", path, { json, headers });

/**
 * Parses a response body with its documented schema and asserts nothing was dropped on the way:
 * the OpenAPI document declares responses closed (no additional properties), so a field the
 * server sends but the schema lacks is drift.
 */
export function parseExactly<Schema extends z.ZodType>(schema: Schema, body: unknown): z.output<Schema> {
  const parsed = schema.parse(body);
  assert.deepEqual(parsed, body, "the response has exactly the documented fields");
  return parsed;
}

/** A message on points.commands as a test reads it back. */
export interface TappedRecord {
  partition: number;
  offset: string;
  key: string | null;
  value: string;
}

/** Reads points.commands from the beginning in a group of its own, for as long as the suite runs. */
export class CommandsTap {
  readonly records: TappedRecord[] = [];

  private constructor(private readonly consumer: KafkaClientConsumer) {}

  static async start(brokerAddress: string): Promise<CommandsTap> {
    const kafka: KafkaClient = await createKafka({
      clientId: "commands-tap",
      brokers: [brokerAddress],
      logLevel: logLevel.NOTHING,
    });
    const consumer = kafka.consumer({
      groupId: `commands-tap-${randomUUID()}`,
      sessionTimeout: 6000,
      heartbeatInterval: 500,
      maxWaitTimeInMs: 100,
    });
    const tap = new CommandsTap(consumer);
    await consumer.connect();
    await consumer.subscribe({ topics: [COMMANDS_TOPIC], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        tap.records.push({
          partition,
          offset: message.offset,
          key: message.key?.toString() ?? null,
          value: message.value?.toString() ?? "",
        });
      },
    });
    return tap;
  }

  at(partition: number, offset: string): TappedRecord | undefined {
    return this.records.find((r) => r.partition === partition && r.offset === offset);
  }

  async waitForRecordAt(partition: number, offset: string): Promise<TappedRecord> {
    await waitFor(() => this.at(partition, offset) !== undefined, {
      message: `a record at ${COMMANDS_TOPIC}-${partition} offset ${offset}`,
    });
    return this.at(partition, offset)!;
  }

  async waitForCommand(commandId: string): Promise<TappedRecord> {
    const find = () =>
      this.records.find((r) => (JSON.parse(r.value) as { commandId?: string }).commandId === commandId);
    await waitFor(() => find() !== undefined, { message: `command ${commandId} on ${COMMANDS_TOPIC}` });
    return find()!;
  }

  stop(): Promise<void> {
    return cleanupAllWithin(5000, () => this.consumer.disconnect());
  }
}

/** End offsets of a topic, by partition, to show that nothing (or exactly what) was produced. */
export async function endOffsets(
  brokerAddress: string,
  topic: string = COMMANDS_TOPIC,
): Promise<Record<number, string>> {
  const kafka = await createKafka({ clientId: "offsets-probe", brokers: [brokerAddress], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    return Object.fromEntries((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, o.high]));
  } finally {
    await admin.disconnect();
  }
}
