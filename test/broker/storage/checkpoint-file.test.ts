// Kafka's checkpoint text format: exact bytes written, what reading accepts and refuses, and
// that a replacement is atomic when a write or rename fails half-way.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import {
  CheckpointFileError,
  formatCheckpoint,
  parseCheckpoint,
  readCheckpointFile,
  readOffsetCheckpoint,
  writeCheckpointFile,
} from "../../../broker/storage/checkpoint-file.ts";
import { nodeFileSystem } from "../../../broker/storage/file-system.ts";
import { FaultyFileSystem, InjectedFault, tempDir } from "./faulty-file-system.ts";

test("when entries are formatted, then the bytes are the version, the count and one line each, all ending in a newline", () => {
  assert.deepEqual(formatCheckpoint(0, ["0 0", "3 17"]), Buffer.from("0\n2\n0 0\n3 17\n"));
  assert.deepEqual(formatCheckpoint(0, []), Buffer.from("0\n0\n"));
});

test("when a checkpoint text is parsed, then its entry lines come back; an empty text has none", () => {
  assert.deepEqual(parseCheckpoint("f", "0\n2\n0 0\n3 17\n", 0), ["0 0", "3 17"]);
  assert.deepEqual(parseCheckpoint("f", "0\n0\n", 0), []);
  assert.deepEqual(parseCheckpoint("f", "", 0), []);
  assert.deepEqual(parseCheckpoint("f", "0\n", 0), []);
});

test("when the version, count or a number line is wrong, then parsing throws a CheckpointFileError", () => {
  assert.throws(() => parseCheckpoint("f", "1\n0\n", 0), CheckpointFileError);
  assert.throws(() => parseCheckpoint("f", "0\n3\n0 0\n", 0), CheckpointFileError);
  assert.throws(() => parseCheckpoint("f", "0\n1\n0 0\n1 5\n", 0), CheckpointFileError);
  assert.throws(() => parseCheckpoint("f", "zero\n0\n", 0), CheckpointFileError);
  assert.throws(() => parseCheckpoint("f", "0\nx\n", 0), CheckpointFileError);
});

test("when a checkpoint is written and read back, then the file holds exactly the format and no temp file stays", (t) => {
  const dir = tempDir(t);
  const path = join(dir, "some-checkpoint");
  assert.equal(readCheckpointFile(nodeFileSystem, path, 0), null);
  writeCheckpointFile(nodeFileSystem, path, 0, ["1 2", "3 4"], { sync: false });
  assert.equal(fs.readFileSync(path, "utf8"), "0\n2\n1 2\n3 4\n");
  assert.deepEqual(readCheckpointFile(nodeFileSystem, path, 0), ["1 2", "3 4"]);
  writeCheckpointFile(nodeFileSystem, path, 0, ["5 6"], { sync: false });
  assert.equal(fs.readFileSync(path, "utf8"), "0\n1\n5 6\n");
  assert.deepEqual(fs.readdirSync(dir), ["some-checkpoint"]);
});

test("when sync is asked, then the temp file and the directory are fsynced; otherwise neither is", (t) => {
  const dir = tempDir(t);
  const fileSystem = new FaultyFileSystem();
  const path = join(dir, "cp");
  writeCheckpointFile(fileSystem, path, 0, ["1"], { sync: false });
  assert.deepEqual([fileSystem.syncs, fileSystem.dirSyncs], [[], 0]);
  writeCheckpointFile(fileSystem, path, 0, ["2"], { sync: true });
  assert.deepEqual([fileSystem.syncs, fileSystem.dirSyncs], [[`${path}.tmp`], 1]);
});

test("when the write of the temp file fails part-way, then the old checkpoint is intact and the next write succeeds", (t) => {
  const dir = tempDir(t);
  const fileSystem = new FaultyFileSystem();
  const path = join(dir, "cp");
  writeCheckpointFile(fileSystem, path, 0, ["1 10", "2 20", "3 30"], { sync: true });
  fileSystem.failNextAppend("cp.tmp", 5);
  assert.throws(() => writeCheckpointFile(fileSystem, path, 0, ["9 90"], { sync: true }), InjectedFault);
  assert.equal(fileSystem.openFiles, 0);
  assert.deepEqual(readCheckpointFile(fileSystem, path, 0), ["1 10", "2 20", "3 30"]);
  writeCheckpointFile(fileSystem, path, 0, ["4 40"], { sync: true });
  assert.equal(fs.readFileSync(path, "utf8"), "0\n1\n4 40\n");
});

test("when the process dies before the rename, then the old checkpoint is what is read", (t) => {
  const dir = tempDir(t);
  const fileSystem = new FaultyFileSystem();
  const path = join(dir, "cp");
  writeCheckpointFile(fileSystem, path, 0, ["1 10"], { sync: true });
  fileSystem.failRenamesWith = new InjectedFault("killed before rename");
  assert.throws(() => writeCheckpointFile(fileSystem, path, 0, ["2 20"], { sync: true }), InjectedFault);
  fileSystem.crash();
  assert.deepEqual(readCheckpointFile(nodeFileSystem, path, 0), ["1 10"]);
  assert.equal(fs.readFileSync(`${path}.tmp`, "utf8"), "0\n1\n2 20\n");
});

test("when a single-offset checkpoint is read, then its offset; absent, unreadable or not one whole offset, then null", (t) => {
  const dir = tempDir(t);
  const path = join(dir, "offset-checkpoint");
  assert.equal(readOffsetCheckpoint(nodeFileSystem, path, 0), null);
  writeCheckpointFile(nodeFileSystem, path, 0, ["9007199254740993"], { sync: false });
  assert.equal(readOffsetCheckpoint(nodeFileSystem, path, 0), 9007199254740993n);
  for (const text of ["garbage", "0\n2\n1\n2\n", "0\n1\n-4\n", "0\n1\n1.5\n", "1\n1\n10\n", ""]) {
    fs.writeFileSync(path, text);
    assert.equal(readOffsetCheckpoint(nodeFileSystem, path, 0), null, text);
  }
});
