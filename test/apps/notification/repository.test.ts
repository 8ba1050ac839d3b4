// The notification use case on its repository, on a real migrated SQLite file.
import assert from "node:assert/strict";
import { before, beforeEach, describe, it } from "node:test";
import { notifyOutcomes } from "../../../apps/notification/notify-outcomes.ts";
import { createNotificationRepository } from "../../../apps/notification/repository.ts";
import { outcomeEvent } from "../../helpers/outcome-events.ts";
import { databaseForSuite } from "../../helpers/sqlite-file.ts";

describe("notification repository on SQLite", () => {
  // Its client reports every statement it runs, to see what one batch costs.
  const database = databaseForSuite("notification-db");
  before(async () => {
    await database.db.store.create({ data: { id: "store-3", name: "Store 3" } });
  });
  beforeEach(async () => {
    await database.db.notification.deleteMany();
    database.statements.length = 0;
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
      createNotificationRepository(database.db),
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
    const repository = createNotificationRepository(database.db);
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

  it("when batches of 3 and of 2000 events are stored, then both cost the same statements: one store lookup and one insert in one transaction", async () => {
    const repository = createNotificationRepository(database.db);
    const batch = (size: number, prefix: string) =>
      Array.from({ length: size }, (_, i) =>
        outcomeEvent({ eventId: `${prefix}-${i}`, userId: `u${i % 50}`, storeId: `store-${i % 7}` }),
      );
    // The lookup lists the batch's distinct stores; that list is the only thing allowed to differ.
    const shapes = () => database.statements.map((s) => s.replace(/IN \((\?,?)+\)/, "IN (…)"));
    await notifyOutcomes(batch(3, "small"), repository);
    const small = shapes();
    database.statements.length = 0;
    await notifyOutcomes(batch(2000, "large"), repository);
    assert.deepEqual(shapes(), small);
    assert.equal(database.statements.filter((s) => s.trim().startsWith("INSERT")).length, 1);
    assert.equal(database.statements.filter((s) => s === "COMMIT").length, 1);
    assert.equal(await database.db.notification.count(), 2003);
  });
});
