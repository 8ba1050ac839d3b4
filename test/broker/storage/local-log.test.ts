// The files of a partition log's directory, without the offsets kept over them: rolling, in what
// order truncation and deletion touch the disk, the producer snapshots and aborted transactions
// that follow the segments, the offline guard and closing.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import { join } from "node:path";
import { type TestContext, test } from "node:test";
import type { LocalLog } from "../../../broker/storage/local-log.ts";
import { resolveLogConfig } from "../../../broker/storage/log-config.ts";
import { segmentFileName } from "../../../broker/storage/log-files.ts";
import { LogOfflineError } from "../../../broker/storage/log-offline.ts";
import { batchOfSize } from "./batch-builder.ts";
import type { FaultyFileSystem } from "./faulty-file-system.ts";
import { appendTo, openLocal } from "./local-log-fixture.ts";

const bases = (local: LocalLog) => local.segments.map((segment) => segment.baseOffset);
const filesEnding = (dir: string, suffix: string) =>
  fs
    .readdirSync(dir)
    .filter((name) => name.endsWith(suffix))
    .sort();
const opsSince = (disk: FaultyFileSystem, from: number) => disk.operations.slice(from);

/**
 * A LocalLog whose segments hold a batch of each of `recordCounts` records (none for 0), the last
 * one active, its producer state tracked (no producers), so each roll snapshots it.
 */
function withSegments(t: TestContext, recordCounts: number[]) {
  const opened = openLocal(t);
  opened.local.trackProducerState(() => []);
  recordCounts.forEach((count, i) => {
    if (i > 0) opened.local.roll();
    if (count > 0) appendTo(opened.local, count);
  });
  return opened;
}

test("when an append would pass segmentBytes, then the active segment is sealed and synced before a new one starts at the log end", (t) => {
  const { local, disk, dir } = openLocal(t, { segmentBytes: 2 * batchOfSize(2, 40).length });
  appendTo(local, 2);
  appendTo(local, 2);
  const before = disk.operations.length;
  appendTo(local, 2);
  assert.deepEqual(bases(local), [0n, 4n]);
  const ops = opsSince(disk, before);
  const sealedLogSync = ops.indexOf(`sync ${join(dir, segmentFileName(0n, ".log"))}`);
  const newSegment = ops.findIndex((op) => op.startsWith(`open ${join(dir, segmentFileName(4n, ""))}`));
  assert.ok(sealedLogSync >= 0 && newSegment > sealedLogSync, ops.join("\n"));
  assert.ok(ops.indexOf(`syncDir ${dir}`) > newSegment, "the new segment's files are made durable in the directory");
});

test("when the producer state is tracked, then each roll and the close snapshot it at the log end", (t) => {
  const { local, dir } = withSegments(t, [3, 2]);
  local.flushForClose();
  assert.deepEqual(filesEnding(dir, ".snapshot"), [segmentFileName(3n, ".snapshot"), segmentFileName(5n, ".snapshot")]);
  assert.equal(local.loadProducerSnapshot(0n)?.offset, 5n);
});

test("when truncating into an earlier segment, then later segments and snapshots are deleted and the directory synced before the cut", (t) => {
  const { local, disk, dir } = withSegments(t, [3, 3, 0]);
  const before = disk.operations.length;
  local.truncateTo(2n);
  assert.deepEqual(bases(local), [0n]);
  assert.equal(local.active.nextOffset, 2n);
  assert.deepEqual(filesEnding(dir, ".snapshot"), []);
  const ops = opsSince(disk, before);
  const dirSync = ops.indexOf(`syncDir ${dir}`);
  const cut = ops.indexOf(`truncate ${join(dir, segmentFileName(0n, ".log"))}`);
  const lastRemoval = ops.findLastIndex((op) => op.startsWith("remove "));
  assert.ok(lastRemoval >= 0 && lastRemoval < dirSync && dirSync < cut, ops.join("\n"));
});

test("when the front segments are deleted, then their files and the snapshots below the new start go, the active segment stays", (t) => {
  const { local, dir } = withSegments(t, [2, 2, 2, 0]);
  assert.deepEqual(bases(local), [0n, 2n, 4n, 6n]);
  local.deleteFront(2, 4n);
  assert.deepEqual(bases(local), [4n, 6n]);
  assert.deepEqual(filesEnding(dir, ".log"), [segmentFileName(4n, ".log"), segmentFileName(6n, ".log")]);
  assert.deepEqual(filesEnding(dir, ".snapshot"), [segmentFileName(4n, ".snapshot"), segmentFileName(6n, ".snapshot")]);
});

test("when the log restarts at an offset, then every segment and snapshot is deleted and one empty segment starts there", (t) => {
  const { local, dir } = withSegments(t, [3, 1]);
  local.truncateFullyAndStartAt(50n);
  assert.deepEqual(bases(local), [50n]);
  assert.ok(local.active.isEmpty);
  assert.deepEqual(filesEnding(dir, ".log"), [segmentFileName(50n, ".log")]);
  assert.deepEqual(filesEnding(dir, ".snapshot"), []);
});

test("when an abort is indexed, then it goes with its marker's segment: found by a fetch, deleted with the segment", (t) => {
  const { local, dir } = withSegments(t, [2, 2]);
  const txn = { producerId: 7n, firstOffset: 2n, lastOffset: 3n, lastStableOffset: 4n };
  local.appendAbortedTransaction(txn);
  assert.deepEqual(filesEnding(dir, ".txnindex"), [segmentFileName(2n, ".txnindex")]);
  assert.deepEqual(local.abortedTransactions(0n, 4n), [txn]);
  local.truncateTo(1n);
  assert.deepEqual(local.abortedTransactions(0n, 4n), []);
  assert.deepEqual(filesEnding(dir, ".txnindex"), []);
});

test("when flushing by message count, then the active segment's log is fsynced once the count is reached, and a flush after it syncs nothing", (t) => {
  const { local, disk, dir } = openLocal(t, { flushIntervalMessages: 3 });
  const activeLog = join(dir, segmentFileName(0n, ".log"));
  appendTo(local, 2);
  assert.equal(disk.syncs.filter((path) => path === activeLog).length, 0);
  appendTo(local, 1);
  assert.equal(disk.syncs.filter((path) => path === activeLog).length, 1);
  local.flush(0);
  assert.equal(disk.syncs.filter((path) => path === activeLog).length, 1);
  assert.equal(local.isFlushDue(Number.MAX_SAFE_INTEGER), false);
});

test("when a file operation fails inside whileOnline, then the log is offline for good and every write is refused with that cause", (t) => {
  const { local, disk, offline } = openLocal(t);
  appendTo(local, 1);
  disk.fail("sync");
  assert.throws(() => local.whileOnline(() => local.roll()), /EIO/);
  assert.equal(local.isOffline, true);
  assert.equal(offline.length, 1);
  assert.equal(local.offlineCause, offline[0]);
  assert.throws(
    () => local.assertWritable(),
    (error: unknown) => error instanceof LogOfflineError && error.cause === offline[0],
  );
  assert.throws(() =>
    local.whileOnline(() => {
      throw new Error("a later failure");
    }),
  );
  assert.equal(offline.length, 1, "the first failure only is reported");
  assert.equal(local.offlineCause, offline[0]);
});

test("when the log is closed, then every file is closed and writes are refused", (t) => {
  const { local, disk } = openLocal(t);
  appendTo(local, 2);
  local.roll();
  local.appendAbortedTransaction({ producerId: 1n, firstOffset: 2n, lastOffset: 2n, lastStableOffset: 3n });
  local.close();
  assert.equal(local.isClosed, true);
  assert.equal(disk.openFiles, 0);
  assert.throws(() => local.assertWritable(), /is closed/);
});

test("when a cleaned segment replaces a sealed one, then it takes its place and the files are renamed over the original's", (t) => {
  const { local, dir } = openLocal(t);
  appendTo(local, 2);
  local.roll();
  appendTo(local, 1);
  const [original] = local.sealedSegments();
  const cleaned = local.createCleanedSegment(0n);
  assert.ok(fs.existsSync(join(dir, `${segmentFileName(0n, ".log")}.cleaned`)));
  cleaned.flush();
  local.replaceSegment(original!, cleaned);
  assert.equal(local.segments[0], cleaned);
  assert.deepEqual(filesEnding(dir, ".cleaned"), []);
  assert.equal(local.size, cleaned.size + local.active.size);
});

test("when reconfigured, then later appends roll by the new segmentBytes", (t) => {
  const { local } = openLocal(t);
  appendTo(local, 2);
  appendTo(local, 2);
  assert.equal(local.segments.length, 1);
  local.reconfigure(resolveLogConfig({ ...local.config, segmentBytes: 100 }));
  assert.equal(local.config.segmentBytes, 100);
  appendTo(local, 2);
  assert.equal(local.segments.length, 2);
});
