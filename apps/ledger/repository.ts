// The ledger's tables (Account, LedgerEntry; the ledger is their only writer) on SQLite through
// better-sqlite3's prepared statements: the transaction apply-batch.ts runs in, and its readers and
// writers. This is the ledger's hot path, so it skips Prisma: Prisma's interactive transaction and
// raw queries cost about 0.15 ms per statement and made every row travel as JSON, where a prepared
// statement costs a few µs per row. Prisma keeps the schema, the migrations and every read of the
// other services (and the points-api's reads of these tables); the rows written here are in
// Prisma's formats (prismaDateTime), so nothing tells them apart.
// Owner of mutable state: the database; this module keeps only its prepared statements and the
// queue that runs one transaction at a time on its connection.
import Database from "better-sqlite3";
import { databaseFilePath, prismaDateTime } from "../shared/db/client.ts";
import { serialTransactions } from "../shared/db/serial-transactions.ts";
import type { CommandType, OutcomeStatus } from "../shared/topics.ts";
import type { LedgerBatchStore, LedgerRepository } from "./apply-batch.ts";
import { type AccountWrite, type LedgerEntryRecord, lastFormatted } from "./plan-batch.ts";

/** Every column of a LedgerEntry but its autoincrement id, in the order the statements bind them. */
const entryColumns = [
  "commandId",
  "userId",
  "type",
  "amount",
  "status",
  "balanceAfter",
  "reason",
  "storeId",
  "terminalId",
  "orderId",
  "topic",
  "partition",
  "offset",
  "issuedAt",
  "appliedAt",
] as const;
const quoted = entryColumns.map((c) => `"${c}"`).join(", ");

/** A LedgerEntry as the select returns it: integers as bigint (offsets go beyond 2^53), times as text. */
type EntryRow = Record<(typeof entryColumns)[number], string | bigint | null>;

export type LedgerDatabase = Database.Database;

/**
 * The ledger's own connection to `databaseUrl` (as createDb takes it: the ledger's file,
 * service-databases.ts). points-api reads it, so a transaction may wait for SQLite's lock a moment
 * (15 s busy timeout) instead of failing with SQLITE_BUSY. Close it when done.
 */
export function openLedgerDatabase(databaseUrl: string): LedgerDatabase {
  return new Database(databaseFilePath(databaseUrl), { timeout: 15_000 });
}

export function createLedgerRepository(db: LedgerDatabase): LedgerRepository {
  const store = batchStore(db);
  // One transaction at a time: a second inTransaction (the lab's unsafe mode applies shares
  // concurrently) waits for the first to end.
  const inTransaction = serialTransactions(db);
  return {
    inTransaction: (work) => inTransaction(() => work(store)),
  };
}

function batchStore(db: LedgerDatabase): LedgerBatchStore {
  const selectEntry = db
    .prepare<[string], EntryRow>(`SELECT ${quoted} FROM "LedgerEntry" WHERE "commandId" = ?`)
    .safeIntegers(true);
  const selectBalance = db.prepare<[string], number>(`SELECT "balance" FROM "Account" WHERE "userId" = ?`).pluck();
  const insertEntry = db.prepare(
    `INSERT INTO "LedgerEntry" (${quoted}) VALUES (${entryColumns.map(() => "?").join(", ")})`,
  );
  // version counts applied commands (the Account's optimistic-concurrency counter)
  const upsertAccount = db.prepare(
    `INSERT INTO "Account" ("userId", "balance", "version", "updatedAt") VALUES (?, ?, ?, ?) ` +
      `ON CONFLICT ("userId") DO UPDATE SET "balance" = excluded."balance", "version" = "Account"."version" + excluded."version", "updatedAt" = excluded."updatedAt"`,
  );

  return {
    async findEntries(commandIds) {
      const found = new Map<string, LedgerEntryRecord>();
      for (const commandId of commandIds) {
        const row = selectEntry.get(commandId);
        if (row) found.set(commandId, entryOf(row));
      }
      return found;
    },
    async findBalances(userIds) {
      const balances = new Map<string, number>();
      for (const userId of userIds) {
        const balance = selectBalance.get(userId);
        if (balance !== undefined) balances.set(userId, Number(balance));
      }
      return balances;
    },
    async insertEntries(entries, appliedAt) {
      const applied = prismaDateTime(appliedAt);
      const issuedText = lastFormatted(prismaDateTime);
      for (const e of entries)
        insertEntry.run(
          e.commandId,
          e.userId,
          e.type,
          e.amount,
          e.status,
          e.balanceAfter,
          e.reason,
          e.storeId,
          e.terminalId,
          e.orderId,
          e.topic,
          e.partition,
          e.offset,
          issuedText(e.issuedAt),
          applied,
        );
    },
    async writeAccounts(writes: AccountWrite[], updatedAt) {
      const updated = prismaDateTime(updatedAt);
      for (const w of writes) upsertAccount.run(w.userId, w.balance, w.appliedCount, updated);
    },
  };
}

/** A stored time: text as Prisma writes it, or (written by some other client) epoch milliseconds. */
function timeOf(value: string | bigint | null): Date {
  return new Date(typeof value === "bigint" ? Number(value) : (value as string));
}

function entryOf(row: EntryRow): LedgerEntryRecord {
  return {
    commandId: row.commandId as string,
    userId: row.userId as string,
    type: row.type as CommandType,
    amount: Number(row.amount),
    status: row.status as OutcomeStatus,
    balanceAfter: Number(row.balanceAfter),
    reason: row.reason as string | null,
    storeId: row.storeId as string,
    terminalId: row.terminalId as string,
    orderId: row.orderId as string | null,
    topic: row.topic as string,
    partition: Number(row.partition),
    offset: BigInt(row.offset as bigint),
    issuedAt: timeOf(row.issuedAt),
    appliedAt: timeOf(row.appliedAt),
  };
}
