// Notification's data: writes Notification (its own table, in its own file), reads Store
// (points-api's, in points-api's file) for names.
//
// Through better-sqlite3 prepared statements on a connection of the service's own, not through
// Prisma (which keeps the schema and the migrations): at low rates every event is a batch of its
// own, and a Prisma query cost more CPU per batch than the statement itself.
import type BetterSqlite3 from "better-sqlite3";
import { prismaDateTime } from "../shared/db/client.ts";
import type { NotificationRepository } from "./notify-outcomes.ts";

export type Sqlite = BetterSqlite3.Database;

export interface NotificationRepositoryOptions {
  /** Where the Store table is read (points-api's file); the notifications' connection by default. */
  stores?: Sqlite;
  /** How long a store's name (or its absence) is used before it is looked up again. */
  namesMaxAgeMs?: number;
  now?: () => number;
}

/** Past this many remembered stores the memory starts over (stores are few; this only bounds it). */
const MAX_REMEMBERED_STORES = 10_000;

/**
 * Keep one repository for the life of the service: it remembers store names. Under load a batch
 * comes every few milliseconds, and a query per batch for names that almost never change was a
 * large part of the service's CPU; a renamed (or new) store shows within `namesMaxAgeMs`.
 */
export function createNotificationRepository(
  sqlite: Sqlite,
  { namesMaxAgeMs = 1_000, now = Date.now, stores = sqlite }: NotificationRepositoryOptions = {},
): NotificationRepository {
  const selectNames = stores.prepare<[string], { id: string; name: string }>(
    `SELECT "id", "name" FROM "Store" WHERE "id" IN (SELECT value FROM json_each(?))`,
  );
  // The whole batch as one JSON parameter: one statement however large the batch, and no SQLite
  // parameter limit. One statement is atomic by itself: no transaction around it. The unique
  // eventId turns a re-delivered event into a no-op, and RETURNING tells which rows were actually
  // inserted. `WHERE true` lets SQLite parse the ON CONFLICT clause after a SELECT. createdAt as
  // Prisma writes a DateTime, so that its reads see a date.
  const insert = sqlite
    .prepare<[string, string], string>(`
      INSERT INTO "Notification" ("eventId", "userId", "message", "createdAt")
      SELECT value ->> 'eventId', value ->> 'userId', value ->> 'message', ?
      FROM json_each(?) WHERE true
      ON CONFLICT ("eventId") DO NOTHING
      RETURNING "eventId"`)
    .pluck();
  const known = new Map<string, { name: string | undefined; at: number }>();
  return {
    async storeNames(storeIds) {
      const at = now();
      const stale = storeIds.filter((id) => {
        const entry = known.get(id);
        return entry === undefined || at - entry.at >= namesMaxAgeMs;
      });
      if (stale.length > 0) {
        const found = new Map(selectNames.all(JSON.stringify(stale)).map((store) => [store.id, store.name]));
        if (known.size + stale.length > MAX_REMEMBERED_STORES) known.clear();
        for (const id of stale) known.set(id, { name: found.get(id), at });
      }
      const names = new Map<string, string>();
      for (const id of storeIds) {
        const name = known.get(id)?.name;
        if (name !== undefined) names.set(id, name);
      }
      return names;
    },

    async saveNew(notifications) {
      if (notifications.length === 0) return [];
      const inserted = new Set(insert.all(prismaDateTime(new Date()), JSON.stringify(notifications)));
      return notifications.filter((notification) => inserted.has(notification.eventId));
    },
  };
}
