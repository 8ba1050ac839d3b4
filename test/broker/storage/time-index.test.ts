import assert from "node:assert/strict";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { test } from "node:test";
import { nodeFileSystem } from "../../../broker/storage/file-system.ts";
import { TimeIndex } from "../../../broker/storage/time-index.ts";
import { tempDir } from "./faulty-file-system.ts";

const BASE = 500n;

function openIndex(t: TestContext, path: string): TimeIndex {
  const index = new TimeIndex(nodeFileSystem.open(path, { create: true }), BASE);
  t.after(() => index.close());
  return index;
}

test("when timestamps do not increase, then no entry is appended", (t) => {
  const index = openIndex(t, join(tempDir(t), "x.timeindex"));
  assert.equal(index.maybeAppend(100n, BASE), true);
  assert.equal(index.maybeAppend(100n, BASE + 1n), false);
  assert.equal(index.maybeAppend(90n, BASE + 2n), false);
  assert.equal(index.maybeAppend(101n, BASE + 3n), true);
  assert.equal(index.entryCount, 2);
  assert.deepEqual(index.lastEntry, { timestamp: 101n, offset: BASE + 3n });
});

test("when looking up a timestamp among many entries, then the last entry strictly below it is returned", (t) => {
  const index = openIndex(t, join(tempDir(t), "x.timeindex"));
  // Timestamps 1000, 1010, ..., offsets BASE, BASE+2, ...
  const count = 2500;
  for (let i = 0; i < count; i++) index.maybeAppend(1000n + 10n * BigInt(i), BASE + 2n * BigInt(i));
  assert.equal(index.lastEntryBefore(1000n), null);
  assert.equal(index.lastEntryBefore(0n), null);
  for (const i of [0, 1, 2, 1474, 1475, 1476, 2498, 2499]) {
    const timestamp = 1000n + 10n * BigInt(i);
    assert.deepEqual(
      index.lastEntryBefore(timestamp + 1n),
      { timestamp, offset: BASE + 2n * BigInt(i) },
      `just above entry ${i}`,
    );
    if (i > 0) {
      const previous = { timestamp: timestamp - 10n, offset: BASE + 2n * BigInt(i - 1) };
      assert.deepEqual(index.lastEntryBefore(timestamp), previous, `exactly entry ${i}`);
    }
  }
  assert.deepEqual(index.lastEntryBefore(1n << 62n), index.lastEntry);
});

test("when truncated to an offset, then entries at or above it are gone", (t) => {
  const path = join(tempDir(t), "x.timeindex");
  const index = openIndex(t, path);
  for (let i = 0; i < 5; i++) index.maybeAppend(100n * BigInt(i + 1), BASE + 10n * BigInt(i));
  index.truncateTo(BASE + 20n);
  assert.equal(index.entryCount, 2);
  assert.deepEqual(index.lastEntry, { timestamp: 200n, offset: BASE + 10n });
  index.sync();
  const reopened = openIndex(t, path);
  assert.equal(reopened.entryCount, 2);
  assert.equal(reopened.isConsistentWith(BASE + 11n), true);
  assert.equal(reopened.isConsistentWith(BASE + 10n), false);
  reopened.truncateTo(BASE - 5n);
  assert.equal(reopened.entryCount, 0);
});
