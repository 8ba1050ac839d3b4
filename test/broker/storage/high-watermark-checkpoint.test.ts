// The high watermark checkpoint file: its bytes, when it is written, and what opening makes of
// a missing or unreadable file.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { nodeFileSystem } from "../../../broker/storage/file-system.ts";
import {
  HIGH_WATERMARK_CHECKPOINT_FILE,
  HighWatermarkCheckpoint,
} from "../../../broker/storage/high-watermark-checkpoint.ts";
import { FaultyFileSystem, tempDir } from "./faulty-file-system.ts";

test("when a high watermark is written, then the file holds Kafka's checkpoint format with one entry, fsynced", (t) => {
  const dir = tempDir(t);
  const fileSystem = new FaultyFileSystem();
  const checkpoint = HighWatermarkCheckpoint.open(fileSystem, dir, 5000, 0);
  assert.equal(checkpoint.checkpointed, null);
  checkpoint.writeIfMoved(1234n, 0);
  assert.equal(fs.readFileSync(join(dir, HIGH_WATERMARK_CHECKPOINT_FILE), "utf8"), "0\n1\n1234\n");
  assert.equal(fileSystem.syncs.length, 1);
  assert.equal(fileSystem.dirSyncs, 1);
  assert.equal(HighWatermarkCheckpoint.open(nodeFileSystem, dir, 5000, 0).checkpointed, 1234n);
});

test("when the high watermark has not moved, then nothing is written", (t) => {
  const dir = tempDir(t);
  const fileSystem = new FaultyFileSystem();
  const checkpoint = HighWatermarkCheckpoint.open(fileSystem, dir, 5000, 0);
  checkpoint.writeIfMoved(7n, 0);
  checkpoint.writeIfMoved(7n, 10);
  assert.equal(fileSystem.syncs.length, 1);
});

test("when writes are due by interval, then a moved high watermark is written only once the interval has passed", (t) => {
  const dir = tempDir(t);
  const checkpoint = HighWatermarkCheckpoint.open(nodeFileSystem, dir, 1000, 0);
  checkpoint.writeIfDue(5n, 999);
  assert.equal(checkpoint.checkpointed, null);
  checkpoint.writeIfDue(5n, 1000);
  assert.equal(checkpoint.checkpointed, 5n);
  checkpoint.writeIfDue(9n, 1999);
  assert.equal(checkpoint.checkpointed, 5n);
  checkpoint.writeIfMoved(9n, 1999);
  assert.equal(checkpoint.checkpointed, 9n);
});

test("when the file is unreadable, then opening treats it as no checkpoint", (t) => {
  const dir = tempDir(t);
  const path = join(dir, HIGH_WATERMARK_CHECKPOINT_FILE);
  for (const text of ["garbage", "0\n2\n1\n2\n", "0\n1\n-4\n", "7\n1\n10\n", ""]) {
    fs.writeFileSync(path, text);
    assert.equal(HighWatermarkCheckpoint.open(nodeFileSystem, dir, 5000, 0).checkpointed, null, text);
  }
});
