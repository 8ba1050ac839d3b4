import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encodePlain } from "../../../../broker/protocol/sasl/plain.ts";
import { formatClientFirst, parseServerFirst } from "../../../../broker/protocol/sasl/scram.ts";
import { ListenerSecurity } from "../../../../broker/server/security/listener-security.ts";
import type { ListenerConfig } from "../../../../broker/server/security/listeners.ts";

const security = {
  enabledMechanisms: ["PLAIN", "SCRAM-SHA-256"] as const,
  plainPassword: (listener: string, username: string) =>
    listener === "SASL_PLAINTEXT" && username === "alice" ? "secret" : undefined,
  scramCredential: () => undefined,
};
const listener = (securityProtocol: ListenerConfig["securityProtocol"]): ListenerConfig => ({
  name: securityProtocol,
  securityProtocol,
  host: "127.0.0.1",
  port: 0,
});

describe("a listener's security", () => {
  it("when the listener is PLAINTEXT, then its connections have no authenticator", () => {
    assert.equal(new ListenerSecurity(listener("PLAINTEXT"), security).authenticatorOf({ remote: "a" }), undefined);
  });

  it("when the listener is SASL_PLAINTEXT, then each connection keeps one authenticator of its own", () => {
    const sasl = new ListenerSecurity(listener("SASL_PLAINTEXT"), security);
    const one = { remote: "127.0.0.1:1" };
    const two = { remote: "127.0.0.1:2" };
    assert.equal(sasl.authenticatorOf(one), sasl.authenticatorOf(one));
    assert.notEqual(sasl.authenticatorOf(one), sasl.authenticatorOf(two));
    assert.equal(sasl.name, "SASL_PLAINTEXT");
  });

  it("when a connection authenticates, then PLAIN checks this listener's users and the outcome is logged", () => {
    const logged: [string, Record<string, unknown> | undefined][] = [];
    const log = {
      info: (m: string, f?: Record<string, unknown>) => logged.push([m, f]),
      warn: (m: string, f?: Record<string, unknown>) => logged.push([m, f]),
    };
    const sasl = new ListenerSecurity(listener("SASL_PLAINTEXT"), security, log);
    const ok = sasl.authenticatorOf({ remote: "r1" })!;
    ok.handshake("PLAIN", 1);
    assert.equal(ok.authenticate(encodePlain({ username: "alice", password: "secret" })).errorCode, 0);
    const refused = sasl.authenticatorOf({ remote: "r2" })!;
    refused.handshake("PLAIN", 1);
    assert.equal(refused.authenticate(encodePlain({ username: "alice", password: "nope" })).errorCode, 58);
    assert.deepEqual(
      logged.map(([message, fields]) => [message, fields?.remote, fields?.username]),
      [
        ["SASL authentication succeeded", "r1", "alice"],
        ["SASL authentication failed", "r2", undefined],
      ],
    );
  });

  it("when SCRAM is chosen for a user without a credential, then the exchange still begins (with a decoy salt)", () => {
    const sasl = new ListenerSecurity(listener("SASL_PLAINTEXT"), security).authenticatorOf({ remote: "r" })!;
    sasl.handshake("SCRAM-SHA-256", 1);
    const answer = sasl.authenticate(Buffer.from(formatClientFirst("ghost", "abc").message));
    assert.equal(answer.errorCode, 0);
    assert.equal(parseServerFirst(answer.authBytes.toString()).salt.length, 32);
  });
});
