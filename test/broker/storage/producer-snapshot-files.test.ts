// The producer snapshot files of one log directory (which snapshot loading picks, what it removes)
// and when a PartitionLog writes and removes them (roll, close, truncation, retention).

import assert from "node:assert/strict";
import * as fs from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { nodeFileSystem } from "../../../broker/storage/file-system.ts";
import { decodeProducerSnapshot, encodeProducerSnapshot } from "../../../broker/storage/producer-snapshot.ts";
import { ProducerSnapshotFiles } from "../../../broker/storage/producer-snapshot-files.ts";
import { tempDir } from "./faulty-file-system.ts";
import { appendRecords, commitAll, openLog } from "./log-fixture.ts";
import { snapshot } from "./producer-snapshot-fixture.ts";

const snapshotNames = (dir: string): string[] =>
  fs
    .readdirSync(dir)
    .filter((name) => name.endsWith(".snapshot"))
    .sort();

test("when snapshots are loaded, then the newest one within the log is returned, and those past its end are removed", (t) => {
  const dir = tempDir(t);
  const files = new ProducerSnapshotFiles(nodeFileSystem, dir);
  for (const offset of [100n, 200n, 300n]) files.write({ ...snapshot, offset }, { sync: false });
  assert.deepEqual(snapshotNames(dir), [
    "00000000000000000100.snapshot",
    "00000000000000000200.snapshot",
    "00000000000000000300.snapshot",
  ]);
  const reopened = new ProducerSnapshotFiles(nodeFileSystem, dir);
  assert.deepEqual(reopened.loadLatest(0n, 250n), { ...snapshot, offset: 200n });
  assert.deepEqual(reopened.offsets, [100n, 200n]);
  assert.deepEqual(snapshotNames(dir), ["00000000000000000100.snapshot", "00000000000000000200.snapshot"]);
  assert.equal(reopened.loadLatest(201n, 250n), null, "no snapshot at or above the log start");
});

test("when the newest snapshot is corrupt or names another offset, then it is removed and the next older one is used; with none left, null", (t) => {
  const dir = tempDir(t);
  const files = new ProducerSnapshotFiles(nodeFileSystem, dir);
  for (const offset of [100n, 200n]) files.write({ ...snapshot, offset }, { sync: true });
  const newest = files.pathOf(200n);
  const bytes = fs.readFileSync(newest);
  bytes[bytes.length - 1]! ^= 0xff;
  fs.writeFileSync(newest, bytes);
  assert.deepEqual(new ProducerSnapshotFiles(nodeFileSystem, dir).loadLatest(0n, 500n), { ...snapshot, offset: 100n });
  assert.deepEqual(snapshotNames(dir), ["00000000000000000100.snapshot"]);

  fs.writeFileSync(files.pathOf(150n), encodeProducerSnapshot({ ...snapshot, offset: 151n }));
  fs.writeFileSync(files.pathOf(100n), Buffer.alloc(0));
  assert.equal(new ProducerSnapshotFiles(nodeFileSystem, dir).loadLatest(0n, 500n), null);
  assert.deepEqual(snapshotNames(dir), []);
});

test("when a tracked log rolls and closes, then a snapshot of its owner's state is written at the new segment's base and at the log end", (t) => {
  const dir = tempDir(t);
  const log = openLog(t, dir, { segmentBytes: 300 });
  let asked = 0;
  log.trackProducerState(() => {
    asked += 1;
    return snapshot.producers;
  });
  for (let i = 0; i < 4; i++) appendRecords(log, 2, 50);
  const bases = log.segments.map((segment) => segment.baseOffset);
  assert.ok(bases.length > 1, "the appends rolled");
  assert.deepEqual(
    snapshotNames(dir),
    bases.slice(1).map((base) => `${base.toString().padStart(20, "0")}.snapshot`),
  );
  log.close();
  const reopened = openLog(t, dir, { segmentBytes: 300 });
  assert.deepEqual(reopened.loadProducerSnapshot(), { offset: 8n, producers: snapshot.producers });
  assert.equal(asked, bases.length, "once per roll, once at close");
});

test("when an untracked log rolls, then no snapshot is written", (t) => {
  const dir = tempDir(t);
  const log = openLog(t, dir, { segmentBytes: 300 });
  for (let i = 0; i < 4; i++) appendRecords(log, 2, 50);
  log.close();
  assert.deepEqual(snapshotNames(dir), []);
});

test("when a tracked log is truncated or loses segments to retention, then the snapshots past its end or below its start go", (t) => {
  const dir = tempDir(t);
  const log = openLog(t, dir, { segmentBytes: 300, retentionBytes: 300 });
  log.trackProducerState(() => snapshot.producers);
  // Each batch of two records fills a segment: the log rolls at offsets 2, 4, ..., 14.
  for (let i = 0; i < 8; i++) appendRecords(log, 2, 50);
  const snapshotOffsets = () => new ProducerSnapshotFiles(nodeFileSystem, dir).offsets;
  assert.deepEqual(snapshotOffsets(), [2n, 4n, 6n, 8n, 10n, 12n, 14n]);

  log.truncateTo(8n);
  assert.deepEqual(snapshotOffsets(), [2n, 4n, 6n, 8n]);
  assert.equal(log.loadProducerSnapshot()?.offset, 8n);

  commitAll(log);
  log.applyRetention();
  assert.ok(log.logStartOffset > 2n, `retention moved the log start to ${log.logStartOffset}`);
  assert.deepEqual(
    snapshotOffsets(),
    [2n, 4n, 6n, 8n].filter((offset) => offset >= log.logStartOffset),
  );

  log.truncateFullyAndStartAt(100n);
  assert.deepEqual(snapshotNames(dir), []);
});

test("when a snapshot file is written, then no temp file stays beside it", (t) => {
  const dir = tempDir(t);
  new ProducerSnapshotFiles(nodeFileSystem, dir).write(snapshot, { sync: true });
  assert.deepEqual(fs.readdirSync(dir), ["00000000000000000300.snapshot"]);
  assert.deepEqual(decodeProducerSnapshot(fs.readFileSync(join(dir, "00000000000000000300.snapshot"))), snapshot);
});
