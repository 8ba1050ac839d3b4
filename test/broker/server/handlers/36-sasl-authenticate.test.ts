import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import type { SaslAuthenticateResponse } from "../../../../broker/protocol/messages/index.ts";
import { encodePlain } from "../../../../broker/protocol/sasl/plain.ts";
import type { BrokerState } from "../../../../broker/server/broker-state.ts";
import { saslAuthenticateHandler } from "../../../../broker/server/handlers/36-sasl-authenticate.ts";
import type { RequestContext } from "../../../../broker/server/handlers/handler.ts";
import { PlainServer } from "../../../../broker/server/security/plain-server.ts";
import { SaslAuthenticator } from "../../../../broker/server/security/sasl-authenticator.ts";

const context = (sasl?: SaslAuthenticator): RequestContext => ({
  broker: {} as BrokerState,
  apiVersion: 1,
  clientId: "c",
  clientHost: "127.0.0.1",
  ...(sasl ? { sasl } : {}),
});
const handshaken = () => {
  const sasl = new SaslAuthenticator({
    enabledMechanisms: ["PLAIN"],
    newMechanism: () => new PlainServer((user) => (user === "alice" ? "secret" : undefined)),
  });
  sasl.handshake("PLAIN", 1);
  return sasl;
};

describe("SaslAuthenticate", () => {
  it("when the mechanism's message proves the user, then no error, the mechanism's answer and no session lifetime", () => {
    const sasl = handshaken();
    const answer = saslAuthenticateHandler.handle(
      { authBytes: encodePlain({ username: "alice", password: "secret" }) },
      context(sasl),
    );
    assert.deepEqual(answer, { errorCode: 0, errorMessage: null, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n });
    assert.equal(sasl.principal, "alice");
  });

  it("when the password is wrong, then SASL_AUTHENTICATION_FAILED with a message", () => {
    const answer = saslAuthenticateHandler.handle(
      { authBytes: encodePlain({ username: "alice", password: "guess" }) },
      context(handshaken()),
    ) as SaslAuthenticateResponse;
    assert.equal(answer.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
    assert.equal(answer.errorMessage, "Authentication failed: Invalid username or password");
  });

  it("when the listener is PLAINTEXT, then ILLEGAL_SASL_STATE", () => {
    const answer = saslAuthenticateHandler.handle(
      { authBytes: Buffer.alloc(0) },
      context(),
    ) as SaslAuthenticateResponse;
    assert.equal(answer.errorCode, ErrorCode.ILLEGAL_SASL_STATE);
  });
});
