import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { brokerProp, ConfigError, parseArgs } from "../../../broker/server/config.ts";

describe("parseArgs", () => {
  it("when no options are given, then the defaults just run", () => {
    const config = parseArgs([]);
    assert.equal(config.host, "127.0.0.1");
    assert.equal(config.port, 9092);
    assert.equal(brokerProp(config, "num.partitions"), "1");
    assert.equal(brokerProp(config, "auto.create.topics.enable"), "true");
  });

  it("when options and --config pairs are given, then they override the defaults", () => {
    const config = parseArgs([
      "--port",
      "0",
      "--host",
      "localhost",
      "--node-id",
      "3",
      "--data-dir",
      "/tmp/x",
      "--config",
      "num.partitions=6",
      "--config",
      "log.flush.interval.messages=1",
    ]);
    assert.equal(config.port, 0);
    assert.equal(config.host, "localhost");
    assert.equal(config.nodeId, 3);
    assert.equal(config.dataDir, "/tmp/x");
    assert.equal(brokerProp(config, "num.partitions"), "6");
    assert.equal(brokerProp(config, "log.flush.interval.messages"), "1");
  });

  it("when an option is unknown or malformed, then a ConfigError names it", () => {
    assert.throws(
      () => parseArgs(["--bogus"]),
      (e: unknown) => e instanceof ConfigError && /unknown option '--bogus'/.test(e.message),
    );
    assert.throws(
      () => parseArgs(["--port", "70000"]),
      (e: unknown) => e instanceof ConfigError && /--port/.test(e.message),
    );
    assert.throws(() => parseArgs(["--config", "nonsense"]), ConfigError);
    assert.throws(
      () => parseArgs(["--config", "no.such.property=1"]),
      (e: unknown) => e instanceof ConfigError && /unknown config no.such.property/.test(e.message),
    );
    assert.throws(
      () => parseArgs(["--config", "num.partitions=many"]),
      (e: unknown) => e instanceof ConfigError && /integer/.test(e.message),
    );
    assert.throws(
      () => parseArgs(["--port"]),
      (e: unknown) => e instanceof ConfigError && /--port <port>' argument missing/.test(e.message),
    );
  });

  it("when --admin-port is given, then the admin listener is on at that port, on loopback unless --admin-host says otherwise", () => {
    assert.deepEqual(parseArgs(["--admin-port", "0"]).admin, { host: "127.0.0.1", port: 0 });
    assert.deepEqual(parseArgs(["--admin-port", "9644", "--admin-host", "0.0.0.0"]).admin, {
      host: "0.0.0.0",
      port: 9644,
    });
  });

  it("when --admin-port is absent, then there is no admin listener, whatever --admin-host says", () => {
    assert.equal(parseArgs([]).admin, undefined);
    assert.equal(parseArgs(["--admin-host", "0.0.0.0"]).admin, undefined);
  });

  it("when --admin-port is not a port, then a ConfigError names it", () => {
    assert.throws(
      () => parseArgs(["--admin-port", "65536"]),
      (e: unknown) => e instanceof ConfigError && /--admin-port must be an integer from 0 to 65535/.test(e.message),
    );
  });

  it("when listeners and a listener's JAAS config are given, then they are accepted under Kafka's names", () => {
    const config = parseArgs([
      "--config",
      "listeners=PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0",
      "--config",
      'listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="a";',
      "--config",
      "sasl.enabled.mechanisms=PLAIN",
    ]);
    assert.equal(brokerProp(config, "listeners"), "PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0");
    assert.equal(brokerProp(config, "inter.broker.listener.name"), "PLAINTEXT");
  });

  it("when listeners and --port or --host both say where to listen, or a security setting is wrong, then a ConfigError", () => {
    const listeners = ["--config", "listeners=PLAINTEXT://127.0.0.1:0"];
    for (const argv of [
      ["--port", "0", ...listeners],
      ["--host", "127.0.0.1", ...listeners],
      ["--config", "listeners=SASL_PLAINTEXT://127.0.0.1:0"],
      ["--config", "sasl.enabled.mechanisms=GSSAPI"],
      ["--config", "sasl.credentials=SCRAM-SHA-256=[name=a,iterations=10,password=p]"],
      ["--config", "listener.name.x.plain.sasl.jaas.config=broken"],
    ])
      assert.throws(() => parseArgs(argv), ConfigError, argv.join(" "));
  });
});
