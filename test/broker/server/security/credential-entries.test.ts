import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  clientProof,
  credentialOf,
  SCRAM_MECHANISMS,
  saltPasswordSync,
  verifyClientProof,
} from "../../../../broker/protocol/sasl/scram.ts";
import { CredentialEntryError, parseCredentialEntries } from "../../../../broker/server/security/credential-entries.ts";

const sha256 = SCRAM_MECHANISMS["SCRAM-SHA-256"];
const salt = Buffer.from("0123456789abcdef");
const salted = saltPasswordSync(sha256, "alice-secret", salt, 4096);

/** Whether the entry's stored credential accepts a proof made from `password`. */
function accepts(entry: ReturnType<typeof parseCredentialEntries>[number], password: string): boolean {
  assert.ok("credential" in entry);
  const mechanism = SCRAM_MECHANISMS[entry.mechanism];
  const mine = saltPasswordSync(mechanism, password, entry.credential.salt, entry.credential.iterations);
  return verifyClientProof(mechanism, entry.credential, "auth", clientProof(mechanism, mine, "auth"));
}

describe("credential entries (kafka-storage --add-scram syntax)", () => {
  it("when a SCRAM entry gives a password, then it is stored salted (4096 iterations, a random salt), never as the password", () => {
    const [first, second] = parseCredentialEntries(
      "SCRAM-SHA-256=[name=alice,password=alice-secret]\nSCRAM-SHA-256=[name=alice,password=alice-secret]",
    );
    assert.ok(first && "credential" in first && second && "credential" in second);
    assert.equal(first.credential.iterations, 4096);
    assert.equal(first.credential.salt.length, 32);
    assert.notDeepEqual(first.credential.salt, second.credential.salt);
    assert.equal(JSON.stringify(first).includes("alice-secret"), false);
    assert.equal(accepts(first, "alice-secret"), true);
    assert.equal(accepts(first, "alice-secreT"), false);
  });

  it("when an entry gives the salted password, or the stored and server keys, then the same credential as Kafka derives", () => {
    const expected = credentialOf(sha256, salted, salt, 4096);
    const b64 = (b: Buffer) => b.toString("base64");
    const entries = parseCredentialEntries(`
      # salted, as kafka-storage --add-scram takes it
      SCRAM-SHA-256=[name=alice,salt="${b64(salt)}",saltedpassword="${b64(salted)}",iterations=4096]
      # stored, as Kafka persists it
      SCRAM-SHA-256=[name=alice,salt="${b64(salt)}",stored_key="${b64(expected.storedKey)}",server_key="${b64(expected.serverKey)}",iterations=4096];
    `);
    assert.equal(entries.length, 2);
    for (const entry of entries) {
      assert.ok("credential" in entry);
      assert.deepEqual(entry.credential, expected);
    }
  });

  it("when PLAIN and SCRAM-SHA-512 entries with quoted values and iterations come together, then each is read", () => {
    const entries = parseCredentialEntries(
      'PLAIN=[name=bob,password="b, o ]b"] SCRAM-SHA-512=[name=carol,iterations=8192,password=c]',
    );
    assert.deepEqual(entries[0], { mechanism: "PLAIN", username: "bob", password: "b, o ]b" });
    assert.equal(entries[1]?.mechanism, "SCRAM-SHA-512");
    assert.ok(entries[1] && "credential" in entries[1]);
    assert.equal(entries[1].credential.iterations, 8192);
    assert.equal(entries[1].credential.storedKey.length, 64);
  });

  it("when an entry is malformed, names no user, an unknown mechanism, too few iterations or keys of the wrong size, then CredentialEntryError", () => {
    for (const bad of [
      "SCRAM-SHA-256=name=alice,password=x",
      "SCRAM-SHA-256=[password=x]",
      "GSSAPI=[name=a,password=x]",
      "SCRAM-SHA-256=[name=a,iterations=1000,password=x]",
      "SCRAM-SHA-256=[name=a,salt=c2FsdA==,saltedpassword=c2FsdA==]",
      "SCRAM-SHA-256=[name=a,salt=c2FsdA==]",
      'SCRAM-SHA-256=[name=a,password="x]',
      "PLAIN=[name=a]",
    ])
      assert.throws(() => parseCredentialEntries(bad), CredentialEntryError, bad);
  });

  it("when the text is empty or only comments, then no entries", () => {
    assert.deepEqual(parseCredentialEntries(""), []);
    assert.deepEqual(parseCredentialEntries("# nobody yet\n  \n"), []);
  });
});
