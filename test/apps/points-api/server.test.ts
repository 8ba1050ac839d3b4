// startPointsApi on a real broker and a real SQLite file: what it sets up, and how it stops.
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, before, describe, it } from "node:test";
import { startPointsApi } from "../../../apps/points-api/server.ts";
import { loadConfig } from "../../../apps/shared/config.ts";
import { createDb } from "../../../apps/shared/db/client.ts";
import { createLog } from "../../../apps/shared/log.ts";
import { COMMANDS_TOPIC, EVENTS_TOPIC } from "../../../apps/shared/topics.ts";
import { Kafka } from "../../../broker/client/kafka.ts";
import { logLevel } from "../../../broker/client/logger.ts";
import { type AppEnv, createAppEnv } from "../../helpers/app-process.ts";
import { type BrokerProcess, startBroker } from "../../helpers/broker-process.ts";
import { cleanupAll } from "../../helpers/wait.ts";
import { get, postJson, seedReferences } from "./helpers.ts";

describe("startPointsApi", () => {
  let broker: BrokerProcess;
  let appEnv: AppEnv;

  before(async () => {
    broker = await startBroker();
    appEnv = createAppEnv(broker.address, { POINTS_PARTITIONS: "4" });
    const db = createDb(appEnv.databaseUrl);
    await seedReferences(db);
    await db.$disconnect();
  });
  after(() =>
    cleanupAll(
      () => broker?.cleanup(),
      () => appEnv?.cleanup(),
    ),
  );

  const partitionsOf = async (topic: string) => {
    const admin = new Kafka({ brokers: [broker.address], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      return topics[0]!.partitions.length;
    } finally {
      await admin.disconnect();
    }
  };

  it("when started, then both topics exist with POINTS_PARTITIONS partitions and the API serves on its URL (127.0.0.1), commands with a key issued since included", async () => {
    const lines: string[] = [];
    const api = await startPointsApi(
      loadConfig(appEnv.env()),
      createLog("points-api", (line) => lines.push(line)),
    );
    try {
      assert.match(api.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(await partitionsOf(COMMANDS_TOPIC), 4);
      assert.equal(await partitionsOf(EVENTS_TOPIC), 4);
      assert.equal((await get(api.url, "/api/stores")).status, 200);
      const accepted = await postJson(
        api.url,
        "/api/points/charge",
        { userId: "u1", amount: 5, storeId: "s1", terminalId: "t1" },
        appEnv.authorization("t1"),
      );
      assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
    } finally {
      await api.stop();
    }
    assert.match(lines.join(""), /\[points-api\] stopped\n$/);
    assert.match(lines.join(""), /\[points-api\] warning: no terminal has a key yet \(.*terminal-key-hashes\.json\)/);
    assert.doesNotMatch(lines.join(""), /beyond loopback/);
  });

  it("when HOST is 0.0.0.0, then it listens there and logs a warning that it listens beyond loopback", async () => {
    const lines: string[] = [];
    const api = await startPointsApi(
      loadConfig(appEnv.env({ HOST: "0.0.0.0" })),
      createLog("points-api", (line) => lines.push(line)),
    );
    try {
      const port = new URL(api.url).port;
      assert.equal(api.url, `http://0.0.0.0:${port}`);
      assert.ok(
        lines.includes(
          `[points-api] warning: points-api listens on 0.0.0.0:${port}, beyond loopback: other machines can reach it (HOST=0.0.0.0)\n`,
        ),
        lines.join(""),
      );
    } finally {
      await api.stop();
    }
  });

  it("when stopped, then the port takes no more requests, and stopping again is the same stop", async () => {
    const api = await startPointsApi(
      loadConfig(appEnv.env()),
      createLog("points-api", () => undefined),
    );
    const first = api.stop();
    assert.equal(api.stop(), first);
    await first;
    await assert.rejects(fetch(`${api.url}/api/stores`));
  });

  it("when its port is taken, then the start fails with the listen error", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      await assert.rejects(
        startPointsApi(
          loadConfig(appEnv.env({ PORT: String(port) })),
          createLog("points-api", () => undefined),
        ),
        { code: "EADDRINUSE" },
      );
    } finally {
      blocker.close();
    }
  });
});
