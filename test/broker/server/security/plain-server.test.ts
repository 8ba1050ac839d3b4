import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encodePlain } from "../../../../broker/protocol/sasl/plain.ts";
import { PlainServer } from "../../../../broker/server/security/plain-server.ts";
import { AuthenticationFailed } from "../../../../broker/server/security/sasl-mechanism.ts";

const users = new Map([["alice", "alice-secret"]]);
const server = () => new PlainServer((name) => users.get(name));

describe("the PLAIN server", () => {
  it("when the user's password is right, then it answers empty bytes and completes as that user", () => {
    const plain = server();
    assert.deepEqual(plain.evaluate(encodePlain({ username: "alice", password: "alice-secret" })), Buffer.alloc(0));
    assert.equal(plain.complete, true);
    assert.equal(plain.username, "alice");
  });

  it("when the password is wrong or the user unknown, then the same AuthenticationFailed, and it stays incomplete", () => {
    for (const [username, password] of [
      ["alice", "alice-secreT"],
      ["alice", "alice-secret-and-more"],
      ["mallory", "alice-secret"],
    ] as const) {
      const plain = server();
      assert.throws(
        () => plain.evaluate(encodePlain({ username, password })),
        (error) =>
          error instanceof AuthenticationFailed &&
          error.message === "Authentication failed: Invalid username or password",
      );
      assert.equal(plain.complete, false);
    }
  });

  it("when another authorization id is asked for or the message is malformed, then AuthenticationFailed", () => {
    assert.throws(
      () => server().evaluate(encodePlain({ authorizationId: "bob", username: "alice", password: "alice-secret" })),
      /authorization id that is different/,
    );
    assert.throws(() => server().evaluate(Buffer.from("alice")), AuthenticationFailed);
  });

  it("when a second message comes after success, then AuthenticationFailed", () => {
    const plain = server();
    plain.evaluate(encodePlain({ username: "alice", password: "alice-secret" }));
    assert.throws(
      () => plain.evaluate(encodePlain({ username: "alice", password: "alice-secret" })),
      AuthenticationFailed,
    );
  });
});
