import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import type { BrokerState } from "../../../../broker/server/broker-state.ts";
import { saslHandshakeHandler } from "../../../../broker/server/handlers/17-sasl-handshake.ts";
import type { RequestContext } from "../../../../broker/server/handlers/handler.ts";
import { PlainServer } from "../../../../broker/server/security/plain-server.ts";
import { SaslAuthenticator } from "../../../../broker/server/security/sasl-authenticator.ts";

const context = (sasl?: SaslAuthenticator, apiVersion = 1): RequestContext => ({
  broker: {} as BrokerState,
  apiVersion,
  clientId: "c",
  clientHost: "127.0.0.1",
  ...(sasl ? { sasl } : {}),
});
const authenticator = () =>
  new SaslAuthenticator({ enabledMechanisms: ["PLAIN"], newMechanism: () => new PlainServer(() => undefined) });

describe("SaslHandshake", () => {
  it("when a connection on a SASL listener names an enabled mechanism, then no error and the enabled list", () => {
    const sasl = authenticator();
    assert.deepEqual(saslHandshakeHandler.handle({ mechanism: "PLAIN" }, context(sasl)), {
      errorCode: ErrorCode.NONE,
      mechanisms: ["PLAIN"],
    });
    assert.equal(sasl.state, "authenticate");
  });

  it("when it comes at v0, then the connection expects bare tokens next", () => {
    const sasl = authenticator();
    saslHandshakeHandler.handle({ mechanism: "PLAIN" }, context(sasl, 0));
    assert.equal(sasl.expectsRawToken, true);
  });

  it("when the mechanism is not enabled, then UNSUPPORTED_SASL_MECHANISM with the enabled list", () => {
    assert.deepEqual(saslHandshakeHandler.handle({ mechanism: "GSSAPI" }, context(authenticator())), {
      errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM,
      mechanisms: ["PLAIN"],
    });
  });

  it("when the listener is PLAINTEXT, then ILLEGAL_SASL_STATE, as Kafka answers", () => {
    assert.deepEqual(saslHandshakeHandler.handle({ mechanism: "PLAIN" }, context()), {
      errorCode: ErrorCode.ILLEGAL_SASL_STATE,
      mechanisms: [],
    });
  });
});
