// The analytics service as a real process on a real broker and SQLite file: its totals equal the
// sums of the produced outcome events, each counted once, across duplicates and a crash.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { PointsEvent } from "../../../apps/shared/topics.ts";
import type { ServiceProcess } from "../../helpers/app-process.ts";
import { eventsServiceRig, outcomeEvent } from "../../helpers/outcome-events.ts";
import { waitFor, waitForOutput } from "../../helpers/wait.ts";

const PARTITIONS = 3;

/** A mixed stream: charges, deductions and rejections across stores, users and hours. */
function mixedEvents(prefix: string, count: number): PointsEvent[] {
  return Array.from({ length: count }, (_, i) =>
    outcomeEvent({
      eventId: `${prefix}-${i}`,
      userId: `user-${i % 17}`,
      storeId: `store-${i % 4}`,
      type: i % 3 === 0 ? "deduct" : "charge",
      status: i % 7 === 0 ? "rejected" : "applied",
      amount: (i % 50) + 1,
      appliedAt: new Date(Date.UTC(2026, 0, 1, 9 + (i % 5), i % 60, 30)).toISOString(),
    }),
  );
}

/** One last event per user (so on every partition in use) after the rest: once all are counted, so is everything before them. */
function markersAfter(prefix: string, events: PointsEvent[]): PointsEvent[] {
  return [...new Set(events.map((e) => e.userId))].map((userId) =>
    outcomeEvent({
      eventId: `${prefix}-marker-${userId}`,
      userId,
      storeId: "store-0",
      amount: 1,
      appliedAt: "2026-01-01T09:00:00.000Z",
    }),
  );
}

const sum = (events: PointsEvent[], keep: (e: PointsEvent) => boolean) =>
  events.filter(keep).reduce((total, e) => total + e.amount, 0);
const applied = (type: PointsEvent["type"]) => (e: PointsEvent) => e.status === "applied" && e.type === type;

describe("analytics service process", () => {
  const rig = eventsServiceRig("analytics", {
    partitions: PARTITIONS,
  });
  const start = () => rig.start();
  const countedEvents = () => rig.db.analyticsEvent.count();
  const counters = async () =>
    Object.fromEntries((await rig.db.analyticsCounter.findMany()).map((c) => [c.name, Number(c.value)]));

  /** Waits until at least `expected` events are counted. */
  async function waitUntilCounted(service: ServiceProcess, expected: number): Promise<void> {
    let have = 0;
    await waitFor(async () => (have = await countedEvents()) >= expected, {
      timeoutMs: 60_000,
      message: () => `${expected} counted events (have ${have}); output:\n${service.output()}`,
    });
  }

  /** Every total the service keeps, as the events say they should be. */
  async function assertTotalsOf(events: PointsEvent[]): Promise<void> {
    assert.deepEqual(await counters(), {
      charges: events.filter(applied("charge")).length,
      deductions: events.filter(applied("deduct")).length,
      rejections: events.filter((e) => e.status === "rejected").length,
      chargedPoints: sum(events, applied("charge")),
      deductedPoints: sum(events, applied("deduct")),
    });
    for (const storeId of new Set(events.map((e) => e.storeId))) {
      const ofStore = events.filter((e) => e.storeId === storeId);
      const total = await rig.db.analyticsStoreTotal.findUniqueOrThrow({ where: { storeId } });
      assert.deepEqual(
        {
          chargedPoints: total.chargedPoints,
          deductedPoints: total.deductedPoints,
          chargeCount: total.chargeCount,
          deductCount: total.deductCount,
          rejectedCount: total.rejectedCount,
        },
        {
          chargedPoints: sum(ofStore, applied("charge")),
          deductedPoints: sum(ofStore, applied("deduct")),
          chargeCount: ofStore.filter(applied("charge")).length,
          deductCount: ofStore.filter(applied("deduct")).length,
          rejectedCount: ofStore.filter((e) => e.status === "rejected").length,
        },
        `totals of ${storeId}`,
      );
    }
    for (const userId of new Set(events.map((e) => e.userId))) {
      const ofUser = events.filter((e) => e.userId === userId);
      const total = await rig.db.analyticsUserTotal.findUniqueOrThrow({ where: { userId } });
      assert.deepEqual(
        [total.chargedPoints, total.deductedPoints, total.eventCount],
        [sum(ofUser, applied("charge")), sum(ofUser, applied("deduct")), ofUser.length],
        `totals of ${userId}`,
      );
    }
    const hourly = await rig.db.analyticsHourly.findMany();
    const buckets = new Map<string, PointsEvent[]>();
    for (const e of events) {
      const hour = new Date(e.appliedAt);
      hour.setUTCMinutes(0, 0, 0);
      const key = `${e.storeId} ${hour.toISOString()}`;
      buckets.set(key, [...(buckets.get(key) ?? []), e]);
    }
    assert.deepEqual(
      new Map(
        hourly.map((h) => [`${h.storeId} ${h.hour.toISOString()}`, [h.chargedPoints, h.deductedPoints, h.eventCount]]),
      ),
      new Map(
        [...buckets].map(([key, ofBucket]) => [
          key,
          [sum(ofBucket, applied("charge")), sum(ofBucket, applied("deduct")), ofBucket.length],
        ]),
      ),
    );
  }

  const firstEvents = mixedEvents("a", 200);
  const firstMarkers = markersAfter("a", firstEvents);

  it("when outcome events are produced, some twice, then the totals are the sums of the distinct events", {
    timeout: 120_000,
  }, async () => {
    const events = firstEvents;
    await rig.producer.send(events);
    await rig.producer.sendRaw("user-1", '{"not": "an outcome event"}');
    // The ledger re-emitting outcomes after a crash: the same eventIds at later offsets.
    await rig.producer.send(events.slice(20, 60));

    const service = await start();
    await waitUntilCounted(service, events.length);
    const markers = firstMarkers;
    await rig.producer.send(markers);
    await waitUntilCounted(service, events.length + markers.length);

    assert.equal(await countedEvents(), events.length + markers.length);
    await assertTotalsOf([...events, ...markers]);
    // A line is printed after its batch is stored: the pipe may still be carrying it.
    await waitForOutput(
      service,
      /\[analytics\] partition \d offsets \d+-\d+(, partition \d offsets \d+-\d+)*: counted \d+ events/,
    );
    await waitForOutput(service, /skipped \d+ already counted/);
    await waitForOutput(service, /skipping unreadable event at points\.events\/\d+ offset \d+/);
    assert.equal(await service.stop(), 0);
  });

  it("when the service is killed with SIGKILL mid-stream and restarted, then nothing is lost or counted twice", {
    timeout: 120_000,
  }, async () => {
    const previous = [...firstEvents, ...firstMarkers];
    assert.equal(await countedEvents(), previous.length, "starts from the first test's totals");

    const events = mixedEvents("k", 3000);
    const first = await start();
    // Killed while events are still being produced and counted.
    const producing = (async () => {
      for (let i = 0; i < events.length; i += 100) await rig.producer.send(events.slice(i, i + 100));
    })();
    await waitFor(async () => (await countedEvents()) > previous.length, {
      message: () => `some events counted; output:\n${first.output()}`,
    });
    await first.kill();
    await producing;
    // While it is down: part of the stream again, as the ledger re-emits outcomes after its own crash.
    await rig.producer.send(events.slice(500, 700));
    const second = await start();
    await waitUntilCounted(second, previous.length + events.length);
    const markers = markersAfter("k", events);
    await rig.producer.send(markers);
    await waitUntilCounted(second, previous.length + events.length + markers.length);

    assert.equal(await countedEvents(), previous.length + events.length + markers.length);
    await assertTotalsOf([...previous, ...events, ...markers]);
    assert.equal(await second.stop(), 0);
  });
});
