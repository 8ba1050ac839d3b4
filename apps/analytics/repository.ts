// Analytics' data: AnalyticsEvent (what was counted) and the aggregate tables, all its own.
//
// Each statement takes its rows as one JSON parameter read with json_each, so a batch costs the
// same five statements whether it holds one event or thousands, and never meets SQLite's parameter
// limit. The aggregates are upserts that add to the stored values, so concurrent batches of other
// partitions (serialised by SQLite) never overwrite each other's sums.
import { type Db, prismaDateTime } from "../shared/db/client.ts";
import type { AnalyticsBatchWriter, AnalyticsRepository } from "./count-outcomes.ts";

type Transaction = Parameters<Parameters<Db["$transaction"]>[0]>[0];

// Batches of one process share one SQLite connection and take turns; under load a batch may wait
// for the others (and for other processes' write lock) well past Prisma's 2 s / 5 s defaults.
const transactionOptions = { maxWait: 60_000, timeout: 60_000 };

function batchWriter(tx: Transaction): AnalyticsBatchWriter {
  return {
    async claimEventIds(eventIds) {
      // A write first: the transaction takes SQLite's write lock (waiting for it) before it reads
      // anything, so it cannot fail on a snapshot that another process's commit made stale.
      const claimed = await tx.$queryRaw<Array<{ eventId: string }>>`
        INSERT OR IGNORE INTO "AnalyticsEvent" ("eventId", "processedAt")
        SELECT value, ${new Date()} FROM json_each(${JSON.stringify(eventIds)})
        RETURNING "eventId"`;
      return new Set(claimed.map((row) => row.eventId));
    },

    async addAggregates({ stores, hourly, users, counters }) {
      const now = new Date();
      // `WHERE true` lets SQLite parse the ON CONFLICT clause after a SELECT.
      if (stores.length > 0) {
        await tx.$executeRaw`
          INSERT INTO "AnalyticsStoreTotal" ("storeId", "chargedPoints", "deductedPoints", "chargeCount", "deductCount", "rejectedCount", "updatedAt")
          SELECT value ->> 'storeId', value ->> 'chargedPoints', value ->> 'deductedPoints', value ->> 'chargeCount', value ->> 'deductCount', value ->> 'rejectedCount', ${now}
          FROM json_each(${JSON.stringify(stores)}) WHERE true
          ON CONFLICT ("storeId") DO UPDATE SET
            "chargedPoints" = "chargedPoints" + excluded."chargedPoints",
            "deductedPoints" = "deductedPoints" + excluded."deductedPoints",
            "chargeCount" = "chargeCount" + excluded."chargeCount",
            "deductCount" = "deductCount" + excluded."deductCount",
            "rejectedCount" = "rejectedCount" + excluded."rejectedCount",
            "updatedAt" = excluded."updatedAt"`;
      }
      if (hourly.length > 0) {
        // The hour is part of AnalyticsHourly's key: spelled as Prisma spells it, or another row.
        const rows = hourly.map((bucket) => ({ ...bucket, hour: prismaDateTime(bucket.hour) }));
        await tx.$executeRaw`
          INSERT INTO "AnalyticsHourly" ("storeId", "hour", "chargedPoints", "deductedPoints", "eventCount", "updatedAt")
          SELECT value ->> 'storeId', value ->> 'hour', value ->> 'chargedPoints', value ->> 'deductedPoints', value ->> 'eventCount', ${now}
          FROM json_each(${JSON.stringify(rows)}) WHERE true
          ON CONFLICT ("storeId", "hour") DO UPDATE SET
            "chargedPoints" = "chargedPoints" + excluded."chargedPoints",
            "deductedPoints" = "deductedPoints" + excluded."deductedPoints",
            "eventCount" = "eventCount" + excluded."eventCount",
            "updatedAt" = excluded."updatedAt"`;
      }
      if (users.length > 0) {
        await tx.$executeRaw`
          INSERT INTO "AnalyticsUserTotal" ("userId", "chargedPoints", "deductedPoints", "eventCount", "updatedAt")
          SELECT value ->> 'userId', value ->> 'chargedPoints', value ->> 'deductedPoints', value ->> 'eventCount', ${now}
          FROM json_each(${JSON.stringify(users)}) WHERE true
          ON CONFLICT ("userId") DO UPDATE SET
            "chargedPoints" = "chargedPoints" + excluded."chargedPoints",
            "deductedPoints" = "deductedPoints" + excluded."deductedPoints",
            "eventCount" = "eventCount" + excluded."eventCount",
            "updatedAt" = excluded."updatedAt"`;
      }
      // Every counter, zeros too, so all five rows exist once anything was counted.
      await tx.$executeRaw`
        INSERT INTO "AnalyticsCounter" ("name", "value", "updatedAt")
        SELECT key, value, ${now} FROM json_each(${JSON.stringify(counters)}) WHERE true
        ON CONFLICT ("name") DO UPDATE SET "value" = "value" + excluded."value", "updatedAt" = excluded."updatedAt"`;
    },
  };
}

export function createAnalyticsRepository(db: Db): AnalyticsRepository {
  return {
    inTransaction: (work) => db.$transaction((tx) => work(batchWriter(tx)), transactionOptions),
  };
}
