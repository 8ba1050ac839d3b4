// A user's history and the recent ledger on points-api's repositories and a real SQLite file.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createLedgerRepository } from "../../../../apps/points-api/repositories/ledger.ts";
import { createNotificationsRepository } from "../../../../apps/points-api/repositories/notifications.ts";
import { createUsersRepository } from "../../../../apps/points-api/repositories/users.ts";
import { createHistoryUseCases } from "../../../../apps/points-api/use-cases/history.ts";
import { freshDatabaseEachTest } from "../../../helpers/sqlite-file.ts";
import { seedReferences } from "../helpers.ts";

describe("points-api history use cases (SQLite)", () => {
  const fresh = freshDatabaseEachTest("points-api-history");
  const history = () =>
    createHistoryUseCases({
      users: createUsersRepository(fresh.db),
      ledger: createLedgerRepository(fresh.db),
      notifications: createNotificationsRepository(fresh.db),
    });
  const seedEntries = async () => {
    await seedReferences(fresh.db);
    for (const [i, userId] of ["u1", "u2", "u1"].entries()) {
      await fresh.db.ledgerEntry.create({
        data: {
          commandId: `c${i}`,
          userId,
          type: "charge",
          amount: 10,
          status: "applied",
          balanceAfter: 10,
          storeId: "s1",
          terminalId: "t1",
          topic: "points.commands",
          partition: 0,
          offset: BigInt(i),
          issuedAt: new Date("2026-01-01T10:00:00Z"),
        },
      });
    }
  };

  it("when a user's ledger is asked for, then their entries without the userId, in applied order", async () => {
    await seedEntries();
    const { entries } = await history().ledgerOf("u1", 10);
    assert.deepEqual(
      entries.map((e) => e.commandId),
      ["c0", "c2"],
    );
    assert.ok(entries.every((e) => !("userId" in e)));
  });

  it("when the recent ledger is asked for, then all users' entries newest first, with their userId", async () => {
    await seedEntries();
    const { entries } = await history().recentEntries(2);
    assert.deepEqual(
      entries.map((e) => [e.commandId, e.userId]),
      [
        ["c2", "u1"],
        ["c1", "u2"],
      ],
    );
  });

  it("when an unknown user's ledger or notifications are asked for, then 404; a known user's come back", async () => {
    await seedReferences(fresh.db);
    await fresh.db.notification.create({ data: { userId: "u1", eventId: "e1", message: "hello" } });
    await assert.rejects(history().ledgerOf("ghost", 10), { status: 404, message: "user ghost not found" });
    await assert.rejects(history().notificationsOf("ghost", 10), { status: 404 });
    const { notifications } = await history().notificationsOf("u1", 10);
    assert.deepEqual(
      notifications.map((n) => n.message),
      ["hello"],
    );
  });
});
