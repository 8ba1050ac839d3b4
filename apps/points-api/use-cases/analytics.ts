// The analytics service's aggregates, put together for the dashboard.
import { type AnalyticsCounterName, analyticsCounterNames } from "../../shared/analytics-counters.ts";
import type { AnalyticsRepository, HourlyView, StoreTotalView, UserTotalView } from "../repositories/analytics.ts";
import type { StoresRepository } from "../repositories/stores.ts";
import type { UsersRepository } from "../repositories/users.ts";

/** The AnalyticsCounter rows, by the names the analytics service writes them under. */
export type Totals = Record<AnalyticsCounterName, number>;

export const TOP_USERS = 10;

export interface AnalyticsReport {
  totals: Totals;
  stores: Array<StoreTotalView & { storeName: string | null }>;
  hourly: HourlyView[];
  topUsers: Array<UserTotalView & { name: string | null }>;
}

const HOUR_MS = 3_600_000;

export function createAnalyticsUseCases({
  analytics,
  stores,
  users,
  now,
}: {
  analytics: AnalyticsRepository;
  stores: StoresRepository;
  users: UsersRepository;
  now(): Date;
}) {
  return {
    /** Hourly buckets of the last `hours` hours, the current one included. */
    async report({ hours }: { hours: number }): Promise<AnalyticsReport> {
      const currentHour = Math.floor(now().getTime() / HOUR_MS) * HOUR_MS;
      const [counters, storeTotals, hourly, topUsers] = await Promise.all([
        analytics.counters(),
        analytics.storeTotals(),
        analytics.hourlySince(new Date(currentHour - (hours - 1) * HOUR_MS)),
        analytics.topUsersByCharged(TOP_USERS),
      ]);
      const [storeNames, userNames] = await Promise.all([
        stores.namesOf(storeTotals.map((s) => s.storeId)),
        users.namesOf(topUsers.map((u) => u.userId)),
      ]);
      return {
        totals: Object.fromEntries(analyticsCounterNames.map((name) => [name, counters.get(name) ?? 0])) as Totals,
        stores: storeTotals.map((s) => ({ ...s, storeName: storeNames.get(s.storeId) ?? null })),
        hourly,
        topUsers: topUsers.map((u) => ({ ...u, name: userNames.get(u.userId) ?? null })),
      };
    },
  };
}

export type AnalyticsUseCases = ReturnType<typeof createAnalyticsUseCases>;
