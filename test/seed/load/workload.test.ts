import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sequentialReplay } from "../../../seed/lab/verify.ts";
import { generateWorkload, seededRandom } from "../../../seed/load/workload.ts";

describe("generateWorkload", () => {
  it("when given the same seed, then it produces the same commands; another seed gives others", () => {
    const a = generateWorkload({ users: 20, commands: 500, seed: 7 });
    const b = generateWorkload({ users: 20, commands: 500, seed: 7 });
    const c = generateWorkload({ users: 20, commands: 500, seed: 8 });
    assert.deepEqual(a, b);
    assert.notDeepEqual(a.commands, c.commands);
  });

  it("when generated, then each user's commands appear in seq order, ids are unique and counts are split evenly", () => {
    const { users, commands } = generateWorkload({ users: 7, commands: 100, seed: 1 });
    assert.equal(commands.length, 100);
    assert.equal(new Set(commands.map((c) => c.commandId)).size, 100);
    const ids = commands.map((c) => c.commandId);
    assert.deepEqual([...ids].sort(), ids, "ids sort in issue order");
    for (const user of users) {
      const seqs = commands.filter((c) => c.userId === user).map((c) => c.seq);
      assert.deepEqual(
        seqs,
        seqs.map((_, i) => i),
      );
      assert.ok(seqs.length === 14 || seqs.length === 15);
    }
    for (const c of commands) assert.ok(Number.isInteger(c.amount) && c.amount > 0);
  });

  it("when replayed in order, then most deductions apply and some are rejected, and the balance never goes negative", () => {
    const { users, commands } = generateWorkload({ users: 50, commands: 5_000, seed: 42 });
    let applied = 0;
    let rejected = 0;
    for (const user of users) {
      const own = commands.filter((c) => c.userId === user);
      const { outcomes, balance } = sequentialReplay(own);
      assert.ok(balance >= 0);
      for (const c of own) if (c.type === "deduct") outcomes.get(c.commandId) === "applied" ? applied++ : rejected++;
    }
    assert.ok(applied > rejected * 3, `applied ${applied}, rejected ${rejected}`);
    assert.ok(rejected > 0);
  });

  it("when swapping a deduction before the charge it spends, then the replay's outcome changes (order matters)", () => {
    const { users, commands } = generateWorkload({ users: 1, commands: 200, seed: 3 });
    const own = commands.filter((c) => c.userId === users[0]);
    const index = own.findIndex(
      (c, i) =>
        i > 0 &&
        c.type === "deduct" &&
        own[i - 1]!.type === "charge" &&
        sequentialReplay(own).outcomes.get(c.commandId) === "applied",
    );
    assert.ok(index > 0, "the workload has a charge followed by a deduction spending it");
    const swapped = own.map((c) => ({ ...c }));
    [swapped[index - 1]!.seq, swapped[index]!.seq] = [swapped[index]!.seq, swapped[index - 1]!.seq];
    assert.notDeepEqual([...sequentialReplay(swapped).outcomes], [...sequentialReplay(own).outcomes]);
  });

  it("when asked for random numbers, then seededRandom stays in [0, 1)", () => {
    const random = seededRandom(123);
    for (let i = 0; i < 10_000; i++) {
      const x = random();
      assert.ok(x >= 0 && x < 1);
    }
  });
});
