// DeleteRecords in the storage: moving a partition log's start offset forward, the checkpoint
// that keeps it across a reopen, and the segments wholly below it deleted; through the
// PartitionLog that owns the LogStartOffset, and on its own for what follows the start.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import { join } from "node:path";
import { type TestContext, test } from "node:test";
import { LogStartOffset } from "../../../broker/storage/log-start-offset.ts";
import {
  LOG_START_OFFSET_CHECKPOINT_FILE,
  LogStartOffsetCheckpoint,
} from "../../../broker/storage/log-start-offset-checkpoint.ts";
import { tempDir } from "./faulty-file-system.ts";
import { appendTo, openLocal } from "./local-log-fixture.ts";
import { appendRecords, commitAll, logFiles, openLog, readAll } from "./log-fixture.ts";

/** A log of several segments: 10 batches of 2 records (offsets 0–19), rolling about every 2 batches. */
function segmentedLog(t: TestContext, dir: string) {
  const log = openLog(t, dir, { segmentBytes: 300 });
  for (let i = 0; i < 10; i++) appendRecords(log, 2, 40);
  commitAll(log);
  return log;
}

test("when the log start offset is advanced, then reads below it are out of range and reads from it succeed", (t) => {
  const log = segmentedLog(t, tempDir(t));
  assert.equal(log.advanceLogStartOffset(7n), 7n);
  assert.equal(log.logStartOffset, 7n);
  const below = log.read(6n, 1000);
  assert.equal(below.kind, "offset-out-of-range");
  assert.equal(below.kind === "offset-out-of-range" ? below.logStartOffset : null, 7n);
  assert.equal(log.read(7n, 1000).kind, "records");
  assert.equal(log.highWatermark, 20n);
});

test("when the log start offset is advanced past whole segments, then those segments are deleted and the active one kept", (t) => {
  const dir = tempDir(t);
  const log = segmentedLog(t, dir);
  const before = log.segments.map((segment) => segment.baseOffset);
  assert.ok(before.length >= 4, `expected several segments, got ${before}`);
  const cut = before[2]! + 1n;
  log.advanceLogStartOffset(cut);
  assert.deepEqual(
    log.segments.map((segment) => segment.baseOffset),
    before.slice(2),
  );
  assert.equal(logFiles(dir).length, before.length - 2);
  // Up to the high watermark, which here is the log end: only the active segment may stay.
  log.advanceLogStartOffset(log.highWatermark);
  assert.equal(log.segments.length, 1);
  assert.equal(log.logStartOffset, 20n);
  assert.equal(readAll(log).length, 0);
});

test("when the log is reopened, then the advanced log start offset is restored from its checkpoint", (t) => {
  const dir = tempDir(t);
  const log = segmentedLog(t, dir);
  log.advanceLogStartOffset(5n);
  log.close();
  assert.equal(fs.readFileSync(join(dir, LOG_START_OFFSET_CHECKPOINT_FILE), "utf8"), "0\n1\n5\n");
  const reopened = openLog(t, dir, { segmentBytes: 300 });
  assert.equal(reopened.logStartOffset, 5n);
  assert.equal(reopened.read(4n, 1000).kind, "offset-out-of-range");
  assert.equal(reopened.logEndOffset, 20n);
});

test("when retention has deleted past a checkpointed start, then the first segment decides on reopening", (t) => {
  const dir = tempDir(t);
  const log = segmentedLog(t, dir);
  log.advanceLogStartOffset(1n);
  const result = log.applyRetention(Number.MAX_SAFE_INTEGER);
  assert.ok(result.deletedSegments > 0);
  const first = log.segments[0]!.baseOffset;
  assert.equal(log.logStartOffset, first);
  log.close();
  assert.equal(openLog(t, dir, { segmentBytes: 300 }).logStartOffset, first);
});

test("when the offset is below the current start, then nothing changes; beyond the high watermark, then it is refused", (t) => {
  const log = segmentedLog(t, tempDir(t));
  log.advanceLogStartOffset(6n);
  assert.equal(log.advanceLogStartOffset(3n), 6n);
  assert.equal(log.logStartOffset, 6n);
  log.updateHighWatermark(10n);
  assert.throws(() => log.advanceLogStartOffset(11n), RangeError);
  assert.equal(log.logStartOffset, 6n);
});

test("when a follower restarts its log below a checkpointed start, then reopening keeps the new start", (t) => {
  const dir = tempDir(t);
  const log = segmentedLog(t, dir);
  log.advanceLogStartOffset(12n);
  log.truncateFullyAndStartAt(3n);
  log.close();
  assert.equal(openLog(t, dir, { segmentBytes: 300 }).logStartOffset, 3n);
});

/** A LogStartOffset over segments at 0, 2 and 4 and the active one at 6, each epoch 0, 1, 2 starting a segment. */
function startOverSegments(t: TestContext) {
  const { local, epochs, disk, dir } = openLocal(t);
  for (let epoch = 0; epoch < 3; epoch++) {
    epochs.assign(epoch, local.active.nextOffset);
    appendTo(local, 2);
    local.roll();
  }
  const raised: bigint[] = [];
  const checkpoint = LogStartOffsetCheckpoint.open(disk, dir);
  const start = new LogStartOffset(checkpoint, local, epochs, (offset) => raised.push(offset));
  return { start, local, epochs, dir, raised };
}

test("when front segments are deleted, then the start follows the first one kept, the high watermark is raised to it and older epochs go", (t) => {
  const { start, local, epochs, raised } = startOverSegments(t);
  assert.equal(start.offset, 0n);
  start.deleteFront(2);
  assert.equal(start.offset, 4n);
  assert.deepEqual(raised, [4n]);
  assert.deepEqual(
    local.segments.map((segment) => segment.baseOffset),
    [4n, 6n],
  );
  assert.deepEqual(epochs.epochEntries, [{ epoch: 2, startOffset: 4n }]);
  start.deleteFront(0);
  assert.deepEqual(raised, [4n], "deleting nothing moves nothing");
});

test("when the start advances inside a segment, then the segments wholly below go and the start stays where it was moved", (t) => {
  const { start, local, epochs, dir, raised } = startOverSegments(t);
  start.advanceTo(3n);
  assert.equal(start.offset, 3n);
  assert.deepEqual(raised, [3n]);
  assert.deepEqual(
    local.segments.map((segment) => segment.baseOffset),
    [2n, 4n, 6n],
  );
  assert.deepEqual(epochs.epochEntries[0], { epoch: 1, startOffset: 3n });
  assert.equal(fs.readFileSync(join(dir, LOG_START_OFFSET_CHECKPOINT_FILE), "utf8"), "0\n1\n3\n");
});

test("when the log restarts and no start was ever checkpointed, then no checkpoint is written", (t) => {
  const { start, dir } = startOverSegments(t);
  start.restartAt(40n);
  assert.equal(start.offset, 40n);
  assert.equal(fs.existsSync(join(dir, LOG_START_OFFSET_CHECKPOINT_FILE)), false);
});
