// Seeding: stores, terminals and users are written by points-api's own tables; opening balances are
// not written to the ledger's tables but sent as ordinary charge commands, so every balance is
// explained by commands on points.commands (and a sequential replay of them gives it back). The
// opening commands have fixed ids, so seeding again is harmless: the ledger applies each id once.
// Every terminal written gets a key (DATA_DIR/terminal-keys.json, see apps/shared/terminal-keys.ts)
// unless it has one: without it, points-api refuses its commands.

import type { AppConfig } from "../apps/shared/config.ts";
import { ensureTopics } from "../apps/shared/consumer-service.ts";
import { createDb } from "../apps/shared/db/client.ts";
import { migrateServiceDatabases } from "../apps/shared/db/service-databases.ts";
import { provisionTerminalKeys } from "../apps/shared/terminal-keys.ts";
import { COMMANDS_TOPIC, EVENTS_TOPIC, type PointsCommand } from "../apps/shared/topics.ts";
import { createKafka } from "../broker/client/factory.ts";
import { logLevel } from "../broker/client/index.ts";
import { type DemoStore, demoStores, demoUsers } from "./demo-data.ts";

export interface SeedOptions {
  users?: number;
  stores?: number;
}

export interface SeedResult {
  stores: number;
  terminals: number;
  users: number;
  openingCommands: number;
}

export function openingCommandId(userId: string): string {
  return `opening-${userId}`;
}

/** True when the database has no stores yet (a fresh data directory). */
export async function needsSeed(config: AppConfig): Promise<boolean> {
  migrateServiceDatabases(config.databaseUrl);
  const db = createDb(config.databaseUrl);
  try {
    return (await db.store.count()) === 0;
  } finally {
    await db.$disconnect();
  }
}

/**
 * Stores, terminals and users (points-api's tables), written or updated in one transaction; then
 * keys for the terminals that have none.
 */
export async function writeDirectory(
  config: AppConfig,
  stores: DemoStore[],
  users: { id: string; name: string }[],
): Promise<void> {
  migrateServiceDatabases(config.databaseUrl);
  const db = createDb(config.databaseUrl);
  try {
    await db.$transaction(async (tx) => {
      for (const store of stores) {
        await tx.store.upsert({
          where: { id: store.id },
          create: { id: store.id, name: store.name },
          update: { name: store.name },
        });
        for (const terminal of store.terminals) {
          await tx.terminal.upsert({
            where: { id: terminal.id },
            create: { id: terminal.id, name: terminal.name, storeId: store.id },
            update: { name: terminal.name, storeId: store.id },
          });
        }
      }
      for (const user of users) {
        await tx.user.upsert({
          where: { id: user.id },
          create: { id: user.id, name: user.name },
          update: { name: user.name },
        });
      }
    });
  } finally {
    await db.$disconnect();
  }
  provisionTerminalKeys(
    config.dataDir,
    stores.flatMap((store) => store.terminals.map((terminal) => terminal.id)),
  );
}

export interface KeyedTerminal {
  id: string;
  storeId: string;
  key: string;
}

/**
 * Keys for every terminal in the database that has none (a data directory from before terminals
 * had keys, or terminals added by hand); returns the terminals whose keys are known, in id order.
 */
export async function provisionAllTerminalKeys(config: AppConfig): Promise<KeyedTerminal[]> {
  const db = createDb(config.databaseUrl);
  try {
    const terminals = await db.terminal.findMany({ select: { id: true, storeId: true }, orderBy: { id: "asc" } });
    const keys = provisionTerminalKeys(
      config.dataDir,
      terminals.map((terminal) => terminal.id),
    );
    return terminals.flatMap((t) => (keys[t.id] === undefined ? [] : [{ ...t, key: keys[t.id]! }]));
  } finally {
    await db.$disconnect();
  }
}

export async function seedDemo(config: AppConfig, options: SeedOptions = {}): Promise<SeedResult> {
  const stores = demoStores(options.stores);
  const users = demoUsers(options.users);
  await writeDirectory(config, stores, users);

  const kafka = await createKafka({
    clientId: "seed",
    brokers: config.brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 3 },
  });
  await ensureTopics(kafka, [COMMANDS_TOPIC, EVENTS_TOPIC], config.partitions);
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  try {
    const openingStore = stores[0]!;
    const issuedAt = new Date().toISOString();
    await producer.send({
      topic: COMMANDS_TOPIC,
      acks: -1,
      messages: users.map((user) => {
        const command: PointsCommand = {
          commandId: openingCommandId(user.id),
          type: "charge",
          userId: user.id,
          amount: user.openingBalance,
          storeId: openingStore.id,
          terminalId: openingStore.terminals[0]!.id,
          reason: "opening balance",
          issuedAt,
        };
        return { key: user.id, value: JSON.stringify(command) };
      }),
    });
  } finally {
    await producer.disconnect();
  }
  return {
    stores: stores.length,
    terminals: stores.reduce((n, s) => n + s.terminals.length, 0),
    users: users.length,
    openingCommands: users.length,
  };
}
