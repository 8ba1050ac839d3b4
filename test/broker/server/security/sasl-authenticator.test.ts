import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ApiKeys } from "../../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { encodePlain } from "../../../../broker/protocol/sasl/plain.ts";
import { PlainServer } from "../../../../broker/server/security/plain-server.ts";
import { SaslAuthenticator } from "../../../../broker/server/security/sasl-authenticator.ts";
import { AuthenticationFailed } from "../../../../broker/server/security/sasl-mechanism.ts";

const outcomes: { mechanism: string; username?: string; error?: string }[] = [];
const authenticator = () =>
  new SaslAuthenticator({
    enabledMechanisms: ["PLAIN", "SCRAM-SHA-256"],
    newMechanism: () => new PlainServer((user) => (user === "alice" ? "secret" : undefined)),
    onOutcome: (outcome) => outcomes.push(outcome),
  });
const alice = (password = "secret") => encodePlain({ username: "alice", password });
const served = [ApiKeys.Produce, ApiKeys.Fetch, ApiKeys.Metadata, ApiKeys.SaslAuthenticate];

describe("a connection's SASL authenticator", () => {
  it("when nothing is authenticated yet, then one ApiVersions and SaslHandshake pass, nothing else", () => {
    const sasl = authenticator();
    for (const apiKey of served) assert.equal(sasl.admit(apiKey), false);
    assert.equal(sasl.admit(ApiKeys.ApiVersions), true);
    assert.equal(sasl.admit(ApiKeys.ApiVersions), false, "Kafka takes one ApiVersions before the handshake");
    assert.equal(sasl.admit(ApiKeys.SaslHandshake), true);
  });

  it("when SaslHandshake v1 names an enabled mechanism, then only SaslAuthenticate passes until it succeeds, then everything", () => {
    const sasl = authenticator();
    assert.deepEqual(sasl.handshake("PLAIN", 1), { errorCode: ErrorCode.NONE, mechanisms: ["PLAIN", "SCRAM-SHA-256"] });
    assert.equal(sasl.admit(ApiKeys.Metadata), false);
    assert.equal(sasl.admit(ApiKeys.SaslAuthenticate), true);
    const answer = sasl.authenticate(alice());
    assert.equal(answer.errorCode, ErrorCode.NONE);
    assert.equal(answer.sessionLifetimeMs, 0n);
    assert.equal(sasl.principal, "alice");
    for (const apiKey of [...served, ApiKeys.ApiVersions]) assert.equal(sasl.admit(apiKey), true);
    assert.deepEqual(outcomes.at(-1), { mechanism: "PLAIN", username: "alice" });
  });

  it("when the password is wrong, then SASL_AUTHENTICATION_FAILED with the mechanism's message, and the authenticator has failed", () => {
    const sasl = authenticator();
    sasl.handshake("PLAIN", 1);
    const answer = sasl.authenticate(alice("wrong"));
    assert.equal(answer.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
    assert.equal(answer.errorMessage, "Authentication failed: Invalid username or password");
    assert.equal(sasl.failed, true);
    assert.equal(sasl.principal, undefined);
    for (const apiKey of [...served, ApiKeys.ApiVersions, ApiKeys.SaslHandshake])
      assert.equal(sasl.admit(apiKey), false);
    assert.equal(outcomes.at(-1)?.error, "Authentication failed: Invalid username or password");
  });

  it("when the mechanism is not enabled, then UNSUPPORTED_SASL_MECHANISM with the enabled list, and the authenticator has failed", () => {
    const sasl = authenticator();
    assert.deepEqual(sasl.handshake("SCRAM-SHA-512", 1), {
      errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM,
      mechanisms: ["PLAIN", "SCRAM-SHA-256"],
    });
    assert.equal(sasl.failed, true);
  });

  it("when SaslHandshake is v0, then the next frames are bare tokens: a right one completes, a wrong one throws", () => {
    const sasl = authenticator();
    sasl.handshake("PLAIN", 0);
    assert.equal(sasl.expectsRawToken, true);
    assert.deepEqual(sasl.rawToken(alice()), Buffer.alloc(0));
    assert.equal(sasl.state, "complete");

    const refused = authenticator();
    refused.handshake("PLAIN", 0);
    assert.throws(() => refused.rawToken(alice("wrong")), AuthenticationFailed);
    assert.equal(refused.failed, true);
  });

  it("when the handshake or authentication comes again after success, then ILLEGAL_SASL_STATE, as Kafka answers", () => {
    const sasl = authenticator();
    sasl.handshake("PLAIN", 1);
    sasl.authenticate(alice());
    assert.equal(sasl.handshake("PLAIN", 1).errorCode, ErrorCode.ILLEGAL_SASL_STATE);
    const again = sasl.authenticate(alice());
    assert.equal(again.errorCode, ErrorCode.ILLEGAL_SASL_STATE);
    assert.match(again.errorMessage ?? "", /after successful authentication/);
    assert.equal(sasl.state, "complete");
  });
});
