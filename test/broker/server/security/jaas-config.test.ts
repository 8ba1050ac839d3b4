import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { JaasConfigError, parseJaasConfig, plainUsersOf } from "../../../../broker/server/security/jaas-config.ts";

describe("sasl.jaas.config", () => {
  it("when Kafka's PlainLoginModule line is read, then its options, and its user_ options are the PLAIN users", () => {
    const modules = parseJaasConfig(
      'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="al;ce \\"quoted\\"";',
    );
    assert.equal(modules.length, 1);
    assert.equal(modules[0]?.loginModule, "org.apache.kafka.common.security.plain.PlainLoginModule");
    assert.equal(modules[0]?.flag, "required");
    assert.equal(modules[0]?.options.get("username"), "admin");
    assert.deepEqual(
      [...plainUsersOf(modules)],
      [
        ["admin", "admin-secret"],
        ["alice", 'al;ce "quoted"'],
      ],
    );
  });

  it("when values are bare words and there are two modules, then both are read", () => {
    const modules = parseJaasConfig("a.B optional user_x=one; c.D sufficient user_y=two;");
    assert.deepEqual(
      modules.map((m) => [m.loginModule, m.flag]),
      [
        ["a.B", "optional"],
        ["c.D", "sufficient"],
      ],
    );
    assert.deepEqual(
      [...plainUsersOf(modules)],
      [
        ["x", "one"],
        ["y", "two"],
      ],
    );
  });

  it("when the flag, the ';', a value or a closing quote is missing, then JaasConfigError", () => {
    for (const bad of [
      "a.B user_x=1;",
      'a.B required user_x="1"',
      "a.B required user_x=;",
      'a.B required user_x="1;',
      "a.B required user_x;",
      "",
    ])
      assert.throws(() => parseJaasConfig(bad), JaasConfigError, bad);
  });
});
