// The lab's parallel-unsafe mode: how a batch is dealt to concurrent workers and their plans merged.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { applyBatch } from "../../../apps/ledger/apply-batch.ts";
import type { BatchPlan, SourcedCommand } from "../../../apps/ledger/plan-batch.ts";
import { applyDealt, dealRoundRobin, unsafeWorkersFrom } from "../../../apps/ledger/unsafe-workers.ts";
import { freshDatabaseEachTest } from "../../helpers/sqlite-file.ts";
import { range } from "../../helpers/wait.ts";
import { asBatch, command, ledgerRepositoryEachTest, ledgerTables } from "./ledger-fixture.ts";

const emptyPlan = (): BatchPlan => ({
  newEntries: [],
  accountWrites: [],
  outcomes: [],
  alreadyProcessed: 0,
  repeatedInBatch: 0,
});

describe("ledger unsafe workers", () => {
  const fresh = freshDatabaseEachTest("ledger-unsafe");
  const ledgerRepository = ledgerRepositoryEachTest(fresh);

  it("when LEDGER_UNSAFE_WORKERS is read, then above 1 is the number of workers, 1 or unset is none, below 1 is refused", () => {
    assert.equal(unsafeWorkersFrom({}), undefined);
    assert.equal(unsafeWorkersFrom({ LEDGER_UNSAFE_WORKERS: "1" }), undefined);
    assert.equal(unsafeWorkersFrom({ LEDGER_UNSAFE_WORKERS: "4" }), 4);
    assert.throws(() => unsafeWorkersFrom({ LEDGER_UNSAFE_WORKERS: "0" }), /integer >= 1/);
  });

  it("when commands are dealt, then command i goes to worker i % workers, and never to more workers than commands", () => {
    assert.deepEqual(dealRoundRobin(range(7), 3), [
      [0, 3, 6],
      [1, 4],
      [2, 5],
    ]);
    assert.deepEqual(dealRoundRobin([1, 2], 4), [[1], [2]]);
    assert.deepEqual(dealRoundRobin([], 4), []);
  });

  it("when a batch is applied dealt, then the workers run at once and their plans are merged in worker order", async () => {
    const batch = asBatch(range(5).map((i) => command({ commandId: `c${i}`, userId: "alice" })));
    const started: string[][] = [];
    let release!: () => void;
    const allStarted = new Promise<void>((resolve) => (release = resolve));
    const plan = await applyDealt(batch, 2, async (share: SourcedCommand[]) => {
      started.push(share.map((c) => c.command.commandId));
      if (started.length === 2) release();
      await allStarted; // every worker is running before any finishes
      return { ...emptyPlan(), alreadyProcessed: share.length, repeatedInBatch: 1 };
    });
    assert.deepEqual(started, [
      ["c0", "c2", "c4"],
      ["c1", "c3"],
    ]);
    assert.equal(plan.alreadyProcessed, 5);
    assert.equal(plan.repeatedInBatch, 2);
  });

  it("when a batch is applied dealt on SQLite, then each command is stored once and the outcomes come in the dealt order", async () => {
    const repository = ledgerRepository();
    const batch = asBatch([
      command({ commandId: "a1", userId: "alice", amount: 100 }),
      command({ commandId: "b1", userId: "bob", amount: 10 }),
      command({ commandId: "a2", userId: "alice", type: "deduct", amount: 30 }),
      command({ commandId: "b2", userId: "bob", amount: 5 }),
    ]);
    const plan = await applyDealt(batch, 2, (share) => applyBatch(share, new Date(), repository));
    assert.deepEqual(
      plan.outcomes.map((e) => e.eventId),
      ["a1", "a2", "b1", "b2"],
    );
    const tables = await ledgerTables(fresh.db);
    assert.deepEqual(tables.entries.map((e) => e.commandId).sort(), ["a1", "a2", "b1", "b2"]);
    assert.deepEqual(
      tables.balances,
      new Map([
        ["alice", 70],
        ["bob", 15],
      ]),
    );
  });
});
