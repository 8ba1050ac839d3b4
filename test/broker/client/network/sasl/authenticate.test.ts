import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { KafkaJSSASLAuthenticationError } from "../../../../../broker/client/errors.ts";
import {
  authenticate,
  brokerMechanismName,
  type SaslExchange,
} from "../../../../../broker/client/network/sasl/authenticate.ts";
import { ErrorCode } from "../../../../../broker/protocol/errors.ts";
import type { SaslAuthenticateResponse } from "../../../../../broker/protocol/messages/index.ts";

/** A broker's two answers scripted: the handshake's error and list, then SaslAuthenticate's answers in turn. */
function scripted(
  handshake: { errorCode: number; mechanisms: string[] },
  answers: Partial<SaslAuthenticateResponse>[],
): SaslExchange & { sent: { handshake: string[]; authenticate: Buffer[] } } {
  const sent = { handshake: [] as string[], authenticate: [] as Buffer[] };
  return {
    address: "127.0.0.1:9093",
    sent,
    async handshake(mechanism) {
      sent.handshake.push(mechanism);
      return handshake;
    },
    async authenticate(authBytes) {
      sent.authenticate.push(authBytes);
      const answer = answers.shift() ?? {};
      return { errorCode: 0, errorMessage: null, authBytes: Buffer.alloc(0), ...answer };
    },
  };
}

const isSaslError = (pattern: RegExp) => (error: unknown) =>
  error instanceof KafkaJSSASLAuthenticationError && error.retriable === false && pattern.test(error.message);

describe("authenticating a connection", () => {
  it("when the broker accepts PLAIN, then the handshake names it in Kafka's case and one message is sent", async () => {
    const exchange = scripted({ errorCode: 0, mechanisms: ["PLAIN"] }, [{}]);
    await authenticate(exchange, { mechanism: "plain", username: "alice", password: "secret" });
    assert.deepEqual(exchange.sent.handshake, ["PLAIN"]);
    assert.deepEqual(exchange.sent.authenticate, [Buffer.from("\0alice\0secret")]);
  });

  it("when the broker has not enabled the mechanism, then a non-retriable SASL error listing what it has", async () => {
    const exchange = scripted({ errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: ["PLAIN"] }, []);
    await assert.rejects(
      authenticate(exchange, { mechanism: "scram-sha-512", username: "a", password: "b" }),
      isSaslError(/SCRAM-SHA-512 mechanism is not supported by the server 127.0.0.1:9093 \(enabled: PLAIN\)/),
    );
    assert.deepEqual(exchange.sent.authenticate, []);
  });

  it("when the broker refuses the password, then a non-retriable SASL error with the broker's message", async () => {
    const exchange = scripted({ errorCode: 0, mechanisms: ["PLAIN"] }, [
      {
        errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED,
        errorMessage: "Authentication failed: Invalid username or password",
      },
    ]);
    await assert.rejects(
      authenticate(exchange, { mechanism: "plain", username: "alice", password: "guess" }),
      isSaslError(/SASL PLAIN authentication failed: Authentication failed: Invalid username or password/),
    );
  });

  it("when the handshake is refused otherwise (a PLAINTEXT listener), then a SASL error naming Kafka's error", async () => {
    const exchange = scripted({ errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] }, []);
    await assert.rejects(
      authenticate(exchange, { mechanism: "plain", username: "a", password: "b" }),
      isSaslError(/not supported by the server/),
    );
  });

  it("when a SCRAM server answers nonsense, then a SASL error with the mechanism's reason as its cause", async () => {
    const exchange = scripted({ errorCode: 0, mechanisms: ["SCRAM-SHA-256"] }, [{ authBytes: Buffer.from("garbage") }]);
    await assert.rejects(
      authenticate(exchange, { mechanism: "scram-sha-256", username: "a", password: "b" }),
      (error) => isSaslError(/SCRAM-SHA-256 authentication failed/)(error) && (error as Error).cause instanceof Error,
    );
  });

  it("when kafkajs names a mechanism, then the broker's name is its upper case", () => {
    assert.equal(brokerMechanismName({ mechanism: "scram-sha-256" }), "SCRAM-SHA-256");
  });
});
