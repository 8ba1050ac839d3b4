// Analytics' data: AnalyticsEvent (what was counted) and the aggregate tables, all its own.
//
// Written through better-sqlite3 prepared statements on a connection of the service's own, not
// through Prisma (which keeps the schema, the migrations and points-api's reads of these tables):
// a batch comes every few milliseconds under load, and Prisma's interactive transaction cost more
// CPU per batch (seven round trips through its query engine) than the statements themselves.
//
// Each statement takes its rows as one JSON parameter read with json_each, so a batch costs the
// same five statements whether it holds one event or thousands, and never meets SQLite's parameter
// limit. The aggregates are upserts that add to the stored values, so concurrent batches of other
// partitions (serialised by SQLite) never overwrite each other's sums.
import type BetterSqlite3 from "better-sqlite3";
import { prismaDateTime } from "../shared/db/client.ts";
import { serialTransactions } from "../shared/db/serial-transactions.ts";
import type { AnalyticsBatchWriter, AnalyticsRepository } from "./count-outcomes.ts";

export type Sqlite = BetterSqlite3.Database;

export function createAnalyticsRepository(sqlite: Sqlite): AnalyticsRepository {
  // BEGIN IMMEDIATE (serial-transactions.ts): the transaction takes SQLite's write lock (waiting for
  // it) before it reads anything, so it cannot fail on a snapshot another process's commit made stale.
  const inTransaction = serialTransactions(sqlite);
  const claim = sqlite
    .prepare(`INSERT OR IGNORE INTO "AnalyticsEvent" ("eventId", "processedAt")
      SELECT value, ? FROM json_each(?)
      RETURNING "eventId"`)
    .pluck();
  // `WHERE true` lets SQLite parse the ON CONFLICT clause after a SELECT.
  const addStores = sqlite.prepare(`
    INSERT INTO "AnalyticsStoreTotal" ("storeId", "chargedPoints", "deductedPoints", "chargeCount", "deductCount", "rejectedCount", "updatedAt")
    SELECT value ->> 'storeId', value ->> 'chargedPoints', value ->> 'deductedPoints', value ->> 'chargeCount', value ->> 'deductCount', value ->> 'rejectedCount', ?
    FROM json_each(?) WHERE true
    ON CONFLICT ("storeId") DO UPDATE SET
      "chargedPoints" = "chargedPoints" + excluded."chargedPoints",
      "deductedPoints" = "deductedPoints" + excluded."deductedPoints",
      "chargeCount" = "chargeCount" + excluded."chargeCount",
      "deductCount" = "deductCount" + excluded."deductCount",
      "rejectedCount" = "rejectedCount" + excluded."rejectedCount",
      "updatedAt" = excluded."updatedAt"`);
  const addHourly = sqlite.prepare(`
    INSERT INTO "AnalyticsHourly" ("storeId", "hour", "chargedPoints", "deductedPoints", "eventCount", "updatedAt")
    SELECT value ->> 'storeId', value ->> 'hour', value ->> 'chargedPoints', value ->> 'deductedPoints', value ->> 'eventCount', ?
    FROM json_each(?) WHERE true
    ON CONFLICT ("storeId", "hour") DO UPDATE SET
      "chargedPoints" = "chargedPoints" + excluded."chargedPoints",
      "deductedPoints" = "deductedPoints" + excluded."deductedPoints",
      "eventCount" = "eventCount" + excluded."eventCount",
      "updatedAt" = excluded."updatedAt"`);
  const addUsers = sqlite.prepare(`
    INSERT INTO "AnalyticsUserTotal" ("userId", "chargedPoints", "deductedPoints", "eventCount", "updatedAt")
    SELECT value ->> 'userId', value ->> 'chargedPoints', value ->> 'deductedPoints', value ->> 'eventCount', ?
    FROM json_each(?) WHERE true
    ON CONFLICT ("userId") DO UPDATE SET
      "chargedPoints" = "chargedPoints" + excluded."chargedPoints",
      "deductedPoints" = "deductedPoints" + excluded."deductedPoints",
      "eventCount" = "eventCount" + excluded."eventCount",
      "updatedAt" = excluded."updatedAt"`);
  const addCounters = sqlite.prepare(`
    INSERT INTO "AnalyticsCounter" ("name", "value", "updatedAt")
    SELECT key, value, ? FROM json_each(?) WHERE true
    ON CONFLICT ("name") DO UPDATE SET "value" = "value" + excluded."value", "updatedAt" = excluded."updatedAt"`);

  // Timestamps as Prisma writes them, so that its reads see dates (and the hour key one row).
  const writer: AnalyticsBatchWriter = {
    async claimEventIds(eventIds) {
      return new Set(claim.all(prismaDateTime(new Date()), JSON.stringify(eventIds)) as string[]);
    },
    async addAggregates({ stores, hourly, users, counters }) {
      const now = prismaDateTime(new Date());
      if (stores.length > 0) addStores.run(now, JSON.stringify(stores));
      if (hourly.length > 0)
        addHourly.run(now, JSON.stringify(hourly.map((bucket) => ({ ...bucket, hour: prismaDateTime(bucket.hour) }))));
      if (users.length > 0) addUsers.run(now, JSON.stringify(users));
      // Every counter, zeros too, so all five rows exist once anything was counted.
      addCounters.run(now, JSON.stringify(counters));
    },
  };

  // The partitions' batches share the connection: one transaction at a time, in arrival order.
  return {
    inTransaction: (work) => inTransaction(() => work(writer)),
  };
}
