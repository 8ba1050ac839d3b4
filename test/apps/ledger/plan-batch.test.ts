// The ledger's rules without I/O: planBatch over given balances and already-stored entries.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type BatchState, planBatch } from "../../../apps/ledger/plan-batch.ts";
import { pointsEventSchema, rejectionReasons } from "../../../apps/shared/topics.ts";
import { asBatch, command, ledgerEntry } from "./ledger-fixture.ts";

const appliedAt = new Date("2026-03-01T10:00:05.000Z");
const empty: BatchState = { balances: new Map(), processed: new Map() };

describe("ledger apply (planBatch)", () => {
  it("when one user's commands are applied in order, then each outcome carries the running balance and the account is written once", () => {
    const plan = planBatch(
      asBatch([
        command({ commandId: "c1", userId: "alice", amount: 500, reason: "opening balance" }),
        command({ commandId: "c2", userId: "alice", type: "deduct", amount: 120 }),
        command({ commandId: "c3", userId: "alice", amount: 20 }),
      ]),
      empty,
      appliedAt,
    );
    assert.deepEqual(
      plan.newEntries.map((e) => [e.commandId, e.status, e.balanceAfter]),
      [
        ["c1", "applied", 500],
        ["c2", "applied", 380],
        ["c3", "applied", 400],
      ],
    );
    assert.deepEqual(plan.accountWrites, [{ userId: "alice", balance: 400, appliedCount: 3 }]);
    assert.equal(plan.newEntries[0]!.reason, "opening balance", "an applied command keeps its own reason");
    assert.deepEqual(
      plan.outcomes.map((e) => [e.eventId, e.balanceAfter]),
      [
        ["c1", 500],
        ["c2", 380],
        ["c3", 400],
      ],
    );
  });

  it("when a deduction is larger than the balance, then it is rejected with its reason and the balance stays as it was", () => {
    const plan = planBatch(
      asBatch([
        command({ commandId: "d1", userId: "bob", type: "deduct", amount: 301 }),
        command({ commandId: "d2", userId: "bob", type: "deduct", amount: 100 }),
      ]),
      { balances: new Map([["bob", 300]]), processed: new Map() },
      appliedAt,
    );
    const [rejected, applied] = plan.newEntries;
    assert.equal(rejected!.status, "rejected");
    assert.equal(rejected!.reason, rejectionReasons.insufficientBalance);
    assert.equal(rejected!.balanceAfter, 300);
    assert.equal(applied!.status, "applied");
    assert.equal(applied!.balanceAfter, 200);
    assert.deepEqual(plan.accountWrites, [{ userId: "bob", balance: 200, appliedCount: 1 }]);
    assert.equal(plan.outcomes[0]!.status, "rejected");
    assert.equal(plan.outcomes[0]!.reason, rejectionReasons.insufficientBalance);
  });

  it("when a deduction equals the balance, then it is applied and the balance is 0", () => {
    const plan = planBatch(
      asBatch([command({ commandId: "d1", userId: "carol", type: "deduct", amount: 75 })]),
      { balances: new Map([["carol", 75]]), processed: new Map() },
      appliedAt,
    );
    assert.equal(plan.newEntries[0]!.status, "applied");
    assert.equal(plan.newEntries[0]!.balanceAfter, 0);
    assert.deepEqual(plan.accountWrites, [{ userId: "carol", balance: 0, appliedCount: 1 }]);
  });

  it("when a user without an account deducts, then it is rejected against a balance of 0 and no account is written", () => {
    const plan = planBatch(
      asBatch([command({ commandId: "d1", userId: "dave", type: "deduct", amount: 1 })]),
      empty,
      appliedAt,
    );
    assert.equal(plan.newEntries[0]!.status, "rejected");
    assert.equal(plan.newEntries[0]!.balanceAfter, 0);
    assert.deepEqual(plan.accountWrites, []);
  });

  it("when a commandId appears twice in one batch, then it is applied and emitted once", () => {
    const charge = command({ commandId: "c1", userId: "erin", amount: 50 });
    const plan = planBatch(
      asBatch([charge, charge, command({ commandId: "c2", userId: "erin", amount: 5 })]),
      empty,
      appliedAt,
    );
    assert.deepEqual(
      plan.newEntries.map((e) => e.commandId),
      ["c1", "c2"],
    );
    assert.deepEqual(
      plan.outcomes.map((e) => e.eventId),
      ["c1", "c2"],
    );
    assert.deepEqual(plan.accountWrites, [{ userId: "erin", balance: 55, appliedCount: 2 }]);
    assert.equal(plan.repeatedInBatch, 1);
  });

  it("when a command was already processed, then it is not applied again and its stored outcome is emitted again unchanged", () => {
    const stored = ledgerEntry("c1", { userId: "frank", amount: 70, balanceAfter: 70, orderId: "order-9" });
    const batch = asBatch(
      [
        command({ commandId: "c1", userId: "frank", amount: 70 }),
        command({ commandId: "c2", userId: "frank", type: "deduct", amount: 30 }),
      ],
      4,
      17n,
    );
    const plan = planBatch(
      batch,
      { balances: new Map([["frank", 70]]), processed: new Map([["c1", stored]]) },
      appliedAt,
    );

    assert.deepEqual(
      plan.newEntries.map((e) => e.commandId),
      ["c2"],
    );
    assert.equal(plan.alreadyProcessed, 1);
    assert.deepEqual(plan.accountWrites, [{ userId: "frank", balance: 40, appliedCount: 1 }]);
    assert.deepEqual(plan.outcomes[0], {
      eventId: "c1",
      commandId: "c1",
      type: "charge",
      status: "applied",
      userId: "frank",
      amount: 70,
      balanceAfter: 70,
      storeId: "store-1",
      terminalId: "store-1-pos-1",
      orderId: "order-9",
      issuedAt: "2026-03-01T09:59:00.000Z",
      appliedAt: "2026-03-01T09:59:01.000Z",
      source: { topic: "points.commands", partition: 4, offset: "17" },
    });
  });

  it("when users' commands interleave, then each user's balance depends only on their own commands", () => {
    const plan = planBatch(
      asBatch([
        command({ commandId: "a1", userId: "alice", amount: 100 }),
        command({ commandId: "b1", userId: "bob", type: "deduct", amount: 50 }),
        command({ commandId: "a2", userId: "alice", type: "deduct", amount: 60 }),
        command({ commandId: "b2", userId: "bob", amount: 10 }),
        command({ commandId: "b3", userId: "bob", type: "deduct", amount: 40 }),
      ]),
      { balances: new Map([["bob", 45]]), processed: new Map() },
      appliedAt,
    );
    assert.deepEqual(
      plan.newEntries.map((e) => [e.commandId, e.status, e.balanceAfter]),
      [
        ["a1", "applied", 100],
        ["b1", "rejected", 45],
        ["a2", "applied", 40],
        ["b2", "applied", 55],
        ["b3", "applied", 15],
      ],
    );
    assert.deepEqual(
      [...plan.accountWrites].sort((x, y) => x.userId.localeCompare(y.userId)),
      [
        { userId: "alice", balance: 40, appliedCount: 2 },
        { userId: "bob", balance: 15, appliedCount: 2 },
      ],
    );
  });

  it("when outcomes are emitted, then each is a valid points event with eventId = commandId and the command's source", () => {
    const plan = planBatch(
      asBatch(
        [
          command({ commandId: "c1", userId: "gina", amount: 5 }),
          command({ commandId: "c2", userId: "gina", type: "deduct", amount: 9 }),
        ],
        2,
        40n,
      ),
      empty,
      appliedAt,
    );
    for (const [i, event] of plan.outcomes.entries()) {
      assert.deepEqual(pointsEventSchema.parse(event), event);
      assert.equal(event.eventId, event.commandId);
      assert.deepEqual(event.source, { topic: "points.commands", partition: 2, offset: String(40 + i) });
      assert.equal(event.appliedAt, appliedAt.toISOString());
    }
    assert.equal(plan.outcomes[0]!.orderId, undefined, "no orderId key when the command had none");
  });
});
