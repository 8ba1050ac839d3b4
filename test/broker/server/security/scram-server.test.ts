import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  authMessageOf,
  clientFinalWithoutProof,
  clientProof,
  credentialOf,
  formatClientFinal,
  formatClientFirst,
  parseServerFinal,
  parseServerFirst,
  SCRAM_MECHANISMS,
  type ScramCredential,
  type ScramMechanismName,
  saltPasswordSync,
} from "../../../../broker/protocol/sasl/scram.ts";
import { AuthenticationFailed } from "../../../../broker/server/security/sasl-mechanism.ts";
import { ScramServer } from "../../../../broker/server/security/scram-server.ts";

const decoyKey = Buffer.alloc(32, 7);

function credential(
  name: ScramMechanismName,
  password: string,
  salt = Buffer.from("0123456789abcdef"),
): ScramCredential {
  const mechanism = SCRAM_MECHANISMS[name];
  return credentialOf(mechanism, saltPasswordSync(mechanism, password, salt, 4096), salt, 4096);
}

/** The client's side, written out with the primitives: the client-final for `password`, and what the server must sign. */
function clientFinalFor(
  name: ScramMechanismName,
  bare: string,
  serverFirstText: string,
  password: string,
  gs2 = "n,,",
) {
  const mechanism = SCRAM_MECHANISMS[name];
  const serverFirst = parseServerFirst(serverFirstText);
  const salted = saltPasswordSync(mechanism, password, serverFirst.salt, serverFirst.iterations);
  const withoutProof = clientFinalWithoutProof(gs2, serverFirst.nonce);
  const authMessage = authMessageOf(bare, serverFirstText, withoutProof);
  return Buffer.from(formatClientFinal(withoutProof, clientProof(mechanism, salted, authMessage)));
}

describe("the SCRAM server", () => {
  it("when RFC 7677's client talks to it, then it answers the RFC's server-first and server-final and completes", () => {
    const salt = Buffer.from("W22ZaJ0SNY7soEsUEjb6gQ==", "base64");
    const server = new ScramServer(
      SCRAM_MECHANISMS["SCRAM-SHA-256"],
      (user) => (user === "user" ? credential("SCRAM-SHA-256", "pencil", salt) : undefined),
      decoyKey,
      () => "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
    );
    const serverFirst = server.evaluate(Buffer.from("n,,n=user,r=rOprNGfwEbeRWgbNEkqO")).toString();
    assert.equal(serverFirst, "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096");
    const final = server.evaluate(
      Buffer.from(
        "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
      ),
    );
    assert.equal(final.toString(), "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
    assert.equal(server.complete, true);
    assert.equal(server.username, "user");
  });

  for (const name of ["SCRAM-SHA-256", "SCRAM-SHA-512"] as const) {
    it(`when a ${name} client proves the password, then the exchange completes with a verifiable signature`, () => {
      const stored = credential(name, "s3cret");
      const server = new ScramServer(SCRAM_MECHANISMS[name], () => stored, decoyKey);
      const first = formatClientFirst("alice", "client-nonce");
      const serverFirst = server.evaluate(Buffer.from(first.message)).toString();
      assert.match(serverFirst, /^r=client-nonce\S+,s=MDEyMzQ1Njc4OWFiY2RlZg==,i=4096$/);
      const answer = parseServerFinal(
        server.evaluate(clientFinalFor(name, first.bare, serverFirst, "s3cret")).toString(),
      );
      assert.ok("verifier" in answer && answer.verifier.length === SCRAM_MECHANISMS[name].keyLength);
      assert.equal(server.username, "alice");
    });
  }

  it("when the proof is made from a wrong password, then AuthenticationFailed with Kafka's message, and nothing completes", () => {
    const server = new ScramServer(
      SCRAM_MECHANISMS["SCRAM-SHA-256"],
      () => credential("SCRAM-SHA-256", "right"),
      decoyKey,
    );
    const first = formatClientFirst("alice", "n1");
    const serverFirst = server.evaluate(Buffer.from(first.message)).toString();
    assert.throws(
      () => server.evaluate(clientFinalFor("SCRAM-SHA-256", first.bare, serverFirst, "wrong")),
      (error) =>
        error instanceof AuthenticationFailed && error.message === "Authentication failed: Invalid user credentials",
    );
    assert.equal(server.complete, false);
    assert.throws(
      () => server.evaluate(Buffer.from(first.message)),
      AuthenticationFailed,
      "a failed exchange stays failed",
    );
  });

  it("when the user does not exist, then the same salt on every try and the same failure at the proof, as for a wrong password", () => {
    const serverFirstFor = () =>
      new ScramServer(SCRAM_MECHANISMS["SCRAM-SHA-512"], () => undefined, decoyKey)
        .evaluate(Buffer.from(formatClientFirst("nobody", "n1").message))
        .toString();
    const salt = (text: string) => parseServerFirst(text).salt.toString("base64");
    assert.equal(salt(serverFirstFor()), salt(serverFirstFor()));
    const server = new ScramServer(SCRAM_MECHANISMS["SCRAM-SHA-512"], () => undefined, decoyKey);
    const first = formatClientFirst("nobody", "n1");
    const serverFirst = server.evaluate(Buffer.from(first.message)).toString();
    assert.throws(
      () => server.evaluate(clientFinalFor("SCRAM-SHA-512", first.bare, serverFirst, "anything")),
      /Invalid user credentials/,
    );
  });

  it("when the client repeats its own nonce before the combined one (librdkafka), then it is accepted as Kafka accepts it", () => {
    const server = new ScramServer(
      SCRAM_MECHANISMS["SCRAM-SHA-256"],
      () => credential("SCRAM-SHA-256", "pw"),
      decoyKey,
    );
    const first = formatClientFirst("alice", "cn");
    const serverFirstText = server.evaluate(Buffer.from(first.message)).toString();
    const serverFirst = parseServerFirst(serverFirstText);
    const mechanism = SCRAM_MECHANISMS["SCRAM-SHA-256"];
    const salted = saltPasswordSync(mechanism, "pw", serverFirst.salt, 4096);
    const withoutProof = clientFinalWithoutProof("n,,", `cn${serverFirst.nonce}`);
    const authMessage = authMessageOf(first.bare, serverFirstText, withoutProof);
    server.evaluate(Buffer.from(formatClientFinal(withoutProof, clientProof(mechanism, salted, authMessage))));
    assert.equal(server.complete, true);
  });

  it("when the final nonce is not the server's, or the channel binding differs, then AuthenticationFailed", () => {
    const cases: [string, (serverFirst: string, bare: string) => Buffer][] = [
      ["nonce", (_serverFirst, bare) => clientFinalFor("SCRAM-SHA-256", bare, "r=other,s=c2FsdA==,i=4096", "pw")],
      ["binding", (serverFirst, bare) => clientFinalFor("SCRAM-SHA-256", bare, serverFirst, "pw", "y,,")],
    ];
    for (const [what, finalOf] of cases) {
      const server = new ScramServer(
        SCRAM_MECHANISMS["SCRAM-SHA-256"],
        () => credential("SCRAM-SHA-256", "pw"),
        decoyKey,
      );
      const first = formatClientFirst("alice", "cn");
      const serverFirst = server.evaluate(Buffer.from(first.message)).toString();
      assert.throws(() => server.evaluate(finalOf(serverFirst, first.bare)), AuthenticationFailed, what);
    }
  });

  it("when the client asks for a delegation token, another authorization id, or sends garbage, then AuthenticationFailed", () => {
    for (const message of ["n,,n=alice,r=x,tokenauth=true", "n,a=bob,n=alice,r=x", "hello"]) {
      const server = new ScramServer(
        SCRAM_MECHANISMS["SCRAM-SHA-256"],
        () => credential("SCRAM-SHA-256", "pw"),
        decoyKey,
      );
      assert.throws(() => server.evaluate(Buffer.from(message)), AuthenticationFailed, message);
    }
  });
});
