// points-api's view of the notification service's table on a real SQLite file.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createNotificationsRepository } from "../../../../apps/points-api/repositories/notifications.ts";
import { freshDatabaseEachTest } from "../../../helpers/sqlite-file.ts";

describe("points-api notifications repository (SQLite)", () => {
  const fresh = freshDatabaseEachTest("points-api-notifications");

  it("when a user's notifications are asked for, then theirs come newest first (same millisecond: last inserted first), as views, at most `limit`", async () => {
    const at = (s: number) => new Date(`2026-01-01T10:00:0${s}.000Z`);
    await fresh.db.notification.createMany({
      data: [
        { userId: "u1", eventId: "e1", message: "first", createdAt: at(1) },
        { userId: "u1", eventId: "e2", message: "same ms, earlier id", createdAt: at(3) },
        { userId: "u1", eventId: "e3", message: "same ms, later id", createdAt: at(3) },
        { userId: "u2", eventId: "e4", message: "someone else's", createdAt: at(4) },
      ],
    });
    const notifications = await createNotificationsRepository(fresh.db).latestOfUser("u1", 2);
    assert.deepEqual(
      notifications.map(({ id: _id, ...rest }) => rest),
      [
        { eventId: "e3", message: "same ms, later id", createdAt: "2026-01-01T10:00:03.000Z" },
        { eventId: "e2", message: "same ms, earlier id", createdAt: "2026-01-01T10:00:03.000Z" },
      ],
    );
    assert.ok(notifications.every((n) => Number.isInteger(n.id)));
  });
});
