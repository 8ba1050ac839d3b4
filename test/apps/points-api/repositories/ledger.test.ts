// points-api's view of LedgerEntry on a real SQLite file: rows come back as the API serves them.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createLedgerRepository } from "../../../../apps/points-api/repositories/ledger.ts";
import type { Prisma } from "../../../../apps/shared/db/client.ts";
import { freshDatabaseEachTest } from "../../../helpers/sqlite-file.ts";

function entryRow(
  commandId: string,
  userId: string,
  offset: bigint,
  over: Partial<Prisma.LedgerEntryUncheckedCreateInput> = {},
): Prisma.LedgerEntryUncheckedCreateInput {
  return {
    commandId,
    userId,
    type: "charge",
    amount: 100,
    status: "applied",
    balanceAfter: 100,
    storeId: "s1",
    terminalId: "t1",
    topic: "points.commands",
    partition: 2,
    offset,
    issuedAt: new Date("2026-01-01T10:00:00Z"),
    appliedAt: new Date(`2026-01-01T10:00:0${offset}Z`),
    ...over,
  };
}

describe("points-api ledger repository (SQLite)", () => {
  const fresh = freshDatabaseEachTest("points-api-ledger");
  const insert = async (...rows: Prisma.LedgerEntryUncheckedCreateInput[]) => {
    for (const data of rows) await fresh.db.ledgerEntry.create({ data });
  };

  it("when an entry is found by commandId, then it is a view: times and a beyond-2^53 offset as strings, null fields left out", async () => {
    await insert(
      entryRow("c1", "u1", 9_007_199_254_740_993n, {
        type: "deduct",
        status: "rejected",
        reason: "insufficient balance",
        orderId: "o-1",
        appliedAt: new Date("2026-01-01T10:00:05.123Z"),
      }),
      entryRow("c2", "u1", 1n),
    );
    const repository = createLedgerRepository(fresh.db);
    assert.deepEqual(await repository.findByCommandId("c1"), {
      commandId: "c1",
      userId: "u1",
      type: "deduct",
      amount: 100,
      status: "rejected",
      balanceAfter: 100,
      reason: "insufficient balance",
      storeId: "s1",
      terminalId: "t1",
      orderId: "o-1",
      partition: 2,
      offset: "9007199254740993",
      issuedAt: "2026-01-01T10:00:00.000Z",
      appliedAt: "2026-01-01T10:00:05.123Z",
    });
    const plain = await repository.findByCommandId("c2");
    assert.equal(plain !== null && ("reason" in plain || "orderId" in plain), false, "no null fields");
    assert.equal(await repository.findByCommandId("nope"), null);
  });

  it("when a user's latest entries are asked for, then the last `limit` of theirs come oldest first; all users' latest come newest first", async () => {
    await insert(
      entryRow("a1", "u1", 0n),
      entryRow("b1", "u2", 1n),
      entryRow("a2", "u1", 2n),
      entryRow("a3", "u1", 3n),
    );
    const repository = createLedgerRepository(fresh.db);
    assert.deepEqual(
      (await repository.latestOfUser("u1", 2)).map((e) => e.commandId),
      ["a2", "a3"],
    );
    assert.deepEqual(
      (await repository.latest(3)).map((e) => e.commandId),
      ["a3", "a2", "b1"],
    );
  });
});
