// POS terminals prove who they are with a key of their own, as real POS terminals do. A key is
// `<terminalId>.<secret>`: the id says whose key it claims to be, the secret is 32 random bytes
// (base64url). Two files in DATA_DIR, each written whole (a temporary file renamed over it), mode 0600:
//   terminal-key-hashes.json  { "<terminalId>": { "sha256": "<hex>", "issuedAt": "<ISO>" } }
//     what points-api checks keys against: a SHA-256 of each key, never the key itself;
//   terminal-keys.json        { "<terminalId>": "<key>" }
//     the demo's terminals' own keys (a real terminal keeps its key in its own secure storage):
//     what the demo page's link, the load generator, the labs and the tests send.
// SHA-256 and not a password hash: a key is 256 random bits, so there is no dictionary to try, and
// a command's check stays a few microseconds.
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";

export const KEY_HASHES_FILE = "terminal-key-hashes.json";
export const TERMINAL_KEYS_FILE = "terminal-keys.json";

export interface KeyHashEntry {
  sha256: string;
  issuedAt: string;
}
export type KeyHashes = Record<string, KeyHashEntry>;

export function keyHashesPath(dataDir: string): string {
  return path.join(dataDir, KEY_HASHES_FILE);
}

export function terminalKeysPath(dataDir: string): string {
  return path.join(dataDir, TERMINAL_KEYS_FILE);
}

export function newTerminalKey(terminalId: string): string {
  return `${terminalId}.${randomBytes(32).toString("base64url")}`;
}

/** The terminal a key claims to be from (everything before its last "."), or undefined for no key shape. */
export function terminalOfKey(key: string): string | undefined {
  const dot = key.lastIndexOf(".");
  return dot > 0 && dot < key.length - 1 ? key.slice(0, dot) : undefined;
}

export function keyDigest(key: string): Buffer {
  return createHash("sha256").update(key).digest();
}

/** The Authorization header value that carries a terminal's key. */
export function bearer(key: string): string {
  return `Bearer ${key}`;
}

/** Parses terminal-key-hashes.json's text; anything else than its shape throws. */
export function parseKeyHashes(text: string): KeyHashes {
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new Error("terminal key hashes: not a JSON object");
  for (const [terminalId, entry] of Object.entries(parsed)) {
    const sha256 = (entry as Partial<KeyHashEntry> | null)?.sha256;
    if (typeof sha256 !== "string" || !/^[0-9a-f]{64}$/.test(sha256))
      throw new Error(`terminal key hashes: ${terminalId} has no sha256`);
  }
  return parsed as KeyHashes;
}

function readJson<T>(file: string, parse: (text: string) => T, empty: T): T {
  return existsSync(file) ? parse(readFileSync(file, "utf8")) : empty;
}

function parseTerminalKeys(text: string): Record<string, string> {
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new Error("terminal keys: not a JSON object");
  return parsed as Record<string, string>;
}

/** The demo terminals' keys in `dataDir` (terminal-keys.json), by terminal id; {} when there are none. */
export function readTerminalKeys(dataDir: string): Record<string, string> {
  return readJson(terminalKeysPath(dataDir), parseTerminalKeys, {});
}

function writeWhole(file: string, value: unknown): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, file);
}

/**
 * Gives every terminal in `terminalIds` that has no key one, and returns the keys known for them
 * (terminal-keys.json). A terminal whose key hash is there but whose key is not keeps its key: it
 * was handed to the terminal and is not ours to replace. `rotate` replaces the keys of those terminals.
 */
export function provisionTerminalKeys(
  dataDir: string,
  terminalIds: readonly string[],
  { rotate = false }: { rotate?: boolean } = {},
): Record<string, string> {
  const hashes = readJson(keyHashesPath(dataDir), parseKeyHashes, {});
  const keys = readTerminalKeys(dataDir);
  const issuedAt = new Date().toISOString();
  let issued = 0;
  for (const terminalId of terminalIds) {
    if (hashes[terminalId] !== undefined && !rotate) continue;
    const key = newTerminalKey(terminalId);
    hashes[terminalId] = { sha256: keyDigest(key).toString("hex"), issuedAt };
    keys[terminalId] = key;
    issued++;
  }
  if (issued > 0) {
    // The keys first: a hash without its key would lock the demo's own terminal out.
    writeWhole(terminalKeysPath(dataDir), keys);
    writeWhole(keyHashesPath(dataDir), hashes);
  }
  return Object.fromEntries(terminalIds.flatMap((id) => (keys[id] === undefined ? [] : [[id, keys[id]]])));
}
