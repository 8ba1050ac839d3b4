import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import {
  createDb,
  type Db,
  databaseFilePath,
  migrate,
  Prisma,
  prismaDateTime,
} from "../../../../apps/shared/db/client.ts";

function ledgerEntry(commandId: string, over: Partial<Prisma.LedgerEntryUncheckedCreateInput> = {}) {
  return {
    commandId,
    userId: "u1",
    type: "charge",
    amount: 100,
    status: "applied",
    balanceAfter: 100,
    storeId: "s1",
    terminalId: "t1",
    orderId: `o-${commandId}`,
    topic: "points.commands",
    partition: 0,
    offset: 0n,
    issuedAt: new Date("2026-01-01T10:00:00Z"),
    ...over,
  } satisfies Prisma.LedgerEntryUncheckedCreateInput;
}

describe("shared db client (Prisma on SQLite)", () => {
  let dir: string;
  let url: string;
  let db: Db;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "points-db-"));
    url = `file:${path.join(dir, "nested", "points.db")}`;
  });
  after(async () => {
    await db?.$disconnect();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("migrates a fresh file, idempotently, recording Prisma's _prisma_migrations", () => {
    const first = migrate(url);
    assert.ok(first.applied.length >= 1);
    assert.deepEqual(first.alreadyApplied, []);
    const second = migrate(url);
    assert.deepEqual(second.applied, []);
    assert.deepEqual(second.alreadyApplied, first.applied);

    const raw = new Database(path.join(dir, "nested", "points.db"), { readonly: true });
    try {
      const rows = raw
        .prepare(
          `SELECT migration_name, finished_at, applied_steps_count FROM _prisma_migrations ORDER BY migration_name`,
        )
        .all() as { migration_name: string; finished_at: string | null; applied_steps_count: number }[];
      assert.deepEqual(
        rows.map((r) => r.migration_name),
        first.applied,
      );
      for (const r of rows) {
        assert.ok(r.finished_at);
        assert.equal(r.applied_steps_count, 1);
      }
      const tables = (
        raw.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[]
      ).map((t) => t.name);
      for (const t of [
        "Store",
        "Terminal",
        "User",
        "Account",
        "LedgerEntry",
        "Notification",
        "AnalyticsStoreTotal",
        "AnalyticsHourly",
        "AnalyticsCounter",
        "AnalyticsEvent",
        "AnalyticsUserTotal",
      ]) {
        assert.ok(tables.includes(t), `table ${t} exists`);
      }
    } finally {
      raw.close();
    }
  });

  it("creates store, terminal, user and account", async () => {
    db = createDb(url);
    await db.store.create({ data: { id: "s1", name: "Shibuya" } });
    await db.terminal.create({ data: { id: "t1", storeId: "s1", name: "Register 1" } });
    await db.user.create({ data: { id: "u1", name: "Alice" } });
    await db.account.create({ data: { userId: "u1", balance: 0 } });

    const store = await db.store.findUniqueOrThrow({ where: { id: "s1" }, include: { terminals: true } });
    assert.equal(store.name, "Shibuya");
    assert.deepEqual(
      store.terminals.map((t) => t.id),
      ["t1"],
    );
    const user = await db.user.findUniqueOrThrow({ where: { id: "u1" } });
    assert.ok(user.createdAt instanceof Date);
    const account = await db.account.findUniqueOrThrow({ where: { userId: "u1" } });
    assert.equal(account.balance, 0);
    assert.equal(account.version, 0);
  });

  it("when a time is written raw as prismaDateTime spells it, then it is stored as Prisma stores a DateTime and reads back as the same instant", async () => {
    const at = new Date("2026-03-01T10:00:05.123Z");
    assert.equal(prismaDateTime(at), "2026-03-01T10:00:05.123+00:00");
    await db.account.create({ data: { userId: "u-prisma", balance: 1, updatedAt: at } });
    await db.$executeRawUnsafe(
      `INSERT INTO "Account" ("userId", "balance", "version", "updatedAt") VALUES ('u-raw', 1, 0, ?)`,
      prismaDateTime(at),
    );
    const raw = new Database(databaseFilePath(url), { readonly: true });
    try {
      const stored = raw.prepare(`SELECT "updatedAt" FROM "Account" WHERE "userId" IN ('u-prisma', 'u-raw')`).all();
      assert.deepEqual(stored, [
        { updatedAt: "2026-03-01T10:00:05.123+00:00" },
        { updatedAt: "2026-03-01T10:00:05.123+00:00" },
      ]);
    } finally {
      raw.close();
    }
    assert.deepEqual((await db.account.findUniqueOrThrow({ where: { userId: "u-raw" } })).updatedAt, at);
  });

  it("refuses a LedgerEntry with a duplicate commandId", async () => {
    const e = await db.ledgerEntry.create({ data: ledgerEntry("cmd-1", { offset: 9_007_199_254_740_993n }) });
    assert.equal(e.offset, 9_007_199_254_740_993n);
    await assert.rejects(
      db.ledgerEntry.create({ data: ledgerEntry("cmd-1", { amount: 5 }) }),
      (err: unknown) => err instanceof Prisma.PrismaClientKnownRequestError && err.code === "P2002",
    );
    assert.equal(await db.ledgerEntry.count({ where: { commandId: "cmd-1" } }), 1);
  });

  it("applies several ledger writes atomically and rolls them back together on error", async () => {
    await db.account.update({ where: { userId: "u1" }, data: { balance: 100, version: 1 } });

    // Success: entry + balance update commit together.
    await db.$transaction(async (tx) => {
      await tx.ledgerEntry.create({ data: ledgerEntry("cmd-2", { amount: 50, balanceAfter: 150, offset: 1n }) });
      await tx.account.update({ where: { userId: "u1" }, data: { balance: 150, version: { increment: 1 } } });
    });
    assert.equal((await db.account.findUniqueOrThrow({ where: { userId: "u1" } })).balance, 150);

    // Failure midway (duplicate commandId after other writes): nothing sticks.
    await assert.rejects(
      db.$transaction(async (tx) => {
        await tx.ledgerEntry.create({
          data: ledgerEntry("cmd-3", { type: "deduct", amount: 30, balanceAfter: 120, offset: 2n }),
        });
        await tx.account.update({ where: { userId: "u1" }, data: { balance: 120, version: { increment: 1 } } });
        await tx.ledgerEntry.create({ data: ledgerEntry("cmd-2", { offset: 3n }) });
      }),
      (err: unknown) => err instanceof Prisma.PrismaClientKnownRequestError && err.code === "P2002",
    );
    // Explicit throw: also rolled back.
    await assert.rejects(
      db.$transaction(async (tx) => {
        await tx.ledgerEntry.create({ data: ledgerEntry("cmd-4", { offset: 4n }) });
        await tx.account.update({ where: { userId: "u1" }, data: { balance: 999 } });
        throw new Error("boom");
      }),
      /boom/,
    );

    const account = await db.account.findUniqueOrThrow({ where: { userId: "u1" } });
    assert.equal(account.balance, 150);
    assert.equal(account.version, 2);
    const ids = (await db.ledgerEntry.findMany({ orderBy: { id: "asc" } })).map((e) => e.commandId);
    assert.deepEqual(ids, ["cmd-1", "cmd-2"]);
  });

  it("rejects running against a database whose applied migration was edited", () => {
    const alt = fs.mkdtempSync(path.join(dir, "mig-"));
    fs.cpSync(path.join(import.meta.dirname, "../../../../prisma/migrations"), alt, { recursive: true });
    const altUrl = `file:${path.join(dir, "alt.db")}`;
    migrate(altUrl, { migrationsDir: alt });
    const first = fs
      .readdirSync(alt)
      .filter((n) => fs.existsSync(path.join(alt, n, "migration.sql")))
      .sort()[0]!;
    fs.appendFileSync(path.join(alt, first, "migration.sql"), "\n-- edited\n");
    assert.throws(() => migrate(altUrl, { migrationsDir: alt }), /checksum mismatch/);
  });
});
