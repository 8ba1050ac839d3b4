// The apply-batch use case on the ledger's repository and a real SQLite file: one transaction per
// batch whatever its size, the write lock first, a group commit's partitions kept apart, and a
// redelivered batch found already processed.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import { applyBatch, type LedgerRepository } from "../../../apps/ledger/apply-batch.ts";
import { createLedgerRepository } from "../../../apps/ledger/repository.ts";
import { freshDatabaseEachTest } from "../../helpers/sqlite-file.ts";
import { range } from "../../helpers/wait.ts";
import { asBatch, command, ledgerRepositoryEachTest, ledgerTables } from "./ledger-fixture.ts";

describe("ledger apply-batch (SQLite)", () => {
  const fresh = freshDatabaseEachTest("ledger-apply");
  const repository = ledgerRepositoryEachTest(fresh);
  const appliedAt = new Date("2026-03-01T10:00:05.123Z");

  it("when one transaction holds several partitions' batches (a group commit), then each entry keeps its own partition and offset", async () => {
    const { db } = fresh;
    await applyBatch(
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
      repository(),
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
    const partitionTypes = await db.$queryRawUnsafe(`SELECT DISTINCT typeof("partition") AS t FROM "LedgerEntry"`);
    assert.deepEqual(partitionTypes, [{ t: "integer" }]);
  });

  it("when the same batch is applied again, then nothing changes and the stored outcomes are returned as they were", async () => {
    const { db } = fresh;
    const batch = asBatch(
      [
        command({ commandId: "c1", userId: "alice", amount: 40 }),
        command({ commandId: "c2", userId: "alice", type: "deduct", amount: 50 }),
      ],
      1,
      100n,
    );
    const first = await applyBatch(batch, appliedAt, repository());
    const before = await ledgerTables(db);
    const again = await applyBatch(batch, new Date("2026-03-02T00:00:00.000Z"), repository());

    assert.deepEqual(await ledgerTables(db), before);
    assert.deepEqual(again.newEntries, []);
    assert.deepEqual(again.accountWrites, []);
    assert.equal(again.alreadyProcessed, 2);
    assert.deepEqual(again.outcomes, first.outcomes);
    assert.equal((await db.account.findUniqueOrThrow({ where: { userId: "alice" } })).version, 1);
  });

  /** The ledger's repository on a connection that records every statement it runs. */
  const traced = (use: (repository: LedgerRepository, statements: string[]) => Promise<void>) => {
    const statements: string[] = [];
    const sqlite = new Database(fresh.file, { timeout: 15_000, verbose: (sql) => statements.push(String(sql)) });
    return use(createLedgerRepository(sqlite), statements).finally(() => sqlite.close());
  };

  it("when batches of 1 and of 3,000 commands over several partitions are applied, then each is one transaction that takes the write lock first", async () => {
    await traced(async (repository, statements) => {
      for (const [size, prefix] of [
        [1, "one"],
        [3_000, "many"],
      ] as const) {
        statements.length = 0;
        const commands = range(size).map((i) =>
          command({ commandId: `${prefix}-${i}`, userId: `user-${i % 300}`, type: i % 3 ? "deduct" : "charge" }),
        );
        const perPartition = Math.ceil(size / 6);
        await applyBatch(
          range(6).flatMap((p) => asBatch(commands.slice(p * perPartition, (p + 1) * perPartition), p)),
          appliedAt,
          repository,
        );
        assert.equal(statements[0], "BEGIN IMMEDIATE", `${size}: the write lock comes first`);
        assert.equal(statements.at(-1), "COMMIT");
        assert.equal(
          statements.filter((s) => /^(BEGIN|COMMIT|ROLLBACK)/.test(s)).length,
          2,
          `${size}: one transaction`,
        );
      }
    });
    assert.equal(await fresh.db.ledgerEntry.count(), 3_001);
  });

  it("when every command of a batch was processed before, then nothing is written and the stored outcomes come back", async () => {
    const batch = asBatch([command({ commandId: "c1", userId: "alice", amount: 40 })]);
    const first = await applyBatch(batch, appliedAt, repository());
    await traced(async (tracedRepository, statements) => {
      const again = await applyBatch(batch, appliedAt, tracedRepository);
      assert.deepEqual(again.outcomes, first.outcomes);
      assert.equal(statements.filter((s) => /^\s*INSERT/.test(s)).length, 0);
    });
  });
});
