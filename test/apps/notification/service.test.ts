// The notification service as a real process on a real broker and SQLite file: outcome events on
// points.events become one notification each, however often they are delivered.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { PointsEvent } from "../../../apps/shared/topics.ts";
import { eventsServiceRig, outcomeEvent } from "../../helpers/outcome-events.ts";
import { waitFor, waitForOutput } from "../../helpers/wait.ts";

const PARTITIONS = 3;

describe("notification service process", () => {
  const rig = eventsServiceRig("notification", {
    partitions: PARTITIONS,
    prepare: (db) =>
      db.store.createMany({
        data: [
          { id: "store-1", name: "Store 1 Shibuya" },
          { id: "store-3", name: "Store 3" },
        ],
      }),
  });
  const start = () => rig.start();
  const notificationCount = () => rig.db.notification.count();
  const messageOf = async (eventId: string) =>
    (await rig.db.notification.findUniqueOrThrow({ where: { eventId } })).message;

  it("when outcome events are produced, some twice, then each user gets one notification per event with the store's name", {
    timeout: 120_000,
  }, async () => {
    const events: PointsEvent[] = [
      outcomeEvent({
        eventId: "n-1",
        userId: "alice",
        storeId: "store-3",
        type: "charge",
        amount: 500,
        balanceAfter: 500,
      }),
      outcomeEvent({
        eventId: "n-2",
        userId: "alice",
        storeId: "store-3",
        type: "deduct",
        amount: 900,
        balanceAfter: 500,
        status: "rejected",
        reason: "insufficient balance",
      }),
      outcomeEvent({
        eventId: "n-3",
        userId: "alice",
        storeId: "store-1",
        type: "deduct",
        amount: 200,
        balanceAfter: 300,
      }),
      outcomeEvent({ eventId: "n-4", userId: "bob", storeId: "store-7", type: "charge", amount: 40, balanceAfter: 40 }),
    ];
    await rig.producer.send(events);
    await rig.producer.sendRaw("alice", "not an outcome event");
    // The ledger re-emitting an outcome after a crash: the same eventId at a later offset.
    await rig.producer.send([events[0]!, events[3]!]);

    const service = await start();
    await waitFor(async () => (await notificationCount()) >= 4, {
      message: () => `4 notifications; service output:\n${service.output()}`,
    });
    // A last event after the duplicates on each user's partition: once it is stored, the
    // duplicates before it have been handled too.
    await rig.producer.send([
      outcomeEvent({ eventId: "n-5", userId: "alice", amount: 1 }),
      outcomeEvent({ eventId: "n-6", userId: "bob", amount: 1 }),
    ]);
    await waitFor(async () => (await rig.db.notification.count({ where: { eventId: { in: ["n-5", "n-6"] } } })) === 2, {
      message: () => `the last events; output:\n${service.output()}`,
    });

    assert.equal(await notificationCount(), 6);
    assert.equal(await messageOf("n-1"), "500 points earned at Store 3");
    assert.equal(await messageOf("n-2"), "deduction of 900 rejected: balance 500");
    assert.equal(await messageOf("n-3"), "200 points redeemed at Store 1 Shibuya");
    assert.equal(await messageOf("n-4"), "40 points earned at store-7");
    assert.equal((await rig.db.notification.findUniqueOrThrow({ where: { eventId: "n-4" } })).userId, "bob");
    // A line is printed after its notification is stored: the pipe may still be carrying it.
    await waitForOutput(service, /\[notification\] alice: 500 points earned at Store 3/);
    await waitForOutput(service, /skipping unreadable event at points\.events\/\d+ offset \d+/);

    assert.equal(await service.stop(), 0);
  });

  it("when the service is killed with SIGKILL mid-stream and restarted, then no notification is lost or doubled", {
    timeout: 120_000,
  }, async () => {
    const earlier = await notificationCount();
    const events = Array.from({ length: 600 }, (_, i) =>
      outcomeEvent({ eventId: `k-${i}`, userId: `user-${i % 20}`, amount: i + 1, balanceAfter: i + 1 }),
    );
    const first = await start();
    // Killed while events are still being produced and handled.
    const producing = (async () => {
      for (let i = 0; i < events.length; i += 25) await rig.producer.send(events.slice(i, i + 25));
    })();
    await waitFor(async () => (await notificationCount()) > earlier, {
      message: () => `some notifications; output:\n${first.output()}`,
    });
    await first.kill();
    await producing;
    // While it is down: some events again, as the ledger re-emits them after its own crash.
    await rig.producer.send(events.slice(100, 150));
    const second = await start();
    let have = 0;
    await waitFor(async () => (have = await notificationCount()) === earlier + events.length, {
      timeoutMs: 60_000,
      message: () => `${earlier + events.length} notifications (have ${have}); output:\n${second.output()}`,
    });
    // One last event per user after the repeated ones: once they are stored, the repeats were handled.
    const markers = [...new Set(events.map((e) => e.userId))].map((userId) =>
      outcomeEvent({ eventId: `k-marker-${userId}`, userId, amount: 1 }),
    );
    await rig.producer.send(markers);
    await waitFor(
      async () =>
        (await rig.db.notification.count({ where: { eventId: { startsWith: "k-marker-" } } })) === markers.length,
      { message: "the markers" },
    );

    const stored = await rig.db.notification.findMany({
      where: { eventId: { startsWith: "k-" } },
      select: { eventId: true, message: true },
    });
    assert.equal(stored.length, events.length + markers.length);
    assert.equal(new Set(stored.map((n) => n.eventId)).size, stored.length);
    assert.equal(stored.find((n) => n.eventId === "k-599")?.message, "600 points earned at Store 1 Shibuya");
    assert.equal(await second.stop(), 0);
  });
});
