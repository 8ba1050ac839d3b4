import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { aggregateOutcomes, hourOf } from "../../../apps/analytics/count-outcomes.ts";
import { firstOfEachEventId } from "../../../apps/shared/outcome-events.ts";
import { outcomeEvent } from "../../helpers/outcome-events.ts";

describe("analytics aggregates of a batch", () => {
  const charge = (eventId: string, amount: number, more = {}) =>
    outcomeEvent({ eventId, type: "charge", amount, ...more });
  const deduct = (eventId: string, amount: number, more = {}) =>
    outcomeEvent({ eventId, type: "deduct", amount, ...more });

  it("when charges and deductions are applied, then store, user and counter totals are their sums and counts", () => {
    const totals = aggregateOutcomes([
      charge("e1", 500, { storeId: "s1", userId: "u1" }),
      charge("e2", 300, { storeId: "s1", userId: "u2" }),
      deduct("e3", 200, { storeId: "s1", userId: "u1" }),
      charge("e4", 50, { storeId: "s2", userId: "u1" }),
    ]);
    assert.deepEqual(totals.stores, [
      { storeId: "s1", chargedPoints: 800, deductedPoints: 200, chargeCount: 2, deductCount: 1, rejectedCount: 0 },
      { storeId: "s2", chargedPoints: 50, deductedPoints: 0, chargeCount: 1, deductCount: 0, rejectedCount: 0 },
    ]);
    assert.deepEqual(totals.users, [
      { userId: "u1", chargedPoints: 550, deductedPoints: 200, eventCount: 3 },
      { userId: "u2", chargedPoints: 300, deductedPoints: 0, eventCount: 1 },
    ]);
    assert.deepEqual(totals.counters, {
      charges: 3,
      deductions: 1,
      rejections: 0,
      chargedPoints: 850,
      deductedPoints: 200,
    });
  });

  it("when commands are rejected, then they count as rejections and events but add no points", () => {
    const totals = aggregateOutcomes([
      deduct("e1", 900, { status: "rejected", storeId: "s1", userId: "u1", balanceAfter: 400 }),
      charge("e2", 100, { status: "rejected", storeId: "s1", userId: "u1" }),
      charge("e3", 10, { storeId: "s1", userId: "u1" }),
    ]);
    assert.deepEqual(totals.stores, [
      { storeId: "s1", chargedPoints: 10, deductedPoints: 0, chargeCount: 1, deductCount: 0, rejectedCount: 2 },
    ]);
    assert.deepEqual(totals.users, [{ userId: "u1", chargedPoints: 10, deductedPoints: 0, eventCount: 3 }]);
    assert.deepEqual(totals.counters, {
      charges: 1,
      deductions: 0,
      rejections: 2,
      chargedPoints: 10,
      deductedPoints: 0,
    });
    assert.deepEqual(
      totals.hourly.map((h) => [h.chargedPoints, h.deductedPoints, h.eventCount]),
      [[10, 0, 3]],
    );
  });

  it("when events fall in different hours and stores, then each store-hour bucket sums its own events", () => {
    const totals = aggregateOutcomes([
      charge("e1", 1, { storeId: "s1", appliedAt: "2026-01-01T10:00:00.000Z" }),
      charge("e2", 2, { storeId: "s1", appliedAt: "2026-01-01T10:59:59.999Z" }),
      deduct("e3", 4, { storeId: "s1", appliedAt: "2026-01-01T11:00:00.000Z" }),
      deduct("e4", 8, { storeId: "s2", appliedAt: "2026-01-01T10:30:00.000Z", status: "rejected" }),
      // Another offset than UTC: the bucket is still the UTC hour.
      charge("e5", 16, { storeId: "s1", appliedAt: "2026-01-01T20:30:00.000+09:00" }),
    ]);
    assert.deepEqual(
      totals.hourly.map((h) => [h.storeId, h.hour.toISOString(), h.chargedPoints, h.deductedPoints, h.eventCount]),
      [
        ["s1", "2026-01-01T10:00:00.000Z", 3, 0, 2],
        ["s1", "2026-01-01T11:00:00.000Z", 16, 4, 2],
        ["s2", "2026-01-01T10:00:00.000Z", 0, 0, 1],
      ],
    );
  });

  it("when the hour of a time is asked, then it is the UTC start of that hour", () => {
    assert.equal(hourOf("2026-03-04T05:06:07.089Z").toISOString(), "2026-03-04T05:00:00.000Z");
    assert.equal(hourOf("2026-03-04T00:30:00.000+01:00").toISOString(), "2026-03-03T23:00:00.000Z");
  });

  it("when a batch is empty, then every total is zero", () => {
    assert.deepEqual(aggregateOutcomes([]), {
      stores: [],
      hourly: [],
      users: [],
      counters: { charges: 0, deductions: 0, rejections: 0, chargedPoints: 0, deductedPoints: 0 },
    });
  });

  it("when an eventId repeats within a batch, then only its first occurrence is kept for counting", () => {
    const unique = firstOfEachEventId([charge("a", 1), charge("b", 2), charge("a", 1), deduct("b", 2)]);
    assert.deepEqual(
      unique.map((e) => e.eventId),
      ["a", "b"],
    );
    assert.deepEqual(aggregateOutcomes(unique).counters, {
      charges: 2,
      deductions: 0,
      rejections: 0,
      chargedPoints: 3,
      deductedPoints: 0,
    });
  });
});
