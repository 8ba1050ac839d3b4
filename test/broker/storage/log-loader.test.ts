// Opening a log directory: the state comes back after a close, a crash's torn or corrupt tail is
// cut at the last whole batch, lost indexes are rebuilt and leftovers removed, a failure while
// opening leaves no file open, and the leader-epoch checkpoint is used, trimmed or rebuilt.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { nodeFileSystem } from "../../../broker/storage/file-system.ts";
import { LEADER_EPOCH_CHECKPOINT_FILE } from "../../../broker/storage/leader-epoch-checkpoint.ts";
import { segmentFileName } from "../../../broker/storage/log-files.ts";
import { loadSegments } from "../../../broker/storage/log-loader.ts";
import { PartitionLog } from "../../../broker/storage/partition-log.ts";
import { batchOfSize } from "./batch-builder.ts";
import { FaultyFileSystem, InjectedFault, manualClock, tempDir } from "./faulty-file-system.ts";
import { appendRecords, commitAll, logFiles, openLog, readAll } from "./log-fixture.ts";

test("when a log is reopened after close, then offsets, data and timestamps are all back", (t) => {
  const dir = tempDir(t);
  const first = PartitionLog.open(nodeFileSystem, dir, { segmentBytes: 700, indexIntervalBytes: 100 });
  const batches = Array.from({ length: 10 }, (_, i) => appendRecords(first, 2, 100, 1_000n + BigInt(i)));
  commitAll(first);
  first.close();
  const log = openLog(t, dir, { segmentBytes: 700, indexIntervalBytes: 100 });
  assert.equal(log.logEndOffset, 20n);
  assert.equal(log.highWatermark, 20n);
  assert.deepEqual(readAll(log), Buffer.concat(batches));
  assert.deepEqual(log.offsetForTimestamp(1_005n), { offset: 10n, timestamp: 1_005n });
  assert.equal(log.append(batchOfSize(1, 1)).baseOffset, 20n);
});

test("when N bytes are chopped off the active segment, then reopening ends the log at the last whole batch and appends continue", (t) => {
  const probe = batchOfSize(3, 50);
  for (const chop of [1, 11, 12, 30, probe.length - 61, probe.length - 1, probe.length, probe.length + 5]) {
    const dir = tempDir(t);
    const fileSystem = new FaultyFileSystem();
    const log = PartitionLog.open(fileSystem, dir);
    const batches = Array.from({ length: 7 }, () => appendRecords(log, 3, 50));
    const activePath = log.segments[log.segments.length - 1]!.logPath;
    fileSystem.crash();
    const activeSize = fs.statSync(activePath).size;
    fs.truncateSync(activePath, activeSize - chop);
    const lostBatches = Math.ceil(chop / probe.length);
    const reopened = openLog(t, dir);
    const expectedEnd = BigInt(3 * (7 - lostBatches));
    assert.equal(reopened.logEndOffset, expectedEnd, `chop ${chop}`);
    assert.deepEqual(readAll(reopened), Buffer.concat(batches.slice(0, 7 - lostBatches)), `chop ${chop}`);
    assert.equal(
      reopened.recoveries.at(-1)!.truncatedBytes,
      chop % probe.length === 0 ? 0 : probe.length - (chop % probe.length),
    );
    assert.equal(reopened.append(batchOfSize(1, 1)).baseOffset, expectedEnd, `chop ${chop}`);
    reopened.close();
  }
});

test("when a byte in the last batch is flipped, then reopening truncates that batch", (t) => {
  const dir = tempDir(t);
  const log = PartitionLog.open(nodeFileSystem, dir);
  const batches = [appendRecords(log, 2), appendRecords(log, 2), appendRecords(log, 2)];
  log.close();
  const path = join(dir, segmentFileName(0n, ".log"));
  const bytes = fs.readFileSync(path);
  bytes[bytes.length - batches[2]!.length + 70]! ^= 0x40;
  fs.writeFileSync(path, bytes);
  const reopened = openLog(t, dir);
  assert.equal(reopened.logEndOffset, 4n);
  assert.equal(reopened.recoveries[0]!.problem, "crc-mismatch");
  assert.deepEqual(readAll(reopened), Buffer.concat(batches.slice(0, 2)));
});

test("when a sealed segment lost its index files, then opening rebuilds them and leftovers are cleared", (t) => {
  const dir = tempDir(t);
  const log = PartitionLog.open(nodeFileSystem, dir, { segmentBytes: 600, indexIntervalBytes: 50 });
  const batches = Array.from({ length: 8 }, () => appendRecords(log, 2, 100));
  log.close();
  fs.rmSync(join(dir, segmentFileName(0n, ".index")));
  fs.rmSync(join(dir, segmentFileName(0n, ".timeindex")));
  fs.writeFileSync(join(dir, segmentFileName(0n, ".log.cleaned")), "half-written");
  fs.writeFileSync(join(dir, segmentFileName(999n, ".index")), "orphan");
  fs.writeFileSync(join(dir, segmentFileName(999n, ".txnindex")), "orphan");
  const reopened = openLog(t, dir, { segmentBytes: 600, indexIntervalBytes: 50 });
  assert.deepEqual(
    reopened.recoveries.map((r) => r.baseOffset),
    [0n, reopened.segments.at(-1)!.baseOffset],
  );
  assert.deepEqual(readAll(reopened, 3n), Buffer.concat(batches.slice(1)));
  assert.equal(fs.existsSync(join(dir, segmentFileName(0n, ".log.cleaned"))), false);
  assert.equal(fs.existsSync(join(dir, segmentFileName(999n, ".index"))), false);
  assert.equal(fs.existsSync(join(dir, segmentFileName(999n, ".txnindex"))), false);
  assert.ok(fs.existsSync(join(dir, segmentFileName(0n, ".index"))));
});

test("when the directory is empty, then one empty segment at offset 0 is created and the directory synced", (t) => {
  const dir = tempDir(t);
  const fileSystem = new FaultyFileSystem();
  const { segments, recoveries } = loadSegments(fileSystem, dir, {
    indexIntervalBytes: 4096,
    clock: manualClock().clock,
  });
  t.after(() => {
    for (const segment of segments) segment.close();
  });
  assert.deepEqual(
    segments.map((s) => [s.baseOffset, s.size]),
    [[0n, 0]],
  );
  assert.deepEqual(recoveries, []);
  assert.equal(fileSystem.dirSyncs, 1);
  assert.deepEqual(logFiles(dir), [segmentFileName(0n, ".log")]);
});

test("when opening fails part-way, then the error surfaces and every segment file opened so far is closed again", (t) => {
  const dir = tempDir(t);
  const first = PartitionLog.open(nodeFileSystem, dir, { segmentBytes: 300 });
  for (let i = 0; i < 4; i++) appendRecords(first, 1, 200);
  first.close();
  assert.equal(logFiles(dir).length, 4);
  const fileSystem = new FaultyFileSystem();
  const failure = new InjectedFault("fsync failed: EIO");
  // The sealed segments load from their indexes; recovering the active one ends with an fsync.
  fileSystem.failSyncsWith = failure;
  assert.throws(() => PartitionLog.open(fileSystem, dir, { segmentBytes: 300 }), failure);
  assert.equal(fileSystem.openFiles, 0);
  fileSystem.failSyncsWith = null;
  const reopened = openLog(t, dir, { segmentBytes: 300 });
  assert.equal(reopened.logEndOffset, 4n);
});

test("when a closed log with data is opened, then recovering its active segment fsyncs its log, not its rebuilt indexes", (t) => {
  const dir = tempDir(t);
  const first = PartitionLog.open(nodeFileSystem, dir, { segmentBytes: 300 });
  for (let i = 0; i < 4; i++) appendRecords(first, 1, 200);
  first.close();
  const fileSystem = new FaultyFileSystem();
  const log = openLog(t, dir, { segmentBytes: 300 }, undefined, fileSystem);
  assert.deepEqual(
    log.recoveries.map((r) => r.baseOffset),
    [3n],
  );
  assert.deepEqual([fileSystem.syncs, fileSystem.dirSyncs], [[join(dir, segmentFileName(3n, ".log"))], 0]);
  assert.equal(log.logEndOffset, 4n);
});

const epochPairs = (log: PartitionLog) => log.epochEntries.map((e) => [e.epoch, e.startOffset]);

/** A log with epochs 1 (offsets 0..3), 4 (4..7) and 6 (8..9) over several segments, closed. */
function logWithEpochs(dir: string): void {
  const log = PartitionLog.open(nodeFileSystem, dir, { segmentBytes: 300 });
  for (const [epoch, batches] of [
    [1, 2],
    [4, 2],
    [6, 1],
  ] as const) {
    log.setLeaderEpoch(epoch);
    for (let i = 0; i < batches; i++) appendRecords(log, 2, 60);
  }
  log.close();
}
const expectedEpochs = [
  [1, 0n],
  [4, 4n],
  [6, 8n],
];

test("when the leader-epoch checkpoint agrees with the log, then it is used as found and not rewritten", (t) => {
  const dir = tempDir(t);
  logWithEpochs(dir);
  const path = join(dir, LEADER_EPOCH_CHECKPOINT_FILE);
  fs.utimesSync(path, new Date(0), new Date(0));
  const log = openLog(t, dir, { segmentBytes: 300 });
  assert.ok(log.segments.length > 1);
  assert.equal(log.epochCacheRebuiltBecause, null);
  assert.deepEqual(epochPairs(log), expectedEpochs);
  assert.equal(fs.statSync(path).mtimeMs, 0);
});

test("when the leader-epoch checkpoint is missing, then it is rebuilt from the batches and written", (t) => {
  const dir = tempDir(t);
  logWithEpochs(dir);
  fs.rmSync(join(dir, LEADER_EPOCH_CHECKPOINT_FILE));
  const log = openLog(t, dir, { segmentBytes: 300 });
  assert.equal(log.epochCacheRebuiltBecause, "no leader-epoch checkpoint");
  assert.deepEqual(epochPairs(log), expectedEpochs);
  assert.equal(fs.readFileSync(join(dir, LEADER_EPOCH_CHECKPOINT_FILE), "utf8"), "0\n3\n1 0\n4 4\n6 8\n");
});

test("when the leader-epoch checkpoint is unreadable, then it is rebuilt from the batches", (t) => {
  const dir = tempDir(t);
  logWithEpochs(dir);
  fs.writeFileSync(join(dir, LEADER_EPOCH_CHECKPOINT_FILE), "0\n3\n1 0\n4");
  const log = openLog(t, dir, { segmentBytes: 300 });
  assert.match(log.epochCacheRebuiltBecause ?? "", /announced/);
  assert.deepEqual(epochPairs(log), expectedEpochs);
});

test("when the leader-epoch checkpoint lost its latest entries or names wrong offsets, then it is rebuilt", (t) => {
  for (const stale of ["0\n2\n1 0\n4 4\n", "0\n3\n1 0\n4 5\n6 8\n", "0\n3\n1 0\n3 4\n6 8\n", "0\n0\n"]) {
    const dir = tempDir(t);
    logWithEpochs(dir);
    fs.writeFileSync(join(dir, LEADER_EPOCH_CHECKPOINT_FILE), stale);
    const log = openLog(t, dir, { segmentBytes: 300 });
    assert.notEqual(log.epochCacheRebuiltBecause, null, stale);
    assert.deepEqual(epochPairs(log), expectedEpochs, stale);
    log.close();
  }
});

test("when the leader-epoch checkpoint reaches past the log end, as after a crash between it and the append, then it is trimmed", (t) => {
  const dir = tempDir(t);
  logWithEpochs(dir);
  fs.writeFileSync(join(dir, LEADER_EPOCH_CHECKPOINT_FILE), "0\n4\n1 0\n4 4\n6 8\n9 10\n");
  const log = openLog(t, dir, { segmentBytes: 300 });
  assert.equal(log.epochCacheRebuiltBecause, null);
  assert.deepEqual(epochPairs(log), expectedEpochs);
  assert.equal(fs.readFileSync(join(dir, LEADER_EPOCH_CHECKPOINT_FILE), "utf8"), "0\n3\n1 0\n4 4\n6 8\n");
});

test("when a log is new, then opening writes no leader-epoch checkpoint", (t) => {
  const dir = tempDir(t);
  const log = openLog(t, dir);
  log.close();
  openLog(t, dir).close();
  assert.equal(fs.existsSync(join(dir, LEADER_EPOCH_CHECKPOINT_FILE)), false);
});

test("when rewriting the leader-epoch checkpoint fails while opening, then the error surfaces and no file stays open", (t) => {
  const dir = tempDir(t);
  logWithEpochs(dir);
  fs.rmSync(join(dir, LEADER_EPOCH_CHECKPOINT_FILE));
  const fileSystem = new FaultyFileSystem();
  const failure = new InjectedFault("rename failed: EIO");
  fileSystem.failRenamesWith = failure;
  assert.throws(() => PartitionLog.open(fileSystem, dir, { segmentBytes: 300 }), failure);
  assert.equal(fileSystem.openFiles, 0);
  fileSystem.failRenamesWith = null;
  assert.deepEqual(epochPairs(openLog(t, dir, { segmentBytes: 300 })), expectedEpochs);
});

test("when a log closed cleanly is opened after a clean shutdown, then its active segment loads from its indexes without a recovery scan, and appends continue", (t) => {
  const dir = tempDir(t);
  const first = PartitionLog.open(nodeFileSystem, dir, { segmentBytes: 600, indexIntervalBytes: 50 });
  const batches = Array.from({ length: 5 }, () => appendRecords(first, 2, 100));
  first.close();
  const reopened = openLog(t, dir, { segmentBytes: 600, indexIntervalBytes: 50, hadCleanShutdown: true });
  assert.deepEqual(reopened.recoveries, [], "nothing scanned");
  assert.equal(reopened.logEndOffset, 10n);
  assert.deepEqual(readAll(reopened, 0n), Buffer.concat(batches));
  appendRecords(reopened, 1, 100);
  assert.equal(reopened.logEndOffset, 11n);
});

test("when the active segment no longer matches its indexes despite a clean shutdown, then it is recovered all the same", (t) => {
  const dir = tempDir(t);
  const first = PartitionLog.open(nodeFileSystem, dir, { indexIntervalBytes: 50 });
  for (let i = 0; i < 5; i++) appendRecords(first, 2, 100);
  first.close();
  const segment = join(dir, segmentFileName(0n, ".log"));
  fs.truncateSync(segment, fs.statSync(segment).size - 7);
  const reopened = openLog(t, dir, { indexIntervalBytes: 50, hadCleanShutdown: true });
  assert.equal(reopened.recoveries.length, 1, "the torn tail is found by a recovery scan");
  assert.ok(reopened.recoveries[0]!.truncatedBytes > 0);
  assert.equal(reopened.logEndOffset, 8n, "cut at the last whole batch");
});
