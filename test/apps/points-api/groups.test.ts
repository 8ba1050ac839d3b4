// /api/groups reports the demo's consumer groups as the broker sees them: a consumer started here
// as the "ledger" group shows up with its partitions, its committed offsets and its lag.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { groupsSchema } from "../../../apps/points-api/schemas.ts";
import { type PointsApi, startPointsApi } from "../../../apps/points-api/server.ts";
import { loadConfig } from "../../../apps/shared/config.ts";
import { createDb, type Db } from "../../../apps/shared/db/client.ts";
import { createLog } from "../../../apps/shared/log.ts";
import { COMMANDS_TOPIC, EVENTS_TOPIC } from "../../../apps/shared/topics.ts";
import { createKafka, type KafkaClientConsumer } from "../../../broker/client/factory.ts";
import { logLevel } from "../../../broker/client/index.ts";
import { type AppEnv, createAppEnv } from "../../helpers/app-process.ts";
import { type BrokerProcess, startBroker } from "../../helpers/broker-process.ts";
import { cleanupAll, cleanupAllWithin, range, waitFor } from "../../helpers/wait.ts";
import { get, parseExactly, postJson, seedReferences } from "./helpers.ts";

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
    return parseExactly(groupsSchema, response.body).groups;
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
        (await postJson(api.url, "/api/points/charge", { userId: "u1", amount, storeId: "s1", terminalId: "t1" })).body,
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
