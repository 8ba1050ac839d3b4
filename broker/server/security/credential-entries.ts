// Users' credentials written as `kafka-storage format --add-scram` takes them, one entry each:
//
//   SCRAM-SHA-256=[name=alice,password=alice-secret]                 salted here, 4096 iterations
//   SCRAM-SHA-512=[name=alice,iterations=8192,password=alice-secret]
//   SCRAM-SHA-256=[name=alice,salt="<base64>",saltedpassword="<base64>",iterations=4096]
//   SCRAM-SHA-256=[name=alice,salt="<base64>",stored_key="<base64>",server_key="<base64>",iterations=4096]
//   PLAIN=[name=bob,password=bob-secret]
//
// The last SCRAM form is how Kafka persists a credential (RFC 5802's StoredKey and ServerKey): a
// file of those holds nothing a client could log in with. Entries are separated by whitespace,
// newlines or ";"; a line starting with # is a comment.
import { randomBytes } from "node:crypto";
import {
  credentialOf,
  DEFAULT_SCRAM_ITERATIONS,
  isScramMechanism,
  MAX_SCRAM_ITERATIONS,
  MIN_SCRAM_ITERATIONS,
  SCRAM_MECHANISMS,
  type ScramCredential,
  type ScramMechanismName,
  saltPasswordSync,
} from "../../protocol/sasl/scram.ts";
import { SCRAM_SALT_BYTES } from "./scram-server.ts";

export type CredentialEntry =
  | { mechanism: "PLAIN"; username: string; password: string }
  | { mechanism: ScramMechanismName; username: string; credential: ScramCredential };

export class CredentialEntryError extends Error {}

export function parseCredentialEntries(text: string): CredentialEntry[] {
  return splitEntries(text).map(({ mechanism, fields }) => toEntry(mechanism, fields));
}

function toEntry(mechanism: string, fields: Map<string, string>): CredentialEntry {
  const username = fields.get("name");
  if (username === undefined || username === "") throw new CredentialEntryError(`${mechanism} entry needs name=`);
  const where = `${mechanism} entry for ${username}`;
  if (mechanism === "PLAIN") {
    const password = fields.get("password");
    if (password === undefined) throw new CredentialEntryError(`${where} needs password=`);
    return { mechanism, username, password };
  }
  if (!isScramMechanism(mechanism))
    throw new CredentialEntryError(`unknown mechanism ${mechanism} (PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512)`);
  const scram = SCRAM_MECHANISMS[mechanism];
  const iterations = Number(fields.get("iterations") ?? DEFAULT_SCRAM_ITERATIONS);
  if (!Number.isInteger(iterations) || iterations < MIN_SCRAM_ITERATIONS || iterations > MAX_SCRAM_ITERATIONS)
    throw new CredentialEntryError(
      `${where}: iterations must be from ${MIN_SCRAM_ITERATIONS} to ${MAX_SCRAM_ITERATIONS}, got ${fields.get("iterations")}`,
    );
  const password = fields.get("password");
  if (password !== undefined) {
    const salt = randomBytes(SCRAM_SALT_BYTES);
    const credential = credentialOf(scram, saltPasswordSync(scram, password, salt, iterations), salt, iterations);
    return { mechanism, username, credential };
  }
  const salt = base64Field(fields, "salt", where);
  const saltedPassword = fields.get("saltedpassword");
  if (saltedPassword !== undefined) {
    const salted = base64Field(fields, "saltedpassword", where, scram.keyLength);
    return { mechanism, username, credential: credentialOf(scram, salted, salt, iterations) };
  }
  const storedKey = base64Field(fields, "stored_key", where, scram.keyLength);
  const serverKey = base64Field(fields, "server_key", where, scram.keyLength);
  return { mechanism, username, credential: { salt, iterations, storedKey, serverKey } };
}

function base64Field(fields: Map<string, string>, key: string, where: string, length?: number): Buffer {
  const text = fields.get(key);
  if (text === undefined)
    throw new CredentialEntryError(
      `${where} needs password=, or salt= with saltedpassword= or with stored_key= and server_key=`,
    );
  const bytes = Buffer.from(text, "base64");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || bytes.length === 0 || (length !== undefined && bytes.length !== length))
    throw new CredentialEntryError(
      `${where}: ${key} must be base64${length === undefined ? "" : ` of ${length} bytes`}`,
    );
  return bytes;
}

/** `MECH=[k=v,k="v",...]` entries, comments and separators skipped. */
function splitEntries(text: string): { mechanism: string; fields: Map<string, string> }[] {
  const entries: { mechanism: string; fields: Map<string, string> }[] = [];
  let at = 0;
  const malformed = (what: string): CredentialEntryError =>
    new CredentialEntryError(`credentials: ${what} at "${text.slice(at, at + 30)}"`);
  while (at < text.length) {
    const char = text[at]!;
    if (/[\s;]/.test(char)) {
      at++;
      continue;
    }
    if (char === "#") {
      while (at < text.length && text[at] !== "\n") at++;
      continue;
    }
    const head = /^([A-Za-z0-9-]+)=\[/.exec(text.slice(at));
    if (head === null) throw malformed("expected MECHANISM=[...]");
    at += head[0].length;
    const fields = new Map<string, string>();
    for (;;) {
      const key = /^\s*([a-z_]+)=/.exec(text.slice(at));
      if (key === null) throw malformed("expected key=value");
      at += key[0].length;
      let value = "";
      if (text[at] === '"') {
        at++;
        while (at < text.length && text[at] !== '"') {
          if (text[at] === "\\" && at + 1 < text.length) at++;
          value += text[at++];
        }
        if (at >= text.length) throw malformed("unclosed quote");
        at++;
      } else {
        while (at < text.length && text[at] !== "," && text[at] !== "]") value += text[at++];
        value = value.trim();
      }
      fields.set(key[1]!, value);
      if (text[at] === ",") {
        at++;
        continue;
      }
      if (text[at] === "]") {
        at++;
        break;
      }
      throw malformed("expected , or ]");
    }
    entries.push({ mechanism: head[1]!.toUpperCase(), fields });
  }
  return entries;
}
