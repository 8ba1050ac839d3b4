// Read-only view of the analytics service's tables, as the API serves them (times as ISO strings);
// the analytics service writes them as deltas (apps/analytics/count-outcomes.ts).
import type { Db } from "../../shared/db/client.ts";

export interface StoreTotalView {
  storeId: string;
  chargedPoints: number;
  deductedPoints: number;
  chargeCount: number;
  deductCount: number;
  rejectedCount: number;
  updatedAt: string;
}

export interface HourlyView {
  storeId: string;
  hour: string;
  chargedPoints: number;
  deductedPoints: number;
  eventCount: number;
}

export interface UserTotalView {
  userId: string;
  chargedPoints: number;
  deductedPoints: number;
  eventCount: number;
}

export function createAnalyticsRepository(db: Db) {
  return {
    /** Every named counter; values are BigInt in the table, far below 2^53 in practice. */
    async counters(): Promise<Map<string, number>> {
      const rows = await db.analyticsCounter.findMany();
      return new Map(rows.map((r) => [r.name, Number(r.value)]));
    },

    async storeTotals(): Promise<StoreTotalView[]> {
      const rows = await db.analyticsStoreTotal.findMany({ orderBy: { storeId: "asc" } });
      return rows.map(({ updatedAt, ...totals }) => ({ ...totals, updatedAt: updatedAt.toISOString() }));
    },

    async hourlySince(since: Date): Promise<HourlyView[]> {
      const rows = await db.analyticsHourly.findMany({
        where: { hour: { gte: since } },
        orderBy: [{ hour: "asc" }, { storeId: "asc" }],
      });
      return rows.map((r) => ({
        storeId: r.storeId,
        hour: r.hour.toISOString(),
        chargedPoints: r.chargedPoints,
        deductedPoints: r.deductedPoints,
        eventCount: r.eventCount,
      }));
    },

    async topUsersByCharged(limit: number): Promise<UserTotalView[]> {
      const rows = await db.analyticsUserTotal.findMany({
        orderBy: [{ chargedPoints: "desc" }, { userId: "asc" }],
        take: limit,
      });
      return rows.map((r) => ({
        userId: r.userId,
        chargedPoints: r.chargedPoints,
        deductedPoints: r.deductedPoints,
        eventCount: r.eventCount,
      }));
    },
  };
}

export type AnalyticsRepository = ReturnType<typeof createAnalyticsRepository>;
