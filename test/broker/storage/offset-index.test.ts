import assert from "node:assert/strict";
import * as fs from "node:fs";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { test } from "node:test";
import { nodeFileSystem } from "../../../broker/storage/file-system.ts";
import { OffsetIndex } from "../../../broker/storage/offset-index.ts";
import { tempDir } from "./faulty-file-system.ts";

const BASE = 1_000n;

function openIndex(t: TestContext, path: string): OffsetIndex {
  const index = new OffsetIndex(nodeFileSystem.open(path, { create: true }), BASE);
  t.after(() => index.close());
  return index;
}

/** Entries at offsets BASE+1, BASE+4, BASE+7, ... and positions 50, 150, 250, ... */
function fill(index: OffsetIndex, count: number): Array<{ offset: bigint; position: number }> {
  const entries = [];
  for (let i = 0; i < count; i++) {
    const entry = { offset: BASE + 1n + 3n * BigInt(i), position: 50 + 100 * i };
    index.append(entry.offset, entry.position);
    entries.push(entry);
  }
  return entries;
}

function expectedLookup(entries: Array<{ offset: bigint; position: number }>, target: bigint) {
  let best = { offset: BASE, position: 0 };
  for (const entry of entries) if (entry.offset <= target) best = entry;
  return best;
}

test("when an index has thousands of entries, then every lookup finds the largest entry at or below the target", (t) => {
  const index = openIndex(t, join(tempDir(t), "00000000000000001000.index"));
  // More entries than the warm tail, so both halves of the search and their boundary are exercised.
  const entries = fill(index, 3000);
  const last = entries[entries.length - 1]!.offset;
  for (let target = BASE - 2n; target <= last + 3n; target++) {
    assert.deepEqual(index.lookup(target), expectedLookup(entries, target), `target ${target}`);
  }
  assert.deepEqual(index.lookup(BASE - 1_000_000n), { offset: BASE, position: 0 });
  assert.deepEqual(index.lookup(BASE + 10_000_000_000n), entries[entries.length - 1]);
});

test("when an index is empty or has one entry, then lookups fall back to the segment start correctly", (t) => {
  const index = openIndex(t, join(tempDir(t), "00000000000000001000.index"));
  assert.deepEqual(index.lookup(BASE + 5n), { offset: BASE, position: 0 });
  index.append(BASE + 5n, 500);
  assert.deepEqual(index.lookup(BASE + 4n), { offset: BASE, position: 0 });
  assert.deepEqual(index.lookup(BASE + 5n), { offset: BASE + 5n, position: 500 });
  assert.deepEqual(index.lookup(BASE + 6n), { offset: BASE + 5n, position: 500 });
});

test("when an index file is reopened, then its entries are found by reading the file", (t) => {
  const path = join(tempDir(t), "00000000000000001000.index");
  const first = new OffsetIndex(nodeFileSystem.open(path, { create: true }), BASE);
  const entries = fill(first, 200);
  first.sync();
  first.close();
  assert.equal(fs.statSync(path).size, 200 * 8);
  const reopened = openIndex(t, path);
  assert.equal(reopened.entryCount, 200);
  assert.deepEqual(reopened.lastEntry, entries[199]);
  assert.deepEqual(reopened.lookup(BASE + 302n), expectedLookup(entries, BASE + 302n));
});

test("when truncated to an offset, then entries at or above it are gone and appends continue after the rest", (t) => {
  const index = openIndex(t, join(tempDir(t), "00000000000000001000.index"));
  const entries = fill(index, 10); // offsets 1001, 1004, ..., 1028
  index.truncateTo(BASE + 10n); // keeps 1001, 1004, 1007
  assert.equal(index.entryCount, 3);
  assert.deepEqual(index.lastEntry, entries[2]);
  assert.deepEqual(index.lookup(BASE + 100n), entries[2]);
  index.truncateTo(BASE + 7n); // an entry exactly at the target goes too
  assert.equal(index.entryCount, 2);
  index.append(BASE + 8n, 999);
  assert.deepEqual(index.lookup(BASE + 9n), { offset: BASE + 8n, position: 999 });
  index.truncateTo(BASE);
  assert.equal(index.entryCount, 0);
});

test("when an entry is not after the last one, then append refuses it", (t) => {
  const index = openIndex(t, join(tempDir(t), "00000000000000001000.index"));
  index.append(BASE + 10n, 100);
  assert.throws(() => index.append(BASE + 10n, 200));
  assert.throws(() => index.append(BASE + 11n, 100));
  assert.throws(() => index.append(BASE - 1n, 300), RangeError);
});

test("when an index file has a torn entry or points past the log, then it is reported inconsistent", (t) => {
  const path = join(tempDir(t), "00000000000000001000.index");
  const index = openIndex(t, path);
  fill(index, 3); // last position 250
  assert.equal(index.isConsistentWith(1000), true);
  assert.equal(index.isConsistentWith(250), false);
  fs.appendFileSync(path, Buffer.from([1, 2, 3]));
  const reopened = openIndex(t, path);
  assert.equal(reopened.isConsistentWith(1000), false);
  reopened.reset();
  assert.equal(reopened.isConsistentWith(1000), true);
});
