import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isSaslMechanism, parseEnabledMechanisms } from "../../../../broker/server/security/sasl-mechanism.ts";

describe("sasl.enabled.mechanisms", () => {
  it("when it lists Kafka's names, then those, once each, in order", () => {
    assert.deepEqual(parseEnabledMechanisms(" SCRAM-SHA-512, PLAIN ,PLAIN"), ["SCRAM-SHA-512", "PLAIN"]);
    assert.deepEqual(parseEnabledMechanisms(""), []);
  });

  it("when it names a mechanism not implemented here (or in kafkajs's lower case), then an error naming the supported ones", () => {
    assert.throws(
      () => parseEnabledMechanisms("PLAIN,GSSAPI"),
      /GSSAPI is not supported \(supported: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512\)/,
    );
    assert.throws(() => parseEnabledMechanisms("plain"), /plain is not supported/);
    assert.equal(isSaslMechanism("OAUTHBEARER"), false);
    assert.equal(isSaslMechanism("SCRAM-SHA-256"), true);
  });
});
