import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { brokerDefaults } from "../../../../broker/server/config.ts";
import { isListenerSecurityProperty, securityConfigFrom } from "../../../../broker/server/security/security-config.ts";

function configFrom(props: Record<string, string>, files: Record<string, string> = {}) {
  const map = new Map(Object.entries(props));
  return securityConfigFrom({
    prop: (key) => map.get(key) ?? brokerDefaults[key]!,
    props: map,
    defaultHost: "127.0.0.1",
    defaultPort: 9092,
    readFile: (path) => {
      const text = files[path];
      if (text === undefined) throw new Error("ENOENT");
      return text;
    },
  });
}

const jaas = 'org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret";';

describe("the broker's security settings", () => {
  it("when nothing is configured, then one PLAINTEXT listener at --host/--port and the three mechanisms enabled", () => {
    const config = configFrom({});
    assert.deepEqual(
      config.listeners.map((l) => [l.name, l.port]),
      [["PLAINTEXT", 9092]],
    );
    assert.deepEqual(config.enabledMechanisms, ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]);
    assert.equal(config.plainPassword("PLAINTEXT", "alice"), undefined);
  });

  it("when a listener's JAAS config and credential entries are given, then PLAIN users per listener and SCRAM users for all", () => {
    const config = configFrom(
      {
        listeners: "PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0",
        "listener.name.sasl_plaintext.plain.sasl.jaas.config": jaas,
        "sasl.credentials": "SCRAM-SHA-256=[name=bob,password=b] PLAIN=[name=carol,password=c]",
        "sasl.credentials.file": "/users",
      },
      { "/users": "SCRAM-SHA-512=[name=dave,password=d]\n" },
    );
    assert.equal(config.plainPassword("SASL_PLAINTEXT", "alice"), "alice-secret");
    assert.equal(config.plainPassword("OTHER", "alice"), undefined);
    assert.equal(config.plainPassword("OTHER", "carol"), "c");
    assert.equal(config.scramCredential("SCRAM-SHA-256", "bob")?.iterations, 4096);
    assert.equal(config.scramCredential("SCRAM-SHA-512", "bob"), undefined);
    assert.ok(config.scramCredential("SCRAM-SHA-512", "dave"));
  });

  it("when a setting is wrong, then an error naming it", () => {
    assert.throws(() => configFrom({ "sasl.enabled.mechanisms": "GSSAPI" }), /sasl.enabled.mechanisms/);
    assert.throws(
      () => configFrom({ "listener.name.sasl_plaintext.plain.sasl.jaas.config": "PlainLoginModule required" }),
      /listener.name.sasl_plaintext.plain.sasl.jaas.config/,
    );
    assert.throws(
      () => configFrom({ "sasl.credentials.file": "/missing" }),
      /sasl.credentials.file: cannot read \/missing/,
    );
    assert.throws(
      () =>
        configFrom({
          listeners: "PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0",
          "sasl.enabled.mechanisms": "",
        }),
      /sasl.enabled.mechanisms is empty/,
    );
  });

  it("when a property embeds a listener and a mechanism, then it is recognised as one of these", () => {
    assert.equal(isListenerSecurityProperty("listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config"), true);
    assert.equal(isListenerSecurityProperty("listener.name.sasl_plaintext.sasl.jaas.config"), false);
    assert.equal(isListenerSecurityProperty("sasl.jaas.config"), false);
  });
});
