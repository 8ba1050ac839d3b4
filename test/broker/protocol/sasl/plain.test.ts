import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodePlain, encodePlain, PlainFormatError } from "../../../../broker/protocol/sasl/plain.ts";

describe("SASL/PLAIN message", () => {
  it("when a user and password are written, then NUL separates an empty authorization id, the user and the password", () => {
    const message = encodePlain({ username: "alice", password: "pä55" });
    assert.deepEqual(message, Buffer.from("\0alice\0pä55", "utf8"));
    assert.deepEqual(decodePlain(message), { authorizationId: "", username: "alice", password: "pä55" });
  });

  it("when an authorization id is given, then it comes first", () => {
    assert.equal(
      decodePlain(encodePlain({ authorizationId: "bob", username: "alice", password: "x" })).authorizationId,
      "bob",
    );
  });

  it("when the message lacks a part, has one too many or names no user or password, then PlainFormatError", () => {
    for (const text of ["alice\0secret", "\0a\0b\0c", "\0\0secret", "\0alice\0"])
      assert.throws(() => decodePlain(Buffer.from(text)), PlainFormatError, JSON.stringify(text));
  });
});
