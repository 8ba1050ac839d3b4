import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type AppliedEntry, verify } from "../../../seed/lab/verify.ts";
import type { IssuedCommand } from "../../../seed/load/workload.ts";

const command = (userId: string, seq: number, type: "charge" | "deduct", amount: number): IssuedCommand => ({
  commandId: `${userId}-${seq}`,
  userId,
  seq,
  type,
  amount,
  storeId: "store-1",
  terminalId: "store-1-pos-1",
});

// u1: charge 500, deduct 500, charge 100, deduct 300 (rejected in order: balance 100).
const issued = [
  command("u1", 0, "charge", 500),
  command("u1", 1, "deduct", 500),
  command("u1", 2, "charge", 100),
  command("u1", 3, "deduct", 300),
  command("u2", 0, "charge", 50),
];

/** A ledger applying `order` (commandIds) with its own balance arithmetic, as the real one would. */
function ledger(order: string[]): AppliedEntry[] {
  const balances = new Map<string, number>();
  return order.map((id) => {
    const c = issued.find((x) => x.commandId === id)!;
    const balance = balances.get(c.userId) ?? 0;
    const ok = c.type === "charge" || c.amount <= balance;
    const after = c.type === "charge" ? balance + c.amount : ok ? balance - c.amount : balance;
    balances.set(c.userId, after);
    return { commandId: id, userId: c.userId, status: ok ? "applied" : "rejected", balanceAfter: after };
  });
}

const none = {
  outOfOrder: 0,
  wrongRejections: 0,
  wrongAcceptances: 0,
  balanceDrift: 0,
  balanceDriftPoints: 0,
  duplicates: 0,
  lost: 0,
  unknown: 0,
  negativeBalances: 0,
  accountDrift: 0,
};

describe("verify", () => {
  it("when the ledger applied every command in issue order, then it finds nothing", () => {
    const result = verify(issued, ledger(["u1-0", "u2-0", "u1-1", "u1-2", "u1-3"]));
    assert.deepEqual(result.anomalies, none);
    assert.deepEqual(result.examples, {});
    assert.equal(result.commands, 5);
    assert.equal(result.users, 2);
  });

  it("when a deduction overtakes the charge it spends, then it is out of order and wrongly rejected", () => {
    // u1-1 (deduct 500) before u1-0 (charge 500): rejected; then the rest plays out from there.
    const result = verify(issued, ledger(["u1-1", "u1-0", "u1-2", "u1-3", "u2-0"]));
    // Balance ends at 500 + 100 - 300 = 300 instead of 100: u1-3 accepted wrongly, drift 200.
    assert.deepEqual(result.anomalies, {
      ...none,
      outOfOrder: 1,
      wrongRejections: 1,
      wrongAcceptances: 1,
      balanceDrift: 1,
      balanceDriftPoints: 200,
    });
    assert.match(result.examples.outOfOrder![0]!, /u1: #0 applied after #1/);
  });

  it("when the only reordering keeps every outcome, then it is only out of order", () => {
    // Two charges swapped: outcomes and final balance unchanged.
    const twoCharges = [command("u3", 0, "charge", 10), command("u3", 1, "charge", 20)];
    const result = verify(twoCharges, [
      { commandId: "u3-1", userId: "u3", status: "applied", balanceAfter: 20 },
      { commandId: "u3-0", userId: "u3", status: "applied", balanceAfter: 30 },
    ]);
    assert.deepEqual(result.anomalies, { ...none, outOfOrder: 1 });
  });

  it("when a command is applied twice, then it is one duplicate and the replayed balance shows the drift", () => {
    const entries = ledger(["u1-0", "u1-1", "u1-2", "u1-3", "u2-0"]);
    entries.push({ commandId: "u2-0", userId: "u2", status: "applied", balanceAfter: 100 });
    const result = verify(issued, entries);
    assert.deepEqual(result.anomalies, { ...none, duplicates: 1, balanceDrift: 1, balanceDriftPoints: 50 });
  });

  it("when a command never reaches the ledger, then it is lost (and its absence drifts the balance)", () => {
    const result = verify(issued, ledger(["u1-0", "u1-1", "u1-2", "u1-3"]));
    assert.deepEqual(result.anomalies, { ...none, lost: 1, balanceDrift: 1, balanceDriftPoints: 50 });
  });

  it("when the ledger has entries nobody issued, then they are counted as unknown", () => {
    const entries = ledger(["u1-0", "u1-1", "u1-2", "u1-3", "u2-0"]);
    entries.push({ commandId: "x-1", userId: "u9", status: "applied", balanceAfter: 1 });
    assert.deepEqual(verify(issued, entries).anomalies, { ...none, unknown: 1 });
  });

  it("when the stored balances are given and match the replay, then it finds nothing", () => {
    const accounts = new Map([
      ["u1", 100],
      ["u2", 50],
    ]);
    const result = verify(issued, ledger(["u1-0", "u2-0", "u1-1", "u1-2", "u1-3"]), new Map(), accounts);
    assert.deepEqual(result.anomalies, none);
  });

  it("when a stored balance differs from the replay or is missing, then the user counts as account drift", () => {
    const result = verify(issued, ledger(["u1-0", "u2-0", "u1-1", "u1-2", "u1-3"]), new Map(), new Map([["u1", 90]]));
    assert.deepEqual(result.anomalies, { ...none, accountDrift: 2 });
    assert.deepEqual(result.examples.accountDrift, [
      "u1: account balance 90, in order 100",
      "u2: account balance 0, in order 50",
    ]);
  });

  it("when an entry or a stored balance is below zero, then each counts as a negative balance", () => {
    const overdrawn = [command("u5", 0, "charge", 10), command("u5", 1, "deduct", 30)];
    const result = verify(
      overdrawn,
      [
        { commandId: "u5-0", userId: "u5", status: "applied", balanceAfter: 10 },
        { commandId: "u5-1", userId: "u5", status: "applied", balanceAfter: -20 },
      ],
      new Map(),
      new Map([["u5", -20]]),
    );
    assert.equal(result.anomalies.negativeBalances, 2);
    assert.equal(result.anomalies.wrongAcceptances, 1);
    assert.match(result.examples.negativeBalances![0]!, /u5: balance -20 after u5-1/);
  });

  it("when users had opening balances, then the replay starts from them", () => {
    const deductOnly = [command("u4", 0, "deduct", 80)];
    const result = verify(
      deductOnly,
      [{ commandId: "u4-0", userId: "u4", status: "applied", balanceAfter: 20 }],
      new Map([["u4", 100]]),
    );
    assert.deepEqual(result.anomalies, none);
  });
});
