// Sending outcome events: sized sends, and on a real broker every event on points.events keyed by
// userId, a user's in order.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { outcomeEventOf } from "../../../apps/ledger/plan-batch.ts";
import { publishOutcomes, sendSizedGroups } from "../../../apps/ledger/publish-outcomes.ts";
import { type BrokerProcess, startBroker } from "../../helpers/broker-process.ts";
import { cleanupAll, range, waitFor } from "../../helpers/wait.ts";
import { createTopics, type EventsReader, kafkaFor, readEvents } from "./ledger-fixture.ts";

describe("ledger publish-outcomes: send sizes", () => {
  it("when outcome events add up to more than one send may carry, then they go in order in groups under the limit", () => {
    const messages = range(10).map((i) => ({ key: `u${i}`, value: "x".repeat(98) })); // 100 bytes each
    const groups = [...sendSizedGroups(messages, 350)];
    assert.deepEqual(
      groups.map((g) => g.length),
      [3, 3, 3, 1],
    );
    assert.deepEqual(groups.flat(), messages);
  });

  it("when one event alone is above the limit, then it still goes, in a group of its own", () => {
    const big = { key: "u", value: "x".repeat(500) };
    assert.deepEqual(
      [...sendSizedGroups([{ key: "a", value: "1" }, big, { key: "b", value: "2" }], 100)],
      [[{ key: "a", value: "1" }], [big], [{ key: "b", value: "2" }]],
    );
    assert.deepEqual([...sendSizedGroups([], 100)], []);
  });
});

describe("ledger publish-outcomes on a broker", () => {
  let broker: BrokerProcess;
  let events: EventsReader;
  const producer = () => kafkaFor(broker.address).producer({ idempotent: true });
  let connected: ReturnType<typeof producer> | undefined;

  before(async () => {
    broker = await startBroker();
    await createTopics(broker.address);
    events = await readEvents(broker.address);
    connected = producer();
    await connected.connect();
  });
  after(async () => {
    await cleanupAll(
      () => connected?.disconnect(),
      () => events?.disconnect(),
      () => broker?.cleanup(),
    );
  });

  it("when a plan's outcomes take several sends, then every event is on points.events keyed by userId, each user's in order", async () => {
    const outcomes = range(60).map((i) =>
      outcomeEventOf({
        commandId: `c${i}`,
        userId: `user-${i % 4}`,
        type: "charge",
        amount: 1 + i,
        status: "applied",
        balanceAfter: 1 + i,
        reason: null,
        storeId: "store-1",
        terminalId: "store-1-pos-1",
        orderId: `order-${i}`,
        topic: "points.commands",
        partition: i % 4,
        offset: BigInt(i),
        issuedAt: new Date("2026-03-01T10:00:00.000Z"),
        appliedAt: new Date("2026-03-01T10:00:01.000Z"),
      }),
    );
    const perEvent = Buffer.byteLength(JSON.stringify(outcomes[0])) + "user-0".length;
    await publishOutcomes(connected!, outcomes, perEvent * 7); // about 9 sends

    await waitFor(() => events.events.length >= outcomes.length, {
      message: () => `${outcomes.length} events, got ${events.events.length}`,
    });
    assert.equal(events.events.length, outcomes.length);
    for (const received of events.events) assert.equal(received.key, received.event.userId);
    for (const userId of new Set(outcomes.map((e) => e.userId))) {
      const mine = events.events.filter((e) => e.key === userId);
      assert.equal(new Set(mine.map((e) => e.partition)).size, 1, `${userId}'s events share a partition`);
      assert.deepEqual(
        mine.map((e) => e.event),
        outcomes.filter((e) => e.userId === userId),
      );
    }
  });
});
