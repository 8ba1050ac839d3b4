// The ledger's repository on a real SQLite file: its transaction (all or nothing, the write lock
// first), its readers giving back what its writers wrote, and rows stored as Prisma stores them.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import { applyBatch, type LedgerBatchStore } from "../../../apps/ledger/apply-batch.ts";
import { rejectionReasons } from "../../../apps/shared/topics.ts";
import { freshDatabaseEachTest } from "../../helpers/sqlite-file.ts";
import { range } from "../../helpers/wait.ts";
import { asBatch, command, ledgerEntry, ledgerRepositoryEachTest, ledgerTables } from "./ledger-fixture.ts";

describe("ledger repository (SQLite)", () => {
  const fresh = freshDatabaseEachTest("ledger-repo");
  const repository = ledgerRepositoryEachTest(fresh);
  const appliedAt = new Date("2026-03-01T10:00:05.123Z");

  const rawDb = <T>(use: (raw: Database.Database) => T): T => {
    const raw = new Database(fresh.file);
    try {
      return use(raw);
    } finally {
      raw.close();
    }
  };

  it("when a batch is applied, then its entries (in offset order) and accounts are stored as Prisma stores them", async () => {
    const { db } = fresh;
    await db.account.create({ data: { userId: "bob", balance: 10, version: 3 } });
    const plan = await applyBatch(
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
      repository(),
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

  it("when entries are written, then reading them by commandId gives back the same records (nulls, bigint offsets and times included); unknown ids are absent", async () => {
    const written = [
      ledgerEntry("e1"),
      ledgerEntry("e2", {
        type: "deduct",
        status: "rejected",
        reason: rejectionReasons.insufficientBalance,
        orderId: "order-2",
        offset: 9_007_199_254_740_993n,
        appliedAt: appliedAt,
      }),
    ];
    // One applied time per insert, as apply-batch.ts writes them.
    await repository().inTransaction(async (store) => {
      await store.insertEntries([written[0]!], written[0]!.appliedAt);
      await store.insertEntries([written[1]!], appliedAt);
    });
    const found = await repository().inTransaction((store) => store.findEntries(["e2", "e1", "nope"]));
    assert.deepEqual(
      found,
      new Map([
        ["e1", written[0]],
        ["e2", written[1]],
      ]),
    );
  });

  it("when accounts are written, then new ones are created, existing ones get the balance and their version grows by the applied count", async () => {
    await fresh.db.account.create({ data: { userId: "bob", balance: 10, version: 3 } });
    await repository().inTransaction((store) =>
      store.writeAccounts(
        [
          { userId: "alice", balance: 40, appliedCount: 2 },
          { userId: "bob", balance: 25, appliedCount: 1 },
        ],
        appliedAt,
      ),
    );
    const balances = await repository().inTransaction((store) => store.findBalances(["alice", "bob", "carol"]));
    assert.deepEqual(
      balances,
      new Map([
        ["alice", 40],
        ["bob", 25],
      ]),
    );
    const versions = await fresh.db.account.findMany({ orderBy: { userId: "asc" }, select: { version: true } });
    assert.deepEqual(
      versions.map((a) => a.version),
      [2, 4],
    );
  });

  it("when the work in a transaction throws, then none of its writes are stored", async () => {
    await assert.rejects(
      repository().inTransaction(async (store: LedgerBatchStore) => {
        await store.insertEntries([ledgerEntry("e1")], appliedAt);
        await store.writeAccounts([{ userId: "alice", balance: 70, appliedCount: 1 }], appliedAt);
        throw new Error("changed my mind");
      }),
      /changed my mind/,
    );
    assert.equal(await fresh.db.ledgerEntry.count(), 0);
    assert.equal(await fresh.db.account.count(), 0);
  });

  it("when a transaction starts, then its first statement takes SQLite's write lock (so reads are the state it writes on)", async () => {
    await repository().inTransaction(async (store) => {
      // Another connection can neither write now nor take the lock for itself.
      const blocked = rawDb((raw) => {
        raw.pragma("busy_timeout = 0");
        try {
          raw.exec(`BEGIN IMMEDIATE`);
          raw.exec(`ROLLBACK`);
          return false;
        } catch (error) {
          return /database is locked/.test(String(error));
        }
      });
      assert.equal(blocked, true, "the write lock is held before anything is read");
      await store.findBalances(["alice"]);
    });
  });

  it("when two transactions are started at once on one repository, then the second begins only after the first committed", async () => {
    const shared = repository();
    const order: string[] = [];
    let releaseFirst!: () => void;
    const firstMayEnd = new Promise<void>((resolve) => {
      releaseFirst = resolve;
    });
    let firstStarted!: () => void;
    const firstIsIn = new Promise<void>((resolve) => {
      firstStarted = resolve;
    });
    const first = shared.inTransaction(async (store) => {
      order.push("first begins");
      firstStarted();
      await firstMayEnd;
      await store.writeAccounts([{ userId: "alice", balance: 1, appliedCount: 1 }], appliedAt);
      order.push("first ends");
    });
    const second = shared.inTransaction(async (store) => {
      order.push(`second begins, sees ${[...(await store.findBalances(["alice"])).values()]}`);
    });
    await firstIsIn;
    releaseFirst();
    await Promise.all([first, second]);
    assert.deepEqual(order, ["first begins", "first ends", "second begins, sees 1"]);
  });

  it("when a statement fails in the middle of a batch, then nothing of the batch is stored", async () => {
    const { db } = fresh;
    await applyBatch(asBatch([command({ commandId: "c0", userId: "alice", amount: 100 })]), appliedAt, repository());
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

    await assert.rejects(applyBatch(batch, appliedAt, repository()), /poisoned account/);
    assert.deepEqual(await ledgerTables(db), before);

    rawDb((raw) => raw.exec(`DROP TRIGGER "fail_poison"`));
    await applyBatch(batch, appliedAt, repository());
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
    const { db } = fresh;
    const count = 40_000;
    const batch = asBatch(
      range(count).map((i) => command({ commandId: `big-${i}`, userId: `user-${i % 1000}`, amount: 1 + (i % 7) })),
    );
    const plan = await applyBatch(batch, appliedAt, repository());
    assert.equal(plan.newEntries.length, count);
    assert.equal(await db.ledgerEntry.count(), count);
    assert.equal(await db.account.count(), 1000);
    const expected = range(count)
      .filter((i) => i % 1000 === 0)
      .reduce((sum, i) => sum + 1 + (i % 7), 0);
    assert.equal((await db.account.findUniqueOrThrow({ where: { userId: "user-0" } })).balance, expected);

    const again = await applyBatch(batch, appliedAt, repository());
    assert.equal(again.alreadyProcessed, count);
    assert.equal(await db.ledgerEntry.count(), count);
  });
});
