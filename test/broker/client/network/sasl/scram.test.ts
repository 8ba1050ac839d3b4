import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { scramConversation } from "../../../../../broker/client/network/sasl/scram.ts";
import {
  credentialOf,
  SCRAM_MECHANISMS,
  type ScramMechanismName,
  saltPasswordSync,
} from "../../../../../broker/protocol/sasl/scram.ts";
import { ScramServer } from "../../../../../broker/server/security/scram-server.ts";

const sha256 = SCRAM_MECHANISMS["SCRAM-SHA-256"];

/** Runs a conversation against a server mechanism until the client is done; the server's last state is returned. */
async function talk(name: ScramMechanismName, clientPassword: string, serverPassword: string): Promise<ScramServer> {
  const mechanism = SCRAM_MECHANISMS[name];
  const salt = Buffer.from("fixed-salt-for-tests");
  const stored = credentialOf(mechanism, saltPasswordSync(mechanism, serverPassword, salt, 4096), salt, 4096);
  const server = new ScramServer(mechanism, (user) => (user === "alice" ? stored : undefined), Buffer.alloc(32));
  const client = scramConversation(mechanism, "alice", clientPassword);
  let answer: Buffer | undefined;
  for (;;) {
    const message = await client.respond(answer);
    if (message === null) return server;
    answer = server.evaluate(message);
  }
}

describe("the SCRAM client", () => {
  it("when it replays RFC 7677's exchange with the RFC's nonce, then it sends the RFC's messages and accepts its signature", async () => {
    const client = scramConversation(sha256, "user", "pencil", "rOprNGfwEbeRWgbNEkqO");
    assert.equal((await client.respond(undefined))?.toString(), "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
    const final = await client.respond(
      Buffer.from("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"),
    );
    assert.equal(
      final?.toString(),
      "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
    );
    assert.equal(await client.respond(Buffer.from("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")), null);
  });

  for (const name of ["SCRAM-SHA-256", "SCRAM-SHA-512"] as const) {
    it(`when it talks ${name} with the broker's server and the password is right, then both sides complete`, async () => {
      const server = await talk(name, "s3cret", "s3cret");
      assert.equal(server.username, "alice");
    });
  }

  it("when the password is wrong, then the server refuses at the proof", async () => {
    await assert.rejects(talk("SCRAM-SHA-512", "guess", "s3cret"), /Invalid user credentials/);
  });

  it("when the server's signature is not the one the password gives, then the client refuses the server", async () => {
    const client = scramConversation(sha256, "user", "pencil", "rOprNGfwEbeRWgbNEkqO");
    await client.respond(undefined);
    await client.respond(
      Buffer.from("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"),
    );
    await assert.rejects(
      client.respond(Buffer.from("v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")),
      /signature does not match/,
    );
  });

  it("when the server's nonce does not extend the client's, or it asks for too few iterations, then the client stops", async () => {
    for (const serverFirst of ["r=someone-else,s=c2FsdA==,i=4096", "r=abcXYZ,s=c2FsdA==,i=1"]) {
      const client = scramConversation(sha256, "u", "p", "abc");
      await client.respond(undefined);
      await assert.rejects(client.respond(Buffer.from(serverFirst)), Error, serverFirst);
    }
  });
});
