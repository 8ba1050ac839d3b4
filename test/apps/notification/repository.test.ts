// The notification use case on its repository, on a real migrated SQLite file.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import Database from "better-sqlite3";
import { notifyOutcomes } from "../../../apps/notification/notify-outcomes.ts";
import { createNotificationRepository } from "../../../apps/notification/repository.ts";
import { outcomeEvent } from "../../helpers/outcome-events.ts";
import { databaseForSuite } from "../../helpers/sqlite-file.ts";

describe("notification repository on SQLite", () => {
  // Prisma sets up and reads what the repository wrote, through its own connection (better-sqlite3,
  // as the service has it), which reports every statement it runs, to see what one batch costs.
  const database = databaseForSuite("notification-db");
  const statements: string[] = [];
  let sqlite: Database.Database;
  before(async () => {
    await database.db.store.create({ data: { id: "store-3", name: "Store 3" } });
    // Reported with their parameters filled in: put back as `?`, to compare the statements' shapes.
    const shape = (sql: unknown) => String(sql).replace(/'(?:[^']|'')*'(?:\/\*\+\d+ bytes\*\/)?/g, "?");
    sqlite = new Database(database.file, { verbose: (sql) => statements.push(shape(sql)) });
  });
  after(() => sqlite.close());
  beforeEach(async () => {
    await database.db.notification.deleteMany();
    statements.length = 0;
  });

  const messagesOf = async (userId: string) =>
    (await database.db.notification.findMany({ where: { userId }, orderBy: { id: "asc" } })).map((n) => [
      n.eventId,
      n.message,
    ]);

  it("when a batch of outcomes is notified, then each user gets one message per event, naming the store from the Store table", async () => {
    const created = await notifyOutcomes(
      [
        outcomeEvent({
          eventId: "e1",
          userId: "u1",
          storeId: "store-3",
          type: "charge",
          amount: 500,
          balanceAfter: 500,
        }),
        outcomeEvent({
          eventId: "e2",
          userId: "u1",
          storeId: "store-3",
          type: "deduct",
          amount: 900,
          balanceAfter: 400,
          status: "rejected",
        }),
        outcomeEvent({
          eventId: "e3",
          userId: "u2",
          storeId: "store-unknown",
          type: "deduct",
          amount: 300,
          balanceAfter: 0,
        }),
      ],
      createNotificationRepository(sqlite),
    );
    assert.deepEqual(
      created.map((n) => n.eventId),
      ["e1", "e2", "e3"],
    );
    assert.deepEqual(await messagesOf("u1"), [
      ["e1", "500 points earned at Store 3"],
      ["e2", "deduction of 900 rejected: balance 400"],
    ]);
    assert.deepEqual(await messagesOf("u2"), [["e3", "300 points redeemed at store-unknown"]]);
    const stored = await database.db.notification.findFirstOrThrow({ where: { eventId: "e1" } });
    assert.ok(
      stored.createdAt instanceof Date && !Number.isNaN(stored.createdAt.getTime()),
      "createdAt reads back as a date",
    );
  });

  it("when events are delivered again in a later batch and repeated within one, then each eventId has one notification and only new ones are reported", async () => {
    const repository = createNotificationRepository(sqlite);
    await notifyOutcomes(
      [outcomeEvent({ eventId: "e1", amount: 10 }), outcomeEvent({ eventId: "e2", amount: 20 })],
      repository,
    );
    const created = await notifyOutcomes(
      [
        outcomeEvent({ eventId: "e2", amount: 20 }),
        outcomeEvent({ eventId: "e3", amount: 30 }),
        outcomeEvent({ eventId: "e3", amount: 30 }),
      ],
      repository,
    );
    assert.deepEqual(
      created.map((n) => n.eventId),
      ["e3"],
    );
    assert.deepEqual(
      (await messagesOf("u1")).map(([eventId]) => eventId),
      ["e1", "e2", "e3"],
    );
  });

  it("when batches of 3 and of 2000 events are stored, then each costs one store lookup and one insert, with no transaction around the one statement", async () => {
    const batch = (size: number, prefix: string) =>
      Array.from({ length: size }, (_, i) =>
        outcomeEvent({ eventId: `${prefix}-${i}`, userId: `u${i % 50}`, storeId: `store-${i % 7}` }),
      );
    // A repository of its own for each, so that neither finds the other's names remembered.
    const shapes = () => [...statements];
    await notifyOutcomes(batch(3, "small"), createNotificationRepository(sqlite));
    const small = shapes();
    statements.length = 0;
    await notifyOutcomes(batch(2000, "large"), createNotificationRepository(sqlite));
    assert.deepEqual(shapes(), small);
    assert.equal(statements.filter((s) => s.trim().startsWith("SELECT")).length, 1);
    assert.equal(statements.filter((s) => s.trim().startsWith("INSERT")).length, 1);
    assert.equal(statements.filter((s) => /^(BEGIN|COMMIT)/.test(s)).length, 0);
    assert.equal(await database.db.notification.count(), 2003);
  });

  it("when stores' names were looked up less than a second ago, then the next batches use them without a query, and a renamed store shows its new name after that second", async () => {
    let now = 0;
    const repository = createNotificationRepository(sqlite, { namesMaxAgeMs: 1_000, now: () => now });
    const lookups = () => statements.filter((s) => s.trim().startsWith("SELECT")).length;
    const earned = (eventId: string) => [outcomeEvent({ eventId, userId: "u9", storeId: "store-3", amount: 5 })];
    await notifyOutcomes(earned("r1"), repository);
    now = 999;
    await notifyOutcomes(earned("r2"), repository);
    assert.equal(lookups(), 1);
    await database.db.store.update({ where: { id: "store-3" }, data: { name: "Store 3 renamed" } });
    now = 1_000;
    await notifyOutcomes(earned("r3"), repository);
    assert.equal(lookups(), 2);
    await database.db.store.update({ where: { id: "store-3" }, data: { name: "Store 3" } });
    assert.deepEqual(await messagesOf("u9"), [
      ["r1", "5 points earned at Store 3"],
      ["r2", "5 points earned at Store 3"],
      ["r3", "5 points earned at Store 3 renamed"],
    ]);
  });
});
