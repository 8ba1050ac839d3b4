import assert from "node:assert/strict";
import * as fs from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { type FileHandle, nodeFileSystem } from "../../../broker/storage/file-system.ts";
import type { EntryCodec } from "../../../broker/storage/index-file.ts";
import { IndexEntryFile, PENDING_ENTRIES_LIMIT } from "../../../broker/storage/index-file.ts";
import { tempDir } from "./faulty-file-system.ts";

const uint32: EntryCodec<number> = {
  entrySize: 4,
  decode: (bytes) => bytes.readUInt32BE(0),
  encode: (value, into) => into.writeUInt32BE(value, 0),
};

test("when searching sorted entries for every boundary, then the last slot satisfying the predicate is found", (t) => {
  const file = new IndexEntryFile(nodeFileSystem.open(join(tempDir(t), "n.idx"), { create: true }), uint32);
  t.after(() => file.close());
  const count = 2049;
  for (let i = 0; i < count; i++) file.append(i * 2);
  for (let target = -1; target <= count * 2 + 1; target++) {
    const expected = target < 0 ? -1 : Math.min(count - 1, Math.floor(target / 2));
    assert.equal(
      file.lastSlotWhere((value) => value <= target),
      expected,
      `target ${target}`,
    );
  }
});

test("when the file is truncated, then the entry count, last entry and cached probes follow", (t) => {
  const file = new IndexEntryFile(nodeFileSystem.open(join(tempDir(t), "n.idx"), { create: true }), uint32);
  t.after(() => file.close());
  for (let i = 0; i < 100; i++) file.append(i);
  assert.equal(
    file.lastSlotWhere((value) => value <= 80),
    80,
  );
  file.truncateToEntries(10);
  assert.equal(file.entryCount, 10);
  assert.equal(file.lastEntry, 9);
  file.append(500);
  assert.equal(file.entryAt(10), 500);
  assert.equal(
    file.lastSlotWhere((value) => value <= 80),
    9,
  );
});

test("when the file ends in a torn entry, then truncating drops the partial bytes and never extends the file", (t) => {
  const path = join(tempDir(t), "n.idx");
  fs.writeFileSync(path, Buffer.from([0, 0, 0, 1, 0, 0, 0, 2, 9, 9]));
  const handle = nodeFileSystem.open(path, { create: false });
  const file = new IndexEntryFile(handle, uint32);
  t.after(() => file.close());
  assert.equal(file.entryCount, 2);
  assert.equal(file.isWholeEntries, false);
  file.truncateToEntries(100);
  assert.equal(handle.size(), 8);
  assert.equal(file.isWholeEntries, true);
  assert.equal(file.lastEntry, 2);
});

test("when fewer entries than the pending limit are appended, then lookups see them and sync writes them in one append", (t) => {
  const path = join(tempDir(t), "n.idx");
  const handle = nodeFileSystem.open(path, { create: true });
  let appends = 0;
  const counted: FileHandle = {
    path,
    size: () => handle.size(),
    read: (into, intoOffset, length, position) => handle.read(into, intoOffset, length, position),
    append: (data) => {
      appends++;
      handle.append(data);
    },
    writeAt: (data, position) => handle.writeAt(data, position),
    truncate: (size) => handle.truncate(size),
    sync: () => handle.sync(),
    lastModifiedMs: () => handle.lastModifiedMs(),
    close: () => handle.close(),
  };
  const file = new IndexEntryFile(counted, uint32);
  t.after(() => file.close());
  for (let i = 0; i < PENDING_ENTRIES_LIMIT - 1; i++) file.append(i * 10);
  assert.equal(handle.size(), 0);
  assert.equal(file.entryCount, PENDING_ENTRIES_LIMIT - 1);
  assert.equal(file.entryAt(5), 50);
  assert.equal(
    file.lastSlotWhere((value) => value <= 55),
    5,
  );
  file.sync();
  assert.equal(appends, 1);
  assert.deepEqual(fs.readFileSync(path).subarray(20, 24), Buffer.from([0, 0, 0, 50]));
  file.append(7000);
  assert.equal(file.entryAt(PENDING_ENTRIES_LIMIT - 1), 7000);
});

test("when the pending limit is reached, then the entries are written in one append", (t) => {
  const path = join(tempDir(t), "n.idx");
  const file = new IndexEntryFile(nodeFileSystem.open(path, { create: true }), uint32);
  t.after(() => file.close());
  for (let i = 0; i < PENDING_ENTRIES_LIMIT; i++) file.append(i);
  assert.equal(fs.statSync(path).size, PENDING_ENTRIES_LIMIT * 4);
  file.append(PENDING_ENTRIES_LIMIT);
  assert.equal(fs.statSync(path).size, PENDING_ENTRIES_LIMIT * 4);
  assert.equal(file.entryCount, PENDING_ENTRIES_LIMIT + 1);
});

test("when truncated among written and pending entries, then the file and the pending entries follow", (t) => {
  const path = join(tempDir(t), "n.idx");
  const file = new IndexEntryFile(nodeFileSystem.open(path, { create: true }), uint32);
  t.after(() => file.close());
  for (let i = 0; i < PENDING_ENTRIES_LIMIT + 10; i++) file.append(i);
  file.truncateToEntries(PENDING_ENTRIES_LIMIT + 4);
  assert.equal(file.entryCount, PENDING_ENTRIES_LIMIT + 4);
  assert.equal(file.lastEntry, PENDING_ENTRIES_LIMIT + 3);
  assert.equal(fs.statSync(path).size, PENDING_ENTRIES_LIMIT * 4);
  file.truncateToEntries(3);
  assert.equal(file.entryCount, 3);
  assert.equal(file.lastEntry, 2);
  assert.equal(fs.statSync(path).size, 12);
  file.append(99);
  file.sync();
  assert.deepEqual(fs.readFileSync(path), Buffer.from([0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 99]));
});
