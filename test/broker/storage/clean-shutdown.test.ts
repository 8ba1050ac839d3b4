// Kafka's clean shutdown marker on a real directory, through the file system the fault tests count
// fsyncs with: written durably after a clean close, taken away durably at start.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import {
  CLEAN_SHUTDOWN_FILE,
  takeCleanShutdownMarker,
  writeCleanShutdownMarker,
} from "../../../broker/storage/clean-shutdown.ts";
import { FaultyFileSystem, tempDir } from "./faulty-file-system.ts";

test("when the marker is written, then it is synced with its directory, and taking it says the shutdown was clean and removes it durably", (t) => {
  const dir = tempDir(t);
  const fileSystem = new FaultyFileSystem();
  writeCleanShutdownMarker(fileSystem, dir);
  assert.ok(existsSync(join(dir, CLEAN_SHUTDOWN_FILE)));
  assert.deepEqual(fileSystem.syncs, [join(dir, CLEAN_SHUTDOWN_FILE)]);
  assert.equal(fileSystem.dirSyncs, 1);

  assert.equal(takeCleanShutdownMarker(fileSystem, dir), true);
  assert.equal(existsSync(join(dir, CLEAN_SHUTDOWN_FILE)), false);
  assert.equal(fileSystem.dirSyncs, 2, "the removal is made durable before any log is written");
  assert.equal(takeCleanShutdownMarker(fileSystem, dir), false, "taken once: a crash from now on is not clean");
});

test("when there is no marker (a first start, a kill -9), then the shutdown was not clean", (t) => {
  const dir = tempDir(t);
  assert.equal(takeCleanShutdownMarker(new FaultyFileSystem(), dir), false);
});
