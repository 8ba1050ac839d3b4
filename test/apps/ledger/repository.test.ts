// The ledger's repository on a real SQLite file: one transaction per batch, all or nothing, and a
// redelivered batch found already processed.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import Database from "better-sqlite3";
import { createLedgerRepository, type LedgerRepository } from "../../../apps/ledger/repository.ts";
import { createDb, type Db, migrate } from "../../../apps/shared/db/client.ts";
import { rejectionReasons } from "../../../apps/shared/topics.ts";
import { range } from "../../helpers/wait.ts";
import { asBatch, command, ledgerTables } from "./ledger-fixture.ts";

describe("ledger repository (SQLite)", () => {
  let dir: string;
  let file: string;
  let db: Db;
  let repository: LedgerRepository;
  const appliedAt = new Date("2026-03-01T10:00:05.123Z");

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ledger-repo-"));
  });
  beforeEach(async () => {
    await db?.$disconnect();
    file = path.join(dir, `points-${Date.now()}-${Math.random().toString(36).slice(2)}.db`);
    migrate(`file:${file}`);
    db = createDb(`file:${file}`);
    repository = createLedgerRepository(db);
  });
  after(async () => {
    await db?.$disconnect();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const rawDb = <T>(use: (raw: Database.Database) => T): T => {
    const raw = new Database(file);
    try {
      return use(raw);
    } finally {
      raw.close();
    }
  };

  it("when a batch is applied, then its entries (in offset order) and accounts are stored as Prisma stores them", async () => {
    await db.account.create({ data: { userId: "bob", balance: 10, version: 3 } });
    const plan = await repository.applyBatch(
      asBatch(
        [
          command({ commandId: "c1", userId: "alice", amount: 500, reason: "opening balance", orderId: "o-1" }),
          command({ commandId: "c2", userId: "bob", type: "deduct", amount: 11 }),
          command({ commandId: "c3", userId: "alice", type: "deduct", amount: 200 }),
          command({ commandId: "c4", userId: "carol", type: "deduct", amount: 1 }),
        ],
        5,
        9_007_199_254_740_993n,
      ),
      appliedAt,
    );
    assert.equal(plan.outcomes.length, 4);

    const entries = await db.ledgerEntry.findMany({ orderBy: { id: "asc" } });
    assert.deepEqual(
      entries.map((e) => [e.commandId, e.status, e.balanceAfter, e.reason]),
      [
        ["c1", "applied", 500, "opening balance"],
        ["c2", "rejected", 10, rejectionReasons.insufficientBalance],
        ["c3", "applied", 300, null],
        ["c4", "rejected", 0, rejectionReasons.insufficientBalance],
      ],
    );
    const first = entries[0]!;
    assert.equal(first.offset, 9_007_199_254_740_993n, "offsets beyond 2^53 are kept exactly");
    assert.equal(first.partition, 5);
    assert.equal(first.topic, "points.commands");
    assert.equal(first.orderId, "o-1");
    assert.equal(entries[1]!.orderId, null);
    assert.deepEqual(first.issuedAt, new Date("2026-03-01T10:00:00.000Z"));
    assert.deepEqual(first.appliedAt, appliedAt);

    const accounts = await db.account.findMany({ orderBy: { userId: "asc" } });
    assert.deepEqual(accounts, [
      { userId: "alice", balance: 300, version: 2, updatedAt: appliedAt },
      { userId: "bob", balance: 10, version: 3, updatedAt: accounts[1]!.updatedAt },
    ]);
    // Raw writes use the adapter's own formats, so nothing tells them apart from Prisma's.
    const stored = rawDb((raw) => ({
      account: raw
        .prepare(`SELECT "updatedAt", typeof("balance") AS balance FROM "Account" WHERE "userId" = 'alice'`)
        .get(),
      entry: raw
        .prepare(
          `SELECT "issuedAt", "appliedAt", typeof("amount") AS amount, typeof("offset") AS "offset" FROM "LedgerEntry" WHERE "commandId" = 'c1'`,
        )
        .get(),
    }));
    assert.deepEqual(stored, {
      account: { updatedAt: "2026-03-01T10:00:05.123+00:00", balance: "integer" },
      entry: {
        issuedAt: "2026-03-01T10:00:00.000+00:00",
        appliedAt: "2026-03-01T10:00:05.123+00:00",
        amount: "integer",
        offset: "integer",
      },
    });
  });

  it("when one transaction holds several partitions' batches (a group commit), then each entry keeps its own partition and offset", async () => {
    await repository.applyBatch(
      [
        ...asBatch(
          [
            command({ commandId: "p3-a", userId: "alice", amount: 5 }),
            command({ commandId: "p3-b", userId: "alice", amount: 6 }),
          ],
          3,
          40n,
        ),
        ...asBatch([command({ commandId: "p0-a", userId: "bob", amount: 7 })], 0, 9n),
      ],
      appliedAt,
    );
    const entries = await db.ledgerEntry.findMany({ orderBy: { id: "asc" } });
    assert.deepEqual(
      entries.map((e) => [e.commandId, e.partition, e.offset]),
      [
        ["p3-a", 3, 40n],
        ["p3-b", 3, 41n],
        ["p0-a", 0, 9n],
      ],
    );
    const partitionTypes = rawDb((raw) =>
      raw.prepare(`SELECT DISTINCT typeof("partition") AS t FROM "LedgerEntry"`).all(),
    );
    assert.deepEqual(partitionTypes, [{ t: "integer" }]);
  });

  it("when the same batch is applied again, then nothing changes and the stored outcomes are returned as they were", async () => {
    const batch = asBatch(
      [
        command({ commandId: "c1", userId: "alice", amount: 40 }),
        command({ commandId: "c2", userId: "alice", type: "deduct", amount: 50 }),
      ],
      1,
      100n,
    );
    const first = await repository.applyBatch(batch, appliedAt);
    const before = await ledgerTables(db);
    const again = await repository.applyBatch(batch, new Date("2026-03-02T00:00:00.000Z"));

    assert.deepEqual(await ledgerTables(db), before);
    assert.deepEqual(again.newEntries, []);
    assert.deepEqual(again.accountWrites, []);
    assert.equal(again.alreadyProcessed, 2);
    assert.deepEqual(again.outcomes, first.outcomes);
    assert.equal((await db.account.findUniqueOrThrow({ where: { userId: "alice" } })).version, 1);
  });

  it("when a statement fails in the middle of a batch, then nothing of the batch is stored", async () => {
    await repository.applyBatch(asBatch([command({ commandId: "c0", userId: "alice", amount: 100 })]), appliedAt);
    const before = await ledgerTables(db);
    // Fails the account upsert, which runs after the entries were inserted.
    rawDb((raw) =>
      raw.exec(
        `CREATE TRIGGER "fail_poison" BEFORE INSERT ON "Account" WHEN NEW."userId" = 'poison' BEGIN SELECT RAISE(ABORT, 'poisoned account'); END`,
      ),
    );
    const batch = asBatch(
      [
        command({ commandId: "c1", userId: "alice", amount: 5 }),
        command({ commandId: "c2", userId: "poison", amount: 5 }),
      ],
      0,
      1n,
    );

    await assert.rejects(repository.applyBatch(batch, appliedAt), /poisoned account/);
    assert.deepEqual(await ledgerTables(db), before);

    rawDb((raw) => raw.exec(`DROP TRIGGER "fail_poison"`));
    await repository.applyBatch(batch, appliedAt);
    const after = await ledgerTables(db);
    assert.deepEqual(
      after.entries.map((e) => e.commandId),
      ["c0", "c1", "c2"],
    );
    assert.deepEqual(
      after.balances,
      new Map([
        ["alice", 105],
        ["poison", 5],
      ]),
    );
  });

  it("when a batch holds more rows than SQLite takes bound parameters, then it is still applied in one transaction", async () => {
    const count = 40_000;
    const batch = asBatch(
      range(count).map((i) => command({ commandId: `big-${i}`, userId: `user-${i % 1000}`, amount: 1 + (i % 7) })),
    );
    const plan = await repository.applyBatch(batch, appliedAt);
    assert.equal(plan.newEntries.length, count);
    assert.equal(await db.ledgerEntry.count(), count);
    assert.equal(await db.account.count(), 1000);
    const expected = range(count)
      .filter((i) => i % 1000 === 0)
      .reduce((sum, i) => sum + 1 + (i % 7), 0);
    assert.equal((await db.account.findUniqueOrThrow({ where: { userId: "user-0" } })).balance, expected);

    const again = await repository.applyBatch(batch, appliedAt);
    assert.equal(again.alreadyProcessed, count);
    assert.equal(await db.ledgerEntry.count(), count);
  });
});
