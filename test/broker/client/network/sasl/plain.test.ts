import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { plainConversation } from "../../../../../broker/client/network/sasl/plain.ts";

describe("the PLAIN client", () => {
  it("when it starts, then it sends the user and password once, and is done at the server's answer", async () => {
    const plain = plainConversation("alice", "secret");
    assert.deepEqual(await plain.respond(undefined), Buffer.from("\0alice\0secret"));
    assert.equal(await plain.respond(Buffer.alloc(0)), null);
  });
});
