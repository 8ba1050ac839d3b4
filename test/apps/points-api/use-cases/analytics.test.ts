// The analytics report on points-api's repositories and a real SQLite file, at a fixed time.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createAnalyticsRepository } from "../../../../apps/points-api/repositories/analytics.ts";
import { createStoresRepository } from "../../../../apps/points-api/repositories/stores.ts";
import { createUsersRepository } from "../../../../apps/points-api/repositories/users.ts";
import { createAnalyticsUseCases, TOP_USERS } from "../../../../apps/points-api/use-cases/analytics.ts";
import { freshDatabaseEachTest } from "../../../helpers/sqlite-file.ts";
import { seedReferences } from "../helpers.ts";

const hour = (h: number) => new Date(Date.UTC(2026, 0, 1, h));

describe("points-api analytics use cases (SQLite)", () => {
  const fresh = freshDatabaseEachTest("points-api-analytics-cases");
  const report = (hours: number) =>
    createAnalyticsUseCases({
      analytics: createAnalyticsRepository(fresh.db),
      stores: createStoresRepository(fresh.db),
      users: createUsersRepository(fresh.db),
      now: () => new Date(hour(12).getTime() + 25 * 60_000), // 12:25
    }).report({ hours });

  it("when nothing was counted yet, then every total is 0 and the lists are empty", async () => {
    assert.deepEqual(await report(24), {
      totals: { charges: 0, deductions: 0, rejections: 0, chargedPoints: 0, deductedPoints: 0 },
      stores: [],
      hourly: [],
      topUsers: [],
    });
  });

  it("when `hours` is 2, then the current hour and the one before come; stores and users carry their names (null when unknown)", async () => {
    await seedReferences(fresh.db);
    await fresh.db.analyticsCounter.create({ data: { name: "rejections", value: 2n } });
    await fresh.db.analyticsHourly.createMany({
      data: [10, 11, 12].map((h) => ({ storeId: "s1", hour: hour(h), chargedPoints: h, eventCount: 1 })),
    });
    await fresh.db.analyticsStoreTotal.createMany({ data: [{ storeId: "s2" }, { storeId: "s-gone" }] });
    await fresh.db.analyticsUserTotal.createMany({
      data: [
        { userId: "u2", chargedPoints: 5 },
        { userId: "x", chargedPoints: 9 },
      ],
    });
    const result = await report(2);
    assert.equal(result.totals.rejections, 2);
    assert.deepEqual(
      result.hourly.map((h) => h.hour),
      [hour(11).toISOString(), hour(12).toISOString()],
    );
    assert.deepEqual(
      result.stores.map((s) => [s.storeId, s.storeName]),
      [
        ["s-gone", null],
        ["s2", "Umeda"],
      ],
    );
    assert.deepEqual(
      result.topUsers.map((u) => [u.userId, u.name]),
      [
        ["x", null],
        ["u2", "Bob"],
      ],
    );
  });

  it("when more users were counted than the report shows, then the top TOP_USERS by charged points come", async () => {
    await fresh.db.analyticsUserTotal.createMany({
      data: Array.from({ length: TOP_USERS + 2 }, (_, i) => ({ userId: `u-${i}`, chargedPoints: i })),
    });
    const { topUsers } = await report(1);
    assert.equal(topUsers.length, TOP_USERS);
    assert.equal(topUsers[0]!.userId, `u-${TOP_USERS + 1}`);
  });
});
