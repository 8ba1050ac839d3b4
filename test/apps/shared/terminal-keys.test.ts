// The terminals' keys on disk: issued once per terminal, only their hashes where points-api reads,
// the demo terminals' keys beside them, both files readable by their owner only.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import {
  keyDigest,
  keyHashesPath,
  parseKeyHashes,
  provisionTerminalKeys,
  readTerminalKeys,
  terminalKeysPath,
  terminalOfKey,
} from "../../../apps/shared/terminal-keys.ts";

describe("terminal keys", () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), "terminal-keys-"));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  const hashes = () => parseKeyHashes(readFileSync(keyHashesPath(dataDir), "utf8"));

  it("when terminals get keys, then each key names its terminal, only its SHA-256 is in the hashes file, and both files are the owner's alone", () => {
    const keys = provisionTerminalKeys(dataDir, ["store-1-pos-1", "store-1-pos-2"]);

    assert.deepEqual(Object.keys(keys), ["store-1-pos-1", "store-1-pos-2"]);
    for (const [terminalId, key] of Object.entries(keys)) {
      assert.match(key, /^store-1-pos-\d\.[A-Za-z0-9_-]{43}$/);
      assert.equal(terminalOfKey(key), terminalId);
      assert.equal(hashes()[terminalId]!.sha256, keyDigest(key).toString("hex"));
    }
    assert.notEqual(keys["store-1-pos-1"], keys["store-1-pos-2"]);
    assert.doesNotMatch(readFileSync(keyHashesPath(dataDir), "utf8"), /store-1-pos-1\.[A-Za-z0-9_-]{43}/);
    assert.deepEqual(readTerminalKeys(dataDir), keys);
    for (const file of [keyHashesPath(dataDir), terminalKeysPath(dataDir)])
      assert.equal(statSync(file).mode & 0o777, 0o600, file);
  });

  it("when keys are provisioned again, then terminals with a key keep it and only new ones get one; rotate replaces", () => {
    const first = provisionTerminalKeys(dataDir, ["t1"]);
    const second = provisionTerminalKeys(dataDir, ["t1", "t2"]);
    assert.equal(second.t1, first.t1);
    assert.ok(second.t2);

    const rotated = provisionTerminalKeys(dataDir, ["t1"], { rotate: true });
    assert.notEqual(rotated.t1, first.t1);
    assert.equal(hashes().t1!.sha256, keyDigest(rotated.t1!).toString("hex"));
    assert.equal(readTerminalKeys(dataDir).t2, second.t2);
  });

  it("when a terminal's hash is there but its key is not ours, then its key is not replaced nor returned", () => {
    provisionTerminalKeys(dataDir, ["t1", "t2"]);
    const { t1: _handedOut, ...rest } = readTerminalKeys(dataDir);
    writeFileSync(terminalKeysPath(dataDir), JSON.stringify(rest));
    const before = hashes().t1;

    assert.deepEqual(Object.keys(provisionTerminalKeys(dataDir, ["t1", "t2"])), ["t2"]);
    assert.deepEqual(hashes().t1, before);
  });

  it("when there are no files, then there are no keys; a malformed hashes file is refused", () => {
    assert.deepEqual(readTerminalKeys(dataDir), {});
    assert.equal(terminalOfKey("no-dot"), undefined);
    assert.equal(terminalOfKey(".secret"), undefined);
    assert.equal(terminalOfKey("t1."), undefined);
    assert.throws(() => parseKeyHashes("[]"), /not a JSON object/);
    assert.throws(() => parseKeyHashes('{"t1":{"sha256":"abc"}}'), /t1 has no sha256/);
  });
});
