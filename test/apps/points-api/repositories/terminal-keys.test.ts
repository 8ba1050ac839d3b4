// The key hashes as points-api holds them: read from the file, looked at again once per recheck
// interval or when asked, so a change on disk is seen without a restart.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { createTerminalKeysRepository } from "../../../../apps/points-api/repositories/terminal-keys.ts";
import { keyDigest, keyHashesPath, provisionTerminalKeys } from "../../../../apps/shared/terminal-keys.ts";

describe("terminal keys repository", () => {
  let dataDir: string;
  let clock: number;
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), "terminal-keys-repo-"));
    clock = 0;
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  const repository = () => createTerminalKeysRepository(keyHashesPath(dataDir), { recheckMs: 1000, now: () => clock });

  it("when the file holds a terminal's hash, then its digest is the key's SHA-256; a terminal not in it has none", async () => {
    const { t1 } = provisionTerminalKeys(dataDir, ["t1"]);
    const keys = repository();
    assert.deepEqual(await keys.digestOf("t1"), keyDigest(t1!));
    assert.equal(await keys.digestOf("t2"), undefined);
  });

  it("when there is no file, then no terminal has a key, until one is issued and the file looked at again", async () => {
    const keys = repository();
    assert.equal(await keys.digestOf("t1"), undefined);
    const { t1 } = provisionTerminalKeys(dataDir, ["t1"]);
    assert.equal(await keys.digestOf("t1"), undefined, "not looked at again within the recheck interval");
    await keys.refresh();
    assert.deepEqual(await keys.digestOf("t1"), keyDigest(t1!));
  });

  it("when the file changes, then the change is seen once the recheck interval has passed", async () => {
    const { t1: first } = provisionTerminalKeys(dataDir, ["t1"]);
    const keys = repository();
    assert.deepEqual(await keys.digestOf("t1"), keyDigest(first!));
    const { t1: second } = provisionTerminalKeys(dataDir, ["t1"], { rotate: true });
    clock += 999;
    assert.deepEqual(await keys.digestOf("t1"), keyDigest(first!));
    clock += 1;
    assert.deepEqual(await keys.digestOf("t1"), keyDigest(second!));
  });

  it("when the file is not the hashes' shape, then reading it fails", async () => {
    writeFileSync(keyHashesPath(dataDir), '{"t1": "plain text key"}');
    await assert.rejects(repository().digestOf("t1"), /t1 has no sha256/);
  });
});
