import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  authMessageOf,
  clientFinalWithoutProof,
  clientProof,
  credentialOf,
  decodeSaslName,
  encodeSaslName,
  formatClientFinal,
  formatClientFirst,
  formatServerFinal,
  formatServerFirst,
  parseClientFinal,
  parseClientFirst,
  parseServerFinal,
  parseServerFirst,
  SCRAM_MECHANISMS,
  ScramFormatError,
  saltPassword,
  saltPasswordSync,
  serverSignature,
  verifyClientProof,
} from "../../../../broker/protocol/sasl/scram.ts";

// RFC 7677 §3: user "user", password "pencil".
const rfc = {
  clientFirst: "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
  serverFirst: "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
  clientFinal:
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
  serverFinal: "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
};
const sha256 = SCRAM_MECHANISMS["SCRAM-SHA-256"];
const sha512 = SCRAM_MECHANISMS["SCRAM-SHA-512"];

describe("SCRAM (RFC 5802, RFC 7677)", () => {
  it("when RFC 7677's exchange is computed, then the client's messages, proof and the server's signature are the RFC's", async () => {
    const first = formatClientFirst("user", "rOprNGfwEbeRWgbNEkqO");
    assert.equal(first.message, rfc.clientFirst);
    const serverFirst = parseServerFirst(rfc.serverFirst);
    assert.equal(serverFirst.iterations, 4096);
    const salted = await saltPassword(sha256, "pencil", serverFirst.salt, serverFirst.iterations);
    assert.deepEqual(salted, saltPasswordSync(sha256, "pencil", serverFirst.salt, serverFirst.iterations));
    const withoutProof = clientFinalWithoutProof("n,,", serverFirst.nonce);
    const authMessage = authMessageOf(first.bare, rfc.serverFirst, withoutProof);
    assert.equal(formatClientFinal(withoutProof, clientProof(sha256, salted, authMessage)), rfc.clientFinal);
    const credential = credentialOf(sha256, salted, serverFirst.salt, serverFirst.iterations);
    assert.equal(formatServerFinal(serverSignature(sha256, credential.serverKey, authMessage)), rfc.serverFinal);
  });

  it("when the server checks RFC 7677's proof against the stored credential, then it holds, and a changed proof does not", () => {
    const serverFirst = parseServerFirst(rfc.serverFirst);
    const credential = credentialOf(
      sha256,
      saltPasswordSync(sha256, "pencil", serverFirst.salt, 4096),
      serverFirst.salt,
      4096,
    );
    const clientFirst = parseClientFirst(rfc.clientFirst);
    const clientFinal = parseClientFinal(rfc.clientFinal);
    const authMessage = authMessageOf(clientFirst.bare, rfc.serverFirst, clientFinal.withoutProof);
    assert.equal(verifyClientProof(sha256, credential, authMessage, clientFinal.proof), true);
    const tampered = Buffer.from(clientFinal.proof);
    tampered[0]! ^= 1;
    assert.equal(verifyClientProof(sha256, credential, authMessage, tampered), false);
    assert.equal(verifyClientProof(sha256, credential, authMessage, clientFinal.proof.subarray(1)), false);
  });

  it("when SHA-512 is used, then keys are 64 bytes and a proof made from the password verifies", () => {
    const salt = Buffer.from("salt-of-sixteen!");
    const salted = saltPasswordSync(sha512, "secret", salt, 4096);
    const credential = credentialOf(sha512, salted, salt, 4096);
    assert.equal(credential.storedKey.length, 64);
    assert.equal(credential.serverKey.length, 64);
    const authMessage = "n=u,r=a,r=ab,s=c2FsdA==,i=4096,c=biws,r=ab";
    assert.equal(verifyClientProof(sha512, credential, authMessage, clientProof(sha512, salted, authMessage)), true);
    const other = saltPasswordSync(sha512, "secreT", salt, 4096);
    assert.equal(verifyClientProof(sha512, credential, authMessage, clientProof(sha512, other, authMessage)), false);
  });

  it("when a user name holds ',' or '=', then it travels as =2C and =3D and comes back whole", () => {
    assert.equal(encodeSaslName("a,b=c"), "a=2Cb=3Dc");
    assert.equal(decodeSaslName("a=2Cb=3Dc"), "a,b=c");
    assert.throws(() => decodeSaslName("a=41"), ScramFormatError);
    assert.equal(parseClientFirst(formatClientFirst("a,b=c", "n1").message).username, "a,b=c");
  });

  it("when a client-first message has an authorization id or extensions, then they are read apart from the bare message", () => {
    const parsed = parseClientFirst("n,a=alice,n=alice,r=xyz,tokenauth=true");
    assert.equal(parsed.gs2Header, "n,a=alice,");
    assert.equal(parsed.authorizationId, "alice");
    assert.equal(parsed.bare, "n=alice,r=xyz,tokenauth=true");
    assert.equal(parsed.extensions.get("tokenauth"), "true");
  });

  it("when messages are malformed, then ScramFormatError", () => {
    for (const bad of ["p=tls-unique,,n=u,r=x", "n,,r=x,n=u", "n,,n=u", "n,,n=u,r=a,b"])
      assert.throws(() => parseClientFirst(bad), ScramFormatError, bad);
    assert.throws(() => parseServerFirst("r=abc,s=c2FsdA=="), ScramFormatError);
    assert.throws(() => parseServerFirst("e=unknown-user"), /unknown-user/);
    assert.throws(() => parseClientFinal("c=biws,r=abc"), ScramFormatError);
    assert.throws(() => parseServerFinal("x=1"), ScramFormatError);
  });

  it("when the server answers, then its messages read back as written", () => {
    const salt = Buffer.from([1, 2, 3]);
    assert.deepEqual(parseServerFirst(formatServerFirst({ nonce: "abc", salt, iterations: 8192 })), {
      nonce: "abc",
      salt,
      iterations: 8192,
    });
    assert.deepEqual(parseServerFinal("e=invalid-proof"), { error: "invalid-proof" });
    assert.deepEqual(parseServerFinal(rfc.serverFinal), {
      verifier: Buffer.from("6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=", "base64"),
    });
  });
});
