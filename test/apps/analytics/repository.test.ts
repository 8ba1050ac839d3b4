// The analytics use case on its repository, on a real migrated SQLite file.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import Database from "better-sqlite3";
import { countOutcomes } from "../../../apps/analytics/count-outcomes.ts";
import { createAnalyticsRepository } from "../../../apps/analytics/repository.ts";
import { outcomeEvent } from "../../helpers/outcome-events.ts";
import { databaseForSuite } from "../../helpers/sqlite-file.ts";

describe("analytics repository on SQLite", () => {
  // Prisma reads what the repository wrote, through its own connection (better-sqlite3, as the
  // service has it), which reports every statement it runs, to see what one batch costs.
  const database = databaseForSuite("analytics-db");
  const statements: string[] = [];
  let sqlite: Database.Database;
  before(() => {
    // Reported with their parameters filled in: put back as `?`, to compare the statements' shapes.
    const shape = (sql: unknown) => String(sql).replace(/'(?:[^']|'')*'(?:\/\*\+\d+ bytes\*\/)?/g, "?");
    sqlite = new Database(database.file, { verbose: (sql) => statements.push(shape(sql)) });
  });
  after(() => sqlite.close());
  beforeEach(async () => {
    for (const table of [
      "AnalyticsEvent",
      "AnalyticsStoreTotal",
      "AnalyticsHourly",
      "AnalyticsCounter",
      "AnalyticsUserTotal",
    ]) {
      await database.db.$executeRawUnsafe(`DELETE FROM "${table}"`);
    }
    statements.length = 0;
  });

  const counters = async () =>
    Object.fromEntries((await database.db.analyticsCounter.findMany()).map((c) => [c.name, Number(c.value)]));
  const storeTotal = (storeId: string) =>
    database.db.analyticsStoreTotal.findUniqueOrThrow({
      where: { storeId },
      select: { chargedPoints: true, deductedPoints: true, chargeCount: true, deductCount: true, rejectedCount: true },
    });

  it("when a batch is counted, then every aggregate table holds its totals, the hour under the key Prisma looks it up by", async () => {
    const result = await countOutcomes(
      [
        outcomeEvent({
          eventId: "e1",
          userId: "u1",
          storeId: "s1",
          type: "charge",
          amount: 500,
          appliedAt: "2026-01-01T10:15:00.000Z",
        }),
        outcomeEvent({
          eventId: "e2",
          userId: "u1",
          storeId: "s1",
          type: "deduct",
          amount: 200,
          appliedAt: "2026-01-01T10:45:00.000Z",
        }),
        outcomeEvent({
          eventId: "e3",
          userId: "u2",
          storeId: "s1",
          type: "deduct",
          amount: 900,
          status: "rejected",
          appliedAt: "2026-01-01T11:05:00.000Z",
        }),
      ],
      createAnalyticsRepository(sqlite),
    );
    assert.deepEqual(result, { counted: 3, skipped: 0 });
    assert.deepEqual(await storeTotal("s1"), {
      chargedPoints: 500,
      deductedPoints: 200,
      chargeCount: 1,
      deductCount: 1,
      rejectedCount: 1,
    });
    assert.deepEqual(await counters(), {
      charges: 1,
      deductions: 1,
      rejections: 1,
      chargedPoints: 500,
      deductedPoints: 200,
    });
    const tenOClock = await database.db.analyticsHourly.findUniqueOrThrow({
      where: { storeId_hour: { storeId: "s1", hour: new Date("2026-01-01T10:00:00Z") } },
    });
    assert.deepEqual([tenOClock.chargedPoints, tenOClock.deductedPoints, tenOClock.eventCount], [500, 200, 2]);
    const elevenOClock = await database.db.analyticsHourly.findUniqueOrThrow({
      where: { storeId_hour: { storeId: "s1", hour: new Date("2026-01-01T11:00:00Z") } },
    });
    assert.deepEqual([elevenOClock.chargedPoints, elevenOClock.deductedPoints, elevenOClock.eventCount], [0, 0, 1]);
    assert.ok(!Number.isNaN(elevenOClock.updatedAt.getTime()), "updatedAt reads back as a date");
    const users = await database.db.analyticsUserTotal.findMany({
      orderBy: { userId: "asc" },
      select: { userId: true, chargedPoints: true, deductedPoints: true, eventCount: true },
    });
    assert.deepEqual(users, [
      { userId: "u1", chargedPoints: 500, deductedPoints: 200, eventCount: 2 },
      { userId: "u2", chargedPoints: 0, deductedPoints: 0, eventCount: 1 },
    ]);
    assert.equal(await database.db.analyticsEvent.count(), 3);
  });

  it("when events come again in later batches, then they are skipped and the totals count each eventId once", async () => {
    const repository = createAnalyticsRepository(sqlite);
    const e = (eventId: string, amount: number) =>
      outcomeEvent({ eventId, storeId: "s1", amount, appliedAt: "2026-01-01T10:00:00.000Z" });
    assert.deepEqual(await countOutcomes([e("a", 1), e("b", 2), e("a", 1)], repository), { counted: 2, skipped: 1 });
    assert.deepEqual(await countOutcomes([e("b", 2), e("c", 4)], repository), { counted: 1, skipped: 1 });
    assert.deepEqual(await countOutcomes([e("a", 1), e("c", 4)], repository), { counted: 0, skipped: 2 });
    assert.deepEqual(await storeTotal("s1"), {
      chargedPoints: 7,
      deductedPoints: 0,
      chargeCount: 3,
      deductCount: 0,
      rejectedCount: 0,
    });
    assert.deepEqual(await counters(), {
      charges: 3,
      deductions: 0,
      rejections: 0,
      chargedPoints: 7,
      deductedPoints: 0,
    });
    const bucket = await database.db.analyticsHourly.findFirstOrThrow({ where: { storeId: "s1" } });
    assert.equal(bucket.eventCount, 3);
  });

  it("when a batch fails partway through its writes, then none of them stay, and counting it again counts it once", async () => {
    // A failure in the user totals, after the event claims and the store totals were written.
    await database.db.$executeRawUnsafe(
      `CREATE TRIGGER fail_for_user_boom BEFORE INSERT ON "AnalyticsUserTotal" WHEN NEW."userId" = 'boom' BEGIN SELECT RAISE(ABORT, 'boom'); END`,
    );
    const batch = [
      outcomeEvent({ eventId: "x1", userId: "u1", storeId: "s1", amount: 5 }),
      outcomeEvent({ eventId: "x2", userId: "boom", storeId: "s1", amount: 7 }),
    ];
    try {
      await assert.rejects(countOutcomes(batch, createAnalyticsRepository(sqlite)), /boom/);
      assert.equal(await database.db.analyticsEvent.count(), 0);
      assert.equal(await database.db.analyticsStoreTotal.count(), 0);
      assert.equal(await database.db.analyticsHourly.count(), 0);
    } finally {
      await database.db.$executeRawUnsafe(`DROP TRIGGER fail_for_user_boom`);
    }
    assert.deepEqual(await countOutcomes(batch, createAnalyticsRepository(sqlite)), { counted: 2, skipped: 0 });
    assert.deepEqual(await storeTotal("s1"), {
      chargedPoints: 12,
      deductedPoints: 0,
      chargeCount: 2,
      deductCount: 0,
      rejectedCount: 0,
    });
  });

  it("when batches of 4 and of 5000 events are counted, then both cost the same five statements in one transaction", async () => {
    const repository = createAnalyticsRepository(sqlite);
    const batch = (size: number, prefix: string) =>
      Array.from({ length: size }, (_, i) =>
        outcomeEvent({
          eventId: `${prefix}-${i}`,
          userId: `u${i % 300}`,
          storeId: `s${i % 5}`,
          type: i % 2 === 0 ? "charge" : "deduct",
          status: i % 4 === 3 ? "rejected" : "applied",
          amount: (i % 10) + 1,
          appliedAt: new Date(Date.UTC(2026, 0, 1, i % 24, 30)).toISOString(),
        }),
      );
    await countOutcomes(batch(4, "small"), repository);
    const small = [...statements];
    statements.length = 0;
    const large = batch(5000, "large");
    await countOutcomes(large, repository);
    assert.deepEqual(statements, small);
    assert.equal(statements.filter((s) => s.trim().startsWith("INSERT")).length, 5);
    assert.equal(statements.filter((s) => s === "COMMIT").length, 1);

    const expectedCharged = large
      .filter((e) => e.type === "charge" && e.status === "applied")
      .reduce((sum, e) => sum + e.amount, 0);
    const expectedRejected = large.filter((e) => e.status === "rejected").length;
    const c = await counters();
    assert.equal(c.chargedPoints, expectedCharged + 1 + 3);
    assert.equal(c.rejections, expectedRejected + 1);
    const hourly = await database.db.analyticsHourly.aggregate({ _sum: { eventCount: true } });
    assert.equal(hourly._sum.eventCount, 5004);
  });
});
