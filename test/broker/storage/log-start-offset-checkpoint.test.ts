// The log start offset checkpoint file: its bytes, when it is written, and what opening makes of a
// missing or unreadable file.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { nodeFileSystem } from "../../../broker/storage/file-system.ts";
import {
  LOG_START_OFFSET_CHECKPOINT_FILE,
  LogStartOffsetCheckpoint,
} from "../../../broker/storage/log-start-offset-checkpoint.ts";
import { FaultyFileSystem, tempDir } from "./faulty-file-system.ts";

test("when a log start offset is written, then the file holds Kafka's checkpoint format with one entry, fsynced", (t) => {
  const dir = tempDir(t);
  const fileSystem = new FaultyFileSystem();
  const checkpoint = LogStartOffsetCheckpoint.open(fileSystem, dir);
  assert.equal(checkpoint.checkpointed, null);
  checkpoint.writeIfMoved(42n);
  assert.equal(fs.readFileSync(join(dir, LOG_START_OFFSET_CHECKPOINT_FILE), "utf8"), "0\n1\n42\n");
  assert.equal(checkpoint.checkpointed, 42n);
  assert.equal(fileSystem.syncs.length, 1);
  assert.equal(fileSystem.dirSyncs, 1);
  assert.equal(LogStartOffsetCheckpoint.open(nodeFileSystem, dir).checkpointed, 42n);
});

test("when the log start offset has not moved, then nothing is written", (t) => {
  const dir = tempDir(t);
  const fileSystem = new FaultyFileSystem();
  const checkpoint = LogStartOffsetCheckpoint.open(fileSystem, dir);
  checkpoint.writeIfMoved(7n);
  checkpoint.writeIfMoved(7n);
  assert.equal(fileSystem.syncs.length, 1);
  checkpoint.writeIfMoved(9n);
  assert.equal(fileSystem.syncs.length, 2);
});

test("when there is no file, or it is unreadable, then opening treats it as no checkpoint", (t) => {
  const dir = tempDir(t);
  assert.equal(LogStartOffsetCheckpoint.open(nodeFileSystem, dir).checkpointed, null);
  const path = join(dir, LOG_START_OFFSET_CHECKPOINT_FILE);
  for (const text of ["garbage", "0\n2\n1\n2\n", "0\n1\n-4\n", "3\n1\n10\n", ""]) {
    fs.writeFileSync(path, text);
    assert.equal(LogStartOffsetCheckpoint.open(nodeFileSystem, dir).checkpointed, null, text);
  }
});
