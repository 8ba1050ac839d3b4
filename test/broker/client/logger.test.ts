import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { logLevel as kafkajsLogLevel } from "kafkajs";
import { createLogger, defaultLogCreator, type LogEntry, logLevel } from "../../../broker/client/logger.ts";

function collecting(level: number = logLevel.INFO) {
  const entries: LogEntry[] = [];
  const creatorLevels: number[] = [];
  const logger = createLogger(level as never, (creatorLevel) => {
    creatorLevels.push(creatorLevel);
    return (entry) => entries.push(entry);
  });
  return { logger, entries, creatorLevels };
}

describe("client logger", () => {
  it("when levels are compared with kafkajs's, then they have the same numbers", () => {
    assert.deepEqual({ ...logLevel }, { ...kafkajsLogLevel });
  });

  it("when an app's logCreator is given, then it is called once with the level and receives each entry as kafkajs shapes it", () => {
    const { logger, entries, creatorLevels } = collecting(logLevel.INFO);
    logger.namespace("Producer").info("sent", { topic: "sales" });
    assert.deepEqual(creatorLevels, [logLevel.INFO]);
    assert.equal(entries.length, 1);
    const [entry] = entries;
    assert.deepEqual(
      [entry!.namespace, entry!.level, entry!.label, entry!.log.message, entry!.log.topic],
      ["Producer", logLevel.INFO, "INFO", "sent", "sales"],
    );
    assert.ok(!Number.isNaN(Date.parse(entry!.log.timestamp)));
  });

  it("when a message is below the level, then it is dropped; setLogLevel changes the level of every namespace", () => {
    const { logger, entries } = collecting(logLevel.WARN);
    const child = logger.namespace("Consumer");
    child.info("dropped");
    child.warn("kept");
    logger.setLogLevel(logLevel.DEBUG);
    child.debug("now kept");
    logger.setLogLevel(logLevel.NOTHING);
    child.error("dropped too");
    assert.deepEqual(
      entries.map((e) => [e.label, e.log.message]),
      [
        ["WARN", "kept"],
        ["DEBUG", "now kept"],
      ],
    );
  });

  it("when namespaces nest, then their names join with a colon, and a namespace's own level holds for its children", () => {
    const { logger, entries } = collecting(logLevel.ERROR);
    const runner = logger.namespace("Consumer", logLevel.DEBUG).namespace("Runner");
    runner.debug("heard");
    logger.namespace("Producer").debug("not heard");
    assert.deepEqual(
      entries.map((e) => [e.namespace, e.log.message]),
      [["Consumer:Runner", "heard"]],
    );
  });

  it("when the default creator writes, then one JSON line per entry, errors and warnings on stderr, bigints as strings", (t) => {
    const stderr = t.mock.method(console, "error", () => {});
    const stdout = t.mock.method(console, "log", () => {});
    const write = defaultLogCreator(logLevel.DEBUG);
    write({
      namespace: "Admin",
      level: logLevel.WARN,
      label: "WARN",
      log: { timestamp: "t", message: "slow", offset: 5n },
    });
    write({ namespace: "Admin", level: logLevel.INFO, label: "INFO", log: { timestamp: "t", message: "ok" } });
    assert.deepEqual(
      stderr.mock.calls.map((call) => JSON.parse(call.arguments[0] as string)),
      [{ level: "WARN", timestamp: "t", message: "slow", offset: "5", logger: "kafka-client", namespace: "Admin" }],
    );
    assert.deepEqual(
      stdout.mock.calls.map((call) => JSON.parse(call.arguments[0] as string).message),
      ["ok"],
    );
  });
});
