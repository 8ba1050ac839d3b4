// The apply-batch use case on the ledger's repository and a real SQLite file: one transaction of a
// constant set of statements per batch, a group commit's partitions kept apart, and a redelivered
// batch found already processed.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { applyBatch } from "../../../apps/ledger/apply-batch.ts";
import { createLedgerRepository } from "../../../apps/ledger/repository.ts";
import { freshDatabaseEachTest } from "../../helpers/sqlite-file.ts";
import { range } from "../../helpers/wait.ts";
import { asBatch, command, ledgerTables } from "./ledger-fixture.ts";

describe("ledger apply-batch (SQLite)", () => {
  const fresh = freshDatabaseEachTest("ledger-apply");
  const repository = () => createLedgerRepository(fresh.db);
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

  it("when batches of 1 and of 3,000 commands over several partitions are applied, then each is one transaction of the same five statements", async () => {
    const statementsOf = async (size: number, prefix: string) => {
      fresh.statements.length = 0;
      const commands = range(size).map((i) =>
        command({ commandId: `${prefix}-${i}`, userId: `user-${i % 300}`, type: i % 3 ? "deduct" : "charge" }),
      );
      const perPartition = Math.ceil(size / 6);
      await applyBatch(
        range(6).flatMap((p) => asBatch(commands.slice(p * perPartition, (p + 1) * perPartition), p)),
        appliedAt,
        repository(),
      );
      return [...fresh.statements];
    };
    const small = await statementsOf(1, "one");
    const large = await statementsOf(3_000, "many");
    assert.deepEqual(large, small);
    const work = small.filter((s) => !/^(BEGIN|COMMIT)/.test(s));
    assert.equal(work.length, 5, work.join("\n"));
    assert.deepEqual(
      work.map((s) => /^\s*(\w+)/.exec(s)![1]),
      ["UPDATE", "SELECT", "SELECT", "INSERT", "INSERT"],
      "write lock, stored entries, balances, new entries, accounts",
    );
  });

  it("when every command of a batch was processed before, then nothing is written and the stored outcomes come back", async () => {
    const batch = asBatch([command({ commandId: "c1", userId: "alice", amount: 40 })]);
    const first = await applyBatch(batch, appliedAt, repository());
    fresh.statements.length = 0;
    const again = await applyBatch(batch, appliedAt, repository());
    assert.deepEqual(again.outcomes, first.outcomes);
    assert.equal(fresh.statements.filter((s) => /^\s*INSERT/.test(s)).length, 0);
  });
});
