// Settings from the environment, the same for `npm start` and a service started alone.
import assert from "node:assert/strict";
import path from "node:path";
import { describe, it } from "node:test";
import { ConfigError, loadConfig, optionalIntFrom } from "../../../apps/shared/config.ts";

describe("app config", () => {
  it("when nothing is set, then the defaults: ./data, points.db in it, the local broker on 9092, port 3000, 6 partitions, keyed by userId, commands on points.commands", () => {
    const config = loadConfig({});
    const dataDir = path.resolve("./data");
    assert.deepEqual(config, {
      dataDir,
      databaseUrl: `file:${path.join(dataDir, "points.db")}`,
      brokers: ["127.0.0.1:9092"],
      brokerPort: 9092,
      httpPort: 3000,
      httpHost: "127.0.0.1",
      partitions: 6,
      maxAmount: 1_000_000,
      commandKey: "userId",
      commandsTopic: "points.commands",
    });
  });

  it("when settings are given, then they are used; KAFKA_BROKERS is a comma-separated list (blanks dropped), the broker port follows BROKER_PORT otherwise", () => {
    const config = loadConfig({
      DATA_DIR: "/tmp/points-x",
      DATABASE_URL: "file:/tmp/other.db",
      KAFKA_BROKERS: " a:1, ,b:2 ",
      PORT: "0",
      HOST: "0.0.0.0",
      POINTS_PARTITIONS: "24",
      POINTS_MAX_AMOUNT: "500",
      POINTS_COMMAND_KEY: "none",
      COMMANDS_TOPIC: "points.commands.v2",
    });
    assert.deepEqual(
      [config.dataDir, config.databaseUrl, config.brokers, config.httpPort, config.httpHost],
      ["/tmp/points-x", "file:/tmp/other.db", ["a:1", "b:2"], 0, "0.0.0.0"],
    );
    assert.deepEqual(
      [config.partitions, config.maxAmount, config.commandKey, config.commandsTopic],
      [24, 500, "none", "points.commands.v2"],
    );
    assert.deepEqual(loadConfig({ BROKER_PORT: "19092" }).brokers, ["127.0.0.1:19092"]);
  });

  it("when a number is not an integer or below its minimum, or the command key is unknown, then a ConfigError names the setting", () => {
    assert.throws(() => loadConfig({ POINTS_PARTITIONS: "0" }), ConfigError);
    assert.throws(() => loadConfig({ PORT: "80.5" }), /PORT must be an integer >= 0 \(got "80\.5"\)/);
    assert.throws(() => loadConfig({ POINTS_COMMAND_KEY: "storeId" }), /POINTS_COMMAND_KEY must be "userId" or "none"/);
  });

  it("when an optional integer is unset or empty, then it is undefined; otherwise it is checked like the others", () => {
    assert.equal(optionalIntFrom({}, "N", 1), undefined);
    assert.equal(optionalIntFrom({ N: "" }, "N", 1), undefined);
    assert.equal(optionalIntFrom({ N: "7" }, "N", 1), 7);
    assert.throws(() => optionalIntFrom({ N: "0" }, "N", 1), /N must be an integer >= 1 \(got "0"\)/);
  });
});
