// What the ledger's tests share: commands to feed it, the oracle (a sequential replay of each
// user's commands), and for the process tests a producer of commands, a reader of points.events
// and the ledger's tables as plain maps.

import { afterEach } from "node:test";
import type { LedgerRepository } from "../../../apps/ledger/apply-batch.ts";
import type { LedgerEntryRecord, SourcedCommand } from "../../../apps/ledger/plan-batch.ts";
import { createLedgerRepository, type LedgerDatabase, openLedgerDatabase } from "../../../apps/ledger/repository.ts";
import { ensureTopics } from "../../../apps/shared/consumer-service.ts";
import type { Db } from "../../../apps/shared/db/client.ts";
import {
  COMMANDS_TOPIC,
  EVENTS_TOPIC,
  type PointsCommand,
  type PointsEvent,
  pointsEventSchema,
  rejectionReasons,
} from "../../../apps/shared/topics.ts";
import { Kafka, logLevel } from "../../../broker/client/index.ts";
import type { FreshDatabase } from "../../helpers/sqlite-file.ts";
import { range } from "../../helpers/wait.ts";

export const PARTITIONS = 6;

/**
 * The ledger's repository on the current test's file, through a connection of its own as the
 * ledger opens it (better-sqlite3, not the test's Prisma client); the connection closes after each
 * test. Call inside tests.
 */
export function ledgerRepositoryEachTest(fresh: FreshDatabase): () => LedgerRepository {
  let open: { file: string; db: LedgerDatabase } | undefined;
  afterEach(() => {
    open?.db.close();
    open = undefined;
  });
  return () => {
    if (open?.file !== fresh.file) {
      open?.db.close();
      open = { file: fresh.file, db: openLedgerDatabase(fresh.file) };
    }
    return createLedgerRepository(open.db);
  };
}

export function command(fields: Partial<PointsCommand> & Pick<PointsCommand, "commandId" | "userId">): PointsCommand {
  return {
    type: "charge",
    amount: 100,
    storeId: "store-1",
    terminalId: "store-1-pos-1",
    issuedAt: "2026-03-01T10:00:00.000Z",
    ...fields,
  };
}

/** A stored ledger entry: an applied charge of 70 by alice, read from partition 4 at offset 17. */
export function ledgerEntry(commandId: string, over: Partial<LedgerEntryRecord> = {}): LedgerEntryRecord {
  return {
    commandId,
    userId: "alice",
    type: "charge",
    amount: 70,
    status: "applied",
    balanceAfter: 70,
    reason: null,
    storeId: "store-1",
    terminalId: "store-1-pos-1",
    orderId: null,
    topic: "points.commands",
    partition: 4,
    offset: 17n,
    issuedAt: new Date("2026-03-01T09:59:00.000Z"),
    appliedAt: new Date("2026-03-01T09:59:01.000Z"),
    ...over,
  };
}

/** Commands as one partition's batch: offsets from `firstOffset` in order. */
export function asBatch(commands: PointsCommand[], partition = 0, firstOffset = 0n): SourcedCommand[] {
  return commands.map((c, i) => ({
    command: c,
    source: { topic: COMMANDS_TOPIC, partition, offset: firstOffset + BigInt(i) },
  }));
}

export interface ReplayOutcome {
  status: "applied" | "rejected";
  balanceAfter: number;
}

/** The truth: each user's commands applied one after another, in the order given. */
export function sequentialReplay(commands: PointsCommand[]): {
  balances: Map<string, number>;
  outcomes: Map<string, ReplayOutcome>;
} {
  const balances = new Map<string, number>();
  const outcomes = new Map<string, ReplayOutcome>();
  for (const c of commands) {
    if (outcomes.has(c.commandId)) continue;
    const balance = balances.get(c.userId) ?? 0;
    const rejected = c.type === "deduct" && c.amount > balance;
    const after = rejected ? balance : c.type === "charge" ? balance + c.amount : balance - c.amount;
    if (!rejected) balances.set(c.userId, after);
    outcomes.set(c.commandId, { status: rejected ? "rejected" : "applied", balanceAfter: after });
  }
  return { balances, outcomes };
}

/**
 * A deterministic stream of `count` commands over `users` users: an opening balance each, then
 * charges and deductions, some of the deductions too large (rejected in a sequential replay).
 */
export function commandStream(prefix: string, users: number, count: number): PointsCommand[] {
  const userId = (u: number) => `${prefix}-user-${u}`;
  const commands: PointsCommand[] = range(users).map((u) =>
    command({ commandId: `${prefix}-open-${u}`, userId: userId(u), amount: 200, reason: "opening balance" }),
  );
  for (let i = 0; commands.length < count; i++) {
    const u = (i * 7) % users;
    const deduct = i % 3 !== 0;
    commands.push(
      command({
        commandId: `${prefix}-${i}`,
        userId: userId(u),
        type: deduct ? "deduct" : "charge",
        amount: deduct ? 40 + ((i * 37) % 160) : 30 + (i % 50),
        orderId: `order-${i}`,
      }),
    );
  }
  return commands;
}

export function kafkaFor(address: string): Kafka {
  return new Kafka({ clientId: "ledger-test", brokers: [address], logLevel: logLevel.NOTHING });
}

/** Creates points.commands and points.events as the services would (6 partitions each). */
export async function createTopics(address: string): Promise<void> {
  await ensureTopics(kafkaFor(address), [COMMANDS_TOPIC, EVENTS_TOPIC], PARTITIONS);
}

export interface CommandsProducer {
  send(commands: PointsCommand[]): Promise<void>;
  sendRaw(key: string, value: string): Promise<void>;
  disconnect(): Promise<void>;
}

/** Produces commands keyed by userId, as points-api does. */
export async function connectCommandsProducer(address: string): Promise<CommandsProducer> {
  const producer = kafkaFor(address).producer({ idempotent: true });
  await producer.connect();
  return {
    send: async (commands) => {
      await producer.send({
        topic: COMMANDS_TOPIC,
        acks: -1,
        messages: commands.map((c) => ({ key: c.userId, value: JSON.stringify(c) })),
      });
    },
    sendRaw: async (key, value) => {
      await producer.send({ topic: COMMANDS_TOPIC, acks: -1, messages: [{ key, value }] });
    },
    disconnect: () => producer.disconnect(),
  };
}

export interface ReceivedEvent {
  key: string;
  partition: number;
  event: PointsEvent;
}

export interface EventsReader {
  events: ReceivedEvent[];
  /** Events by eventId (re-emitted ones more than once). */
  byId(): Map<string, ReceivedEvent[]>;
  disconnect(): Promise<void>;
}

/** Reads every partition of points.events from the beginning, without a group. */
export async function readEvents(address: string): Promise<EventsReader> {
  const consumer = kafkaFor(address).consumer({ groupId: "", maxWaitTimeInMs: 100 });
  const events: ReceivedEvent[] = [];
  await consumer.connect();
  consumer.assign([{ topic: EVENTS_TOPIC, partitions: range(PARTITIONS), fromBeginning: true }]);
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      events.push({
        key: message.key!.toString(),
        partition,
        event: pointsEventSchema.parse(JSON.parse(message.value!.toString())),
      });
    },
  });
  return {
    events,
    byId: () => {
      const map = new Map<string, ReceivedEvent[]>();
      for (const e of events) {
        const copies = map.get(e.event.eventId);
        if (copies) copies.push(e);
        else map.set(e.event.eventId, [e]);
      }
      return map;
    },
    disconnect: () => consumer.disconnect(),
  };
}

export interface LedgerTables {
  entries: {
    commandId: string;
    userId: string;
    status: string;
    balanceAfter: number;
    reason: string | null;
    partition: number;
  }[];
  balances: Map<string, number>;
}

export async function ledgerTables(db: Db): Promise<LedgerTables> {
  const entries = await db.ledgerEntry.findMany({
    orderBy: { id: "asc" },
    select: { commandId: true, userId: true, status: true, balanceAfter: true, reason: true, partition: true },
  });
  const accounts = await db.account.findMany();
  return { entries, balances: new Map(accounts.map((a) => [a.userId, a.balance])) };
}

/** Where the tables differ from the replay of `commands`; empty when every command was applied exactly once, correctly. */
export function differencesFromReplay(tables: LedgerTables, commands: PointsCommand[]): string[] {
  const { balances, outcomes } = sequentialReplay(commands);
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const entry of tables.entries) {
    if (seen.has(entry.commandId)) problems.push(`${entry.commandId} has more than one entry`);
    seen.add(entry.commandId);
    const expected = outcomes.get(entry.commandId);
    if (!expected) problems.push(`${entry.commandId} was never sent`);
    else if (expected.status !== entry.status || expected.balanceAfter !== entry.balanceAfter) {
      problems.push(
        `${entry.commandId}: ${entry.status} with balance ${entry.balanceAfter}, replay says ${expected.status} with ${expected.balanceAfter}`,
      );
    }
    if (entry.status === "rejected" && entry.reason !== rejectionReasons.insufficientBalance)
      problems.push(`${entry.commandId}: rejected without its reason`);
  }
  for (const id of outcomes.keys()) if (!seen.has(id)) problems.push(`${id} has no entry`);
  for (const [userId, balance] of balances) {
    if (tables.balances.get(userId) !== balance)
      problems.push(`${userId}: balance ${tables.balances.get(userId)}, replay says ${balance}`);
  }
  return problems.slice(0, 10);
}
