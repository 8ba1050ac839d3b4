// The ledger's tables (Account, LedgerEntry; the ledger is their only writer) through Prisma on
// SQLite: the transaction apply-batch.ts runs in, and its readers and writers. Owner of mutable
// state: the database; this module keeps none of its own.
//
// A batch is one transaction of five statements, whatever its size: take the write lock, read the
// stored entries of its commandIds, read its accounts, insert the new entries, upsert the accounts.
// Each statement takes the batch's rows as one JSON parameter (read with json_each): no chunking
// for SQLite's limit on bound parameters, and fast — Prisma's createMany costs about 0.2 ms per row
// here, a JSON array of rows about 0.01 ms.
import { type Db, type Prisma, prismaDateTime } from "../shared/db/client.ts";
import type { CommandType, OutcomeStatus } from "../shared/topics.ts";
import type { LedgerBatchStore, LedgerRepository } from "./apply-batch.ts";
import type { AccountWrite, LedgerEntryRecord } from "./plan-batch.ts";

type Tx = Prisma.TransactionClient;

// Other services write the same file: waiting for SQLite's lock (up to the driver's 15 s busy
// timeout) must fit in the transaction's time.
const transactionOptions = { maxWait: 30_000, timeout: 60_000 };

export function createLedgerRepository(db: Db): LedgerRepository {
  return {
    inTransaction: (work) =>
      db.$transaction(async (tx) => {
        await takeWriteLock(tx);
        return work(batchStore(tx));
      }, transactionOptions),
  };
}

function batchStore(tx: Tx): LedgerBatchStore {
  return {
    findEntries: (commandIds) => findEntries(tx, commandIds),
    findBalances: (userIds) => findBalances(tx, userIds),
    insertEntries: (entries, appliedAt) => insertEntries(tx, entries, appliedAt),
    writeAccounts: (writes, updatedAt) => writeAccounts(tx, writes, updatedAt),
  };
}

/**
 * Prisma opens SQLite transactions DEFERRED. Reading first and writing later would fail with
 * SQLITE_BUSY (no waiting) when another process wrote in between; taking the write lock with the
 * first statement makes SQLite wait for it instead, and makes the reads below the state we write on.
 */
async function takeWriteLock(tx: Tx): Promise<void> {
  await tx.$executeRawUnsafe(`UPDATE "Account" SET "balance" = "balance" WHERE 0`);
}

/**
 * Rows travel as JSON arrays, without key names (the parameter's size is most of the statement's
 * cost); the applied time is the same for the whole batch and goes once. One statement per topic
 * (in practice one): a group of several partitions' batches is one INSERT, as every statement
 * costs about 0.15 ms of Prisma's time on top of SQLite's.
 */
const perRowColumns = [
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
  "partition",
  "offset",
  "issuedAt",
] as const;
/** Every column of a LedgerEntry: the per-row ones, then the two a statement gives once. */
const entryColumns = [...perRowColumns, "topic", "appliedAt"] as const;

/** A LedgerEntry as a raw query returns it (DATETIME columns come back as Date, BIGINT as bigint). */
type EntryRow = Omit<LedgerEntryRecord, "type" | "status" | "offset"> & {
  type: string;
  status: string;
  offset: bigint | number;
};

async function findEntries(tx: Tx, commandIds: string[]): Promise<Map<string, LedgerEntryRecord>> {
  const rows = await tx.$queryRawUnsafe<EntryRow[]>(
    `SELECT ${entryColumns.map((c) => `"${c}"`).join(", ")} FROM "LedgerEntry" WHERE "commandId" IN (SELECT value FROM json_each(?))`,
    JSON.stringify(commandIds),
  );
  return new Map(
    rows.map((row) => [
      row.commandId,
      { ...row, type: row.type as CommandType, status: row.status as OutcomeStatus, offset: BigInt(row.offset) },
    ]),
  );
}

async function findBalances(tx: Tx, userIds: string[]): Promise<Map<string, number>> {
  const rows = await tx.$queryRawUnsafe<{ userId: string; balance: number | bigint }[]>(
    `SELECT "userId", "balance" FROM "Account" WHERE "userId" IN (SELECT value FROM json_each(?))`,
    JSON.stringify(userIds),
  );
  return new Map(rows.map((row) => [row.userId, Number(row.balance)]));
}

const integerColumns = new Set<string>(["partition", "offset"]);
const insertEntriesSql =
  `INSERT INTO "LedgerEntry" (${entryColumns.map((c) => `"${c}"`).join(", ")}) ` +
  `SELECT ${perRowColumns.map((c, i) => (integerColumns.has(c) ? `CAST(e.value->>${i} AS INTEGER)` : `e.value->>${i}`)).join(", ")}, ?, ? FROM json_each(?) AS e`;

async function insertEntries(tx: Tx, entries: LedgerEntryRecord[], appliedAt: Date): Promise<void> {
  const byTopic = new Map<string, LedgerEntryRecord[]>();
  for (const entry of entries) {
    const group = byTopic.get(entry.topic);
    if (group) group.push(entry);
    else byTopic.set(entry.topic, [entry]);
  }
  for (const [topic, group] of byTopic) {
    // offset as a string: JSON numbers lose precision beyond 2^53
    const rows = group.map((e) => [
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
      e.partition,
      e.offset.toString(),
      prismaDateTime(e.issuedAt),
    ]);
    await tx.$executeRawUnsafe(insertEntriesSql, topic, prismaDateTime(appliedAt), JSON.stringify(rows));
  }
}

/** Creates missing accounts and sets the others' balance; version counts applied commands. */
async function writeAccounts(tx: Tx, writes: AccountWrite[], updatedAt: Date): Promise<void> {
  if (writes.length === 0) return;
  await tx.$executeRawUnsafe(
    `INSERT INTO "Account" ("userId", "balance", "version", "updatedAt") ` +
      // "WHERE true": without it SQLite reads ON CONFLICT as part of the SELECT's join
      `SELECT w.value->>0, w.value->>1, w.value->>2, ? FROM json_each(?) AS w WHERE true ` +
      `ON CONFLICT ("userId") DO UPDATE SET "balance" = excluded."balance", "version" = "Account"."version" + excluded."version", "updatedAt" = excluded."updatedAt"`,
    prismaDateTime(updatedAt),
    JSON.stringify(writes.map((w) => [w.userId, w.balance, w.appliedCount])),
  );
}
