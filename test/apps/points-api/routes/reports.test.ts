// The read-only views of the demo page: stores, the latest ledger entries and analytics, from what
// the services wrote to their tables; and the consumer groups as the broker sees them.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import * as schemas from "../../../../apps/points-api/schemas.ts";
import { type PointsApi, startPointsApi } from "../../../../apps/points-api/server.ts";
import { loadConfig } from "../../../../apps/shared/config.ts";
import { createDb, type Db } from "../../../../apps/shared/db/client.ts";
import { createLog } from "../../../../apps/shared/log.ts";
import { COMMANDS_TOPIC, EVENTS_TOPIC } from "../../../../apps/shared/topics.ts";
import { createKafka, type KafkaClientConsumer } from "../../../../broker/client/factory.ts";
import { logLevel } from "../../../../broker/client/index.ts";
import { type AppEnv, createAppEnv } from "../../../helpers/app-process.ts";
import { type BrokerProcess, startBroker } from "../../../helpers/broker-process.ts";
import { cleanupAll, cleanupAllWithin, range, waitFor } from "../../../helpers/wait.ts";
import { get, parseExactly, postJson, seedReferences } from "../helpers.ts";
import { useSeededPointsApi } from "../reads-fixture.ts";

const HOUR_MS = 3_600_000;
const currentHour = () => new Date(Math.floor(Date.now() / HOUR_MS) * HOUR_MS);

describe("points-api /api/stores, /api/ledger/recent, /api/analytics", () => {
  const points = useSeededPointsApi();

  it("when stores are listed, then each comes with its terminals", async () => {
    const response = await get(points.api.url, "/api/stores");

    assert.equal(response.status, 200);
    assert.deepEqual(parseExactly(schemas.storesSchema, response.body), {
      stores: [
        {
          id: "s1",
          name: "Shibuya",
          terminals: [
            { id: "t1", name: "Register 1" },
            { id: "t2", name: "Register 2" },
          ],
        },
        { id: "s2", name: "Umeda", terminals: [{ id: "t3", name: "Register 1" }] },
      ],
    });
  });

  it("when the recent ledger is asked for, then the latest entries of all users come newest first", async () => {
    const response = await get(points.api.url, "/api/ledger/recent?limit=3");

    assert.equal(response.status, 200);
    const { entries } = parseExactly(schemas.recentLedgerSchema, response.body);
    assert.deepEqual(
      entries.map((e) => [e.commandId, e.userId]),
      [
        ["c4", "u1"],
        ["c3", "u1"],
        ["c2", "u2"],
      ],
    );
  });

  it("when analytics are asked for, then totals, stores, recent hours and the top 10 users come from the analytics tables", async () => {
    await points.otherServicesDbs.analytics.analyticsCounter.createMany({
      data: [
        { name: "charges", value: 3n },
        { name: "deductions", value: 1n },
        { name: "rejections", value: 1n },
        { name: "chargedPoints", value: 750n },
      ],
    });
    await points.otherServicesDbs.analytics.analyticsStoreTotal.createMany({
      data: [
        { storeId: "s1", chargedPoints: 700, deductedPoints: 0, chargeCount: 2, deductCount: 1, rejectedCount: 1 },
        { storeId: "s-closed", chargedPoints: 50, chargeCount: 1 },
      ],
    });
    const hour = currentHour();
    await points.otherServicesDbs.analytics.analyticsHourly.createMany({
      data: [
        { storeId: "s1", hour, chargedPoints: 200, deductedPoints: 0, eventCount: 2 },
        { storeId: "s2", hour: new Date(hour.getTime() - HOUR_MS), chargedPoints: 50, eventCount: 1 },
        { storeId: "s1", hour: new Date(hour.getTime() - 48 * HOUR_MS), chargedPoints: 500, eventCount: 1 },
      ],
    });
    await points.otherServicesDbs.analytics.analyticsUserTotal.createMany({
      data: Array.from({ length: 12 }, (_, i) => ({
        userId: i < 3 ? `u${i + 1}` : `x${String(i).padStart(2, "0")}`,
        chargedPoints: (i + 1) * 10,
        eventCount: 1,
      })),
    });

    const response = await get(points.api.url, "/api/analytics");
    const threeDays = await get(points.api.url, "/api/analytics?hours=72");

    assert.equal(response.status, 200);
    const report = parseExactly(schemas.analyticsSchema, response.body);
    assert.deepEqual(report.totals, {
      charges: 3,
      deductions: 1,
      rejections: 1,
      chargedPoints: 750,
      deductedPoints: 0,
    });
    assert.deepEqual(
      report.stores.map((s) => [s.storeId, s.storeName, s.chargedPoints, s.chargeCount, s.rejectedCount]),
      [
        ["s-closed", null, 50, 1, 0],
        ["s1", "Shibuya", 700, 2, 1],
      ],
    );
    assert.deepEqual(report.hourly, [
      {
        storeId: "s2",
        hour: new Date(hour.getTime() - HOUR_MS).toISOString(),
        chargedPoints: 50,
        deductedPoints: 0,
        eventCount: 1,
      },
      { storeId: "s1", hour: hour.toISOString(), chargedPoints: 200, deductedPoints: 0, eventCount: 2 },
    ]);
    assert.equal(threeDays.body.hourly.length, 3);
    assert.equal(report.topUsers.length, 10);
    assert.deepEqual(report.topUsers.slice(0, 2), [
      { userId: "x11", name: null, chargedPoints: 120, deductedPoints: 0, eventCount: 1 },
      { userId: "x10", name: null, chargedPoints: 110, deductedPoints: 0, eventCount: 1 },
    ]);
    assert.deepEqual(report.topUsers.at(-1), {
      userId: "u3",
      name: "Carol",
      chargedPoints: 30,
      deductedPoints: 0,
      eventCount: 1,
    });
  });
});

// GET /api/groups: a consumer started here as the "ledger" group shows up with its partitions, its
// committed offsets and its lag.
const PARTITIONS = 3;

describe("points-api consumer groups", () => {
  let broker: BrokerProcess;
  let appEnv: AppEnv;
  let db: Db;
  let api: PointsApi;
  let consumer: KafkaClientConsumer | undefined;

  before(async () => {
    broker = await startBroker({ config: { "group.initial.rebalance.delay.ms": 0 } });
    appEnv = createAppEnv(broker.address, { POINTS_PARTITIONS: String(PARTITIONS) });
    db = createDb(appEnv.databaseUrl);
    await seedReferences(db);
    api = await startPointsApi(
      loadConfig(appEnv.env()),
      createLog("points-api", () => undefined),
    );
  });

  after(async () => {
    await cleanupAll(
      () => cleanupAllWithin(5000, () => consumer?.disconnect()),
      () => api?.stop(),
      () => db?.$disconnect(),
      () => broker?.cleanup(),
      () => appEnv?.cleanup(),
    );
  });

  const groups = async () => {
    const response = await get(api.url, "/api/groups");
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return parseExactly(schemas.groupsSchema, response.body).groups;
  };

  it("when no service has joined yet, then each group is reported without members, its partitions without commits", async () => {
    const reported = await groups();

    assert.deepEqual(
      reported.map((g) => [g.groupId, g.topic]),
      [
        ["ledger", COMMANDS_TOPIC],
        ["notification", EVENTS_TOPIC],
        ["analytics", EVENTS_TOPIC],
      ],
    );
    for (const group of reported) {
      assert.equal(group.state, "Dead");
      assert.deepEqual(group.members, []);
      assert.deepEqual(
        group.partitions.map((p) => [p.partition, p.committedOffset]),
        range(PARTITIONS).map((p) => [p, null]),
      );
    }
  });

  it("when a ledger consumer runs and has committed part of a partition, then it is the group's member owning every partition, with the lag left", async () => {
    const accepted: Array<{ partition: number; offset: string }> = [];
    for (const amount of [1, 2, 3])
      accepted.push(
        (
          await postJson(
            api.url,
            "/api/points/charge",
            { userId: "u1", amount, storeId: "s1", terminalId: "t1" },
            appEnv.authorization("t1"),
          )
        ).body,
      );
    const partition = accepted[0]!.partition;

    const kafka = await createKafka({
      clientId: "ledger-under-test",
      brokers: [broker.address],
      logLevel: logLevel.NOTHING,
    });
    consumer = kafka.consumer({
      groupId: "ledger",
      sessionTimeout: 6000,
      heartbeatInterval: 500,
      maxWaitTimeInMs: 100,
    });
    const seen: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topics: [COMMANDS_TOPIC], fromBeginning: true });
    await consumer.run({ autoCommit: false, eachMessage: async ({ message }) => void seen.push(message.offset) });
    await waitFor(() => seen.length === 3, { message: () => `the consumer read 3 commands (read ${seen.length})` });
    // As if the first command were applied and the other two not yet.
    await consumer.commitOffsets([
      { topic: COMMANDS_TOPIC, partition, offset: String(BigInt(accepted[0]!.offset) + 1n) },
    ]);

    let ledger: Awaited<ReturnType<typeof groups>>[number] | undefined;
    await waitFor(
      async () => {
        ledger = (await groups()).find((g) => g.groupId === "ledger");
        return ledger?.state === "Stable" && ledger.members.length === 1;
      },
      { message: () => `a stable ledger group with one member, got ${JSON.stringify(ledger)}` },
    );

    const [member] = ledger!.members;
    assert.equal(member!.clientId, "ledger-under-test");
    assert.ok(member!.memberId.length > 0 && member!.clientHost.length > 0);
    assert.deepEqual(member!.partitions, range(PARTITIONS));
    assert.deepEqual(
      ledger!.partitions,
      range(PARTITIONS).map((p) =>
        p === partition
          ? { partition: p, committedOffset: "1", endOffset: "3", lag: 2 }
          : { partition: p, committedOffset: null, endOffset: "0", lag: 0 },
      ),
    );
    assert.equal(ledger!.totalLag, 2);
    const others = (await groups()).filter((g) => g.groupId !== "ledger");
    assert.deepEqual(
      others.map((g) => [g.groupId, g.state, g.members.length]),
      [
        ["notification", "Dead", 0],
        ["analytics", "Dead", 0],
      ],
    );
  });
});
