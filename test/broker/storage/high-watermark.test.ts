// A partition log's high watermark on its own: restored from its checkpoint within the log's
// offsets, kept within them as it moves, and checkpointed when it moved, or by interval.

import assert from "node:assert/strict";
import { test } from "node:test";
import { nodeFileSystem } from "../../../broker/storage/file-system.ts";
import { HighWatermark } from "../../../broker/storage/high-watermark.ts";
import { HighWatermarkCheckpoint } from "../../../broker/storage/high-watermark-checkpoint.ts";
import { FaultyFileSystem, tempDir } from "./faulty-file-system.ts";

const checkpointed = (dir: string) => HighWatermarkCheckpoint.open(nodeFileSystem, dir, 5000, 0).checkpointed;

test("when there is no checkpoint, then the high watermark starts at the log start", (t) => {
  const highWatermark = HighWatermark.open(nodeFileSystem, tempDir(t), undefined, 0, 10n, 50n);
  assert.equal(highWatermark.offset, 10n);
});

test("when the checkpoint is outside the log's offsets, then the restored high watermark is brought within them", (t) => {
  const dir = tempDir(t);
  HighWatermarkCheckpoint.open(nodeFileSystem, dir, 5000, 0).writeIfMoved(80n, 0);
  assert.equal(HighWatermark.open(nodeFileSystem, dir, undefined, 0, 10n, 50n).offset, 50n, "past the log end");
  assert.equal(HighWatermark.open(nodeFileSystem, dir, undefined, 0, 90n, 95n).offset, 90n, "below the log start");
  assert.equal(HighWatermark.open(nodeFileSystem, dir, undefined, 0, 0n, 100n).offset, 80n);
});

test("when it is moved, then it stays within the bounds given; raised, then it never goes down; restarted, then it is set", (t) => {
  const highWatermark = HighWatermark.open(nodeFileSystem, tempDir(t), undefined, 0, 0n, 0n);
  const steps: [string, () => void, bigint][] = [
    ["moved past the upper bound", () => highWatermark.moveTo(30n, 0n, 20n), 20n],
    ["moved below the lower bound", () => highWatermark.moveTo(3n, 5n, 20n), 5n],
    ["raised to below itself", () => highWatermark.raiseTo(2n), 5n],
    ["raised above itself", () => highWatermark.raiseTo(9n), 9n],
    ["restarted lower", () => highWatermark.restartAt(1n), 1n],
  ];
  for (const [what, step, expected] of steps) {
    step();
    assert.equal(highWatermark.offset, expected, what);
  }
});

test("when checkpointed, then a moved high watermark is written once; by interval, then only after the interval (default 5000 ms)", (t) => {
  const dir = tempDir(t);
  const disk = new FaultyFileSystem();
  const highWatermark = HighWatermark.open(disk, dir, undefined, 0, 0n, 100n);
  highWatermark.moveTo(7n, 0n, 100n);
  highWatermark.checkpoint(0);
  highWatermark.checkpoint(1);
  assert.equal(checkpointed(dir), 7n);
  assert.equal(disk.syncs.length, 1);
  highWatermark.moveTo(9n, 0n, 100n);
  highWatermark.checkpointIfDue(4999);
  assert.equal(checkpointed(dir), 7n);
  highWatermark.checkpointIfDue(5000);
  assert.equal(checkpointed(dir), 9n);
});

test("when an interval is given, then checkpointIfDue writes by it", (t) => {
  const dir = tempDir(t);
  const highWatermark = HighWatermark.open(nodeFileSystem, dir, 100, 0, 0n, 100n);
  highWatermark.moveTo(4n, 0n, 100n);
  highWatermark.checkpointIfDue(99);
  assert.equal(checkpointed(dir), null);
  highWatermark.checkpointIfDue(100);
  assert.equal(checkpointed(dir), 4n);
});
