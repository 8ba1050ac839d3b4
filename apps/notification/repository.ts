// Notification's data: writes Notification (its own table), reads Store (points-api's) for names.
import type { Db } from "../shared/db/client.ts";
import type { NotificationRepository } from "./notify-outcomes.ts";

// Batches of one process share one SQLite connection and take turns; under load a batch may wait
// for the others (and for other processes' write lock) well past Prisma's 2 s / 5 s defaults.
const transactionOptions = { maxWait: 60_000, timeout: 60_000 };

export function createNotificationRepository(db: Db): NotificationRepository {
  return {
    async storeNames(storeIds) {
      const stores = await db.store.findMany({ where: { id: { in: storeIds } }, select: { id: true, name: true } });
      return new Map(stores.map((store) => [store.id, store.name]));
    },

    async saveNew(notifications) {
      if (notifications.length === 0) return [];
      const createdAt = new Date();
      // The whole batch as one JSON parameter: one statement however large the batch, and no
      // SQLite parameter limit. The unique eventId turns a re-delivered event into a no-op, and
      // RETURNING tells which rows were actually inserted. `WHERE true` lets SQLite parse the
      // ON CONFLICT clause after a SELECT.
      const inserted = await db.$transaction(
        (tx) => tx.$queryRaw<Array<{ eventId: string }>>`
          INSERT INTO "Notification" ("eventId", "userId", "message", "createdAt")
          SELECT value ->> 'eventId', value ->> 'userId', value ->> 'message', ${createdAt}
          FROM json_each(${JSON.stringify(notifications)}) WHERE true
          ON CONFLICT ("eventId") DO NOTHING
          RETURNING "eventId"`,
        transactionOptions,
      );
      const insertedIds = new Set(inserted.map((row) => row.eventId));
      return notifications.filter((notification) => insertedIds.has(notification.eventId));
    },
  };
}
