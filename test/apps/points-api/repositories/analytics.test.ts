// points-api's view of the analytics tables on a real SQLite file.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createAnalyticsRepository } from "../../../../apps/points-api/repositories/analytics.ts";
import { freshDatabaseEachTest } from "../../../helpers/sqlite-file.ts";

describe("points-api analytics repository (SQLite)", () => {
  const fresh = freshDatabaseEachTest("points-api-analytics");

  it("when counters and store totals are read, then counters are numbers by name and totals come in store order with ISO times", async () => {
    const updatedAt = new Date("2026-01-01T10:00:00.000Z");
    await fresh.db.analyticsCounter.createMany({
      data: [
        { name: "charges", value: 3n },
        { name: "chargedPoints", value: 750n },
      ],
    });
    await fresh.db.analyticsStoreTotal.createMany({
      data: [
        { storeId: "s2", chargedPoints: 50, chargeCount: 1, updatedAt },
        { storeId: "s1", chargedPoints: 700, deductedPoints: 5, chargeCount: 2, deductCount: 1, updatedAt },
      ],
    });
    const analytics = createAnalyticsRepository(fresh.db);
    assert.deepEqual(
      await analytics.counters(),
      new Map([
        ["charges", 3],
        ["chargedPoints", 750],
      ]),
    );
    assert.deepEqual(await analytics.storeTotals(), [
      {
        storeId: "s1",
        chargedPoints: 700,
        deductedPoints: 5,
        chargeCount: 2,
        deductCount: 1,
        rejectedCount: 0,
        updatedAt: "2026-01-01T10:00:00.000Z",
      },
      {
        storeId: "s2",
        chargedPoints: 50,
        deductedPoints: 0,
        chargeCount: 1,
        deductCount: 0,
        rejectedCount: 0,
        updatedAt: "2026-01-01T10:00:00.000Z",
      },
    ]);
  });

  it("when hours since a time are read, then only those hours come, oldest first and by store within an hour", async () => {
    const hour = (h: number) => new Date(Date.UTC(2026, 0, 1, h));
    await fresh.db.analyticsHourly.createMany({
      data: [
        { storeId: "s2", hour: hour(11), chargedPoints: 1, eventCount: 1 },
        { storeId: "s1", hour: hour(11), chargedPoints: 2, eventCount: 1 },
        { storeId: "s1", hour: hour(10), chargedPoints: 3, eventCount: 1 },
        { storeId: "s1", hour: hour(9), chargedPoints: 4, eventCount: 1 },
      ],
    });
    const hourly = await createAnalyticsRepository(fresh.db).hourlySince(hour(10));
    assert.deepEqual(
      hourly.map((h) => [h.hour, h.storeId, h.chargedPoints]),
      [
        ["2026-01-01T10:00:00.000Z", "s1", 3],
        ["2026-01-01T11:00:00.000Z", "s1", 2],
        ["2026-01-01T11:00:00.000Z", "s2", 1],
      ],
    );
  });

  it("when top users are read, then the most charged points first, ties by userId, at most `limit`", async () => {
    await fresh.db.analyticsUserTotal.createMany({
      data: [
        { userId: "b", chargedPoints: 50, eventCount: 1 },
        { userId: "a", chargedPoints: 50, eventCount: 2 },
        { userId: "c", chargedPoints: 90, deductedPoints: 10, eventCount: 3 },
        { userId: "d", chargedPoints: 1, eventCount: 1 },
      ],
    });
    assert.deepEqual(await createAnalyticsRepository(fresh.db).topUsersByCharged(3), [
      { userId: "c", chargedPoints: 90, deductedPoints: 10, eventCount: 3 },
      { userId: "a", chargedPoints: 50, deductedPoints: 0, eventCount: 2 },
      { userId: "b", chargedPoints: 50, deductedPoints: 0, eventCount: 1 },
    ]);
  });
});
