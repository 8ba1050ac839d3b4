// The partition log: appends get consecutive offsets, reads return whole stored batches, segments
// roll, the high watermark and leader epoch, flushing, truncation and I/O failures. Opening and
// recovery are in log-loader.test.ts, retention in retention.test.ts, the config in log-config.test.ts.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { readBatchHeader } from "../../../broker/protocol/record-batch/layout.ts";
import { type FileSystem, nodeFileSystem } from "../../../broker/storage/file-system.ts";
import { LEADER_EPOCH_CHECKPOINT_FILE } from "../../../broker/storage/leader-epoch-checkpoint.ts";
import { segmentFileName } from "../../../broker/storage/log-files.ts";
import { MalformedRecordsError } from "../../../broker/storage/log-validator.ts";
import { LogOfflineError, PartitionLog } from "../../../broker/storage/partition-log.ts";
import { batchOfSize, buildBatch } from "./batch-builder.ts";
import { freshDisk } from "./fault-workload.ts";
import {
  FaultyFileSystem,
  InjectedFault,
  ioError,
  manualClock,
  SimulatedCrash,
  tempDir,
} from "./faulty-file-system.ts";
import { appendRecords, commitAll, logFiles, openLog, readAll } from "./log-fixture.ts";
import { SimulatedDisk } from "./simulated-disk.ts";

/** How many fsyncs of segment `.log` files `fileSystem` has seen (checkpoint files are fsynced too). */
const segmentSyncs = (fileSystem: FaultyFileSystem): number =>
  fileSystem.syncs.filter((path) => path.endsWith(".log")).length;

test("when a log is opened in an empty directory, then it starts at offset 0 with one empty segment", (t) => {
  const dir = join(tempDir(t), "topic-0");
  const log = openLog(t, dir);
  assert.equal(log.logStartOffset, 0n);
  assert.equal(log.logEndOffset, 0n);
  assert.equal(log.highWatermark, 0n);
  assert.deepEqual(logFiles(dir), ["00000000000000000000.log"]);
});

test("when batches are appended, then reading returns the bytes exactly as stored, offsets and epoch rewritten", (t) => {
  const log = openLog(t, tempDir(t));
  log.setLeaderEpoch(7);
  const input = [batchOfSize(3, 10), batchOfSize(1, 10), batchOfSize(5, 10)];
  const pristine = input.map((batch) => Buffer.from(batch));
  const results = input.map((batch) => log.append(batch));
  assert.deepEqual(
    results.map(({ baseOffset, lastOffset }) => [baseOffset, lastOffset]),
    [
      [0n, 2n],
      [3n, 3n],
      [4n, 8n],
    ],
  );
  assert.deepEqual(readAll(log), Buffer.concat(input));
  for (const [i, batch] of input.entries()) {
    assert.equal(readBatchHeader(batch, 0).baseOffset, results[i]!.baseOffset);
    assert.equal(readBatchHeader(batch, 0).partitionLeaderEpoch, 7);
    // Only the base offset and leader epoch differ from what the producer sent.
    assert.deepEqual(batch.subarray(17), pristine[i]!.subarray(17));
  }
  assert.equal(log.logEndOffset, 9n);
  assert.equal(log.highWatermark, 0n, "appends leave the high watermark to the log's owner");
});

test("when several batches come in one append, then they get consecutive offsets and are stored as one write", (t) => {
  const log = openLog(t, tempDir(t));
  appendRecords(log, 2);
  const records = Buffer.concat([batchOfSize(2, 5), batchOfSize(4, 5), batchOfSize(1, 5)]);
  const result = log.append(records);
  assert.deepEqual([result.baseOffset, result.lastOffset], [2n, 8n]);
  assert.deepEqual(
    [...log.batches(2n)].map((b) => [b.baseOffset, b.lastOffset]),
    [
      [2n, 3n],
      [4n, 7n],
      [8n, 8n],
    ],
  );
});

test("when many batches are appended, then offsets are consecutive across them and segments", (t) => {
  const log = openLog(t, tempDir(t), { segmentBytes: 2000, indexIntervalBytes: 200 });
  let expected = 0n;
  for (let i = 0; i < 300; i++) {
    const count = (i % 5) + 1;
    const { baseOffset, lastOffset } = log.append(batchOfSize(count, 10));
    assert.equal(baseOffset, expected);
    assert.equal(lastOffset, expected + BigInt(count) - 1n);
    expected += BigInt(count);
  }
  assert.ok(log.segments.length > 10);
  let next = 0n;
  for (const batch of log.batches()) {
    assert.equal(batch.baseOffset, next);
    next = batch.lastOffset + 1n;
  }
  assert.equal(next, log.logEndOffset);
});

test("when reading from an offset in the middle of a batch, then the batch containing it is returned", (t) => {
  const log = openLog(t, tempDir(t));
  appendRecords(log, 4);
  const middle = appendRecords(log, 5); // offsets 4..8
  appendRecords(log, 2);
  const result = log.read(6n, middle.length, false);
  assert.deepEqual(result, { kind: "records", chunks: [middle], size: middle.length });
});

test("when maxBytes falls inside a batch, then only whole batches are returned; minOneBatch returns an oversized first batch", (t) => {
  const log = openLog(t, tempDir(t));
  const batches = [appendRecords(log, 1, 100), appendRecords(log, 1, 100), appendRecords(log, 1, 100)];
  const limit = batches[0]!.length * 2 + 10;
  const read = log.read(0n, limit);
  assert.equal(read.kind === "records" && read.size, batches[0]!.length * 2);
  const tiny = log.read(0n, 10);
  assert.deepEqual(tiny, { kind: "records", chunks: [batches[0]], size: batches[0]!.length });
  assert.deepEqual(log.read(0n, 10, false), { kind: "records", chunks: [], size: 0 });
});

test("when reading crosses segments, then whole batches come from each while under maxBytes", (t) => {
  const log = openLog(t, tempDir(t), { segmentBytes: 400 });
  const batches = Array.from({ length: 12 }, () => appendRecords(log, 1, 100));
  assert.ok(log.segments.length >= 4);
  const read = log.read(1n, batches[0]!.length * 7);
  assert.equal(read.kind, "records");
  if (read.kind !== "records") return;
  assert.ok(read.chunks.length > 1);
  assert.deepEqual(Buffer.concat(read.chunks), Buffer.concat(batches.slice(1, 8)));
  assert.equal(read.size, batches[0]!.length * 7);
});

test("when the fetch offset is outside [logStart, logEnd], then the result is offset-out-of-range; at logEnd it is empty", (t) => {
  const log = openLog(t, tempDir(t));
  appendRecords(log, 3);
  assert.deepEqual(log.read(4n, 100), { kind: "offset-out-of-range", logStartOffset: 0n, logEndOffset: 3n });
  assert.deepEqual(log.read(-1n, 100), { kind: "offset-out-of-range", logStartOffset: 0n, logEndOffset: 3n });
  assert.deepEqual(log.read(3n, 100), { kind: "records", chunks: [], size: 0 });
});

test("when reading with the high watermark as upper bound, then batches above it are not returned", (t) => {
  const log = openLog(t, tempDir(t));
  const first = appendRecords(log, 2);
  appendRecords(log, 2);
  log.updateHighWatermark(2n);
  assert.equal(log.highWatermark, 2n);
  assert.deepEqual(log.read(0n, 10_000, true, log.highWatermark), {
    kind: "records",
    chunks: [first],
    size: first.length,
  });
  log.updateHighWatermark(100n);
  assert.equal(log.highWatermark, 4n);
});

test("when an append would exceed segmentBytes, then the log rolls to a segment named by the next offset", (t) => {
  const dir = tempDir(t);
  const log = openLog(t, dir, { segmentBytes: 1000 });
  const batch = appendRecords(log, 2, 200); // ~500 bytes
  assert.ok(batch.length > 400 && batch.length < 500);
  appendRecords(log, 2, 200);
  assert.equal(log.segments.length, 1);
  appendRecords(log, 2, 200);
  assert.equal(log.segments.length, 2);
  assert.deepEqual(logFiles(dir), [segmentFileName(0n, ".log"), segmentFileName(4n, ".log")]);
  assert.equal(log.segments[1]!.baseOffset, 4n);
});

test("when a batch is larger than segmentBytes, then it still goes into an empty segment", (t) => {
  const log = openLog(t, tempDir(t), { segmentBytes: 100 });
  appendRecords(log, 1, 300);
  appendRecords(log, 1, 300);
  assert.equal(log.segments.length, 2);
  assert.equal(log.logEndOffset, 2n);
});

test("when the active segment is older than segmentMs, then the next append rolls, and not before", (t) => {
  const time = manualClock();
  const log = openLog(t, tempDir(t), { segmentMs: 60_000 }, time.clock);
  appendRecords(log, 1, 10, BigInt(time.now));
  time.advance(60_000);
  appendRecords(log, 1, 10, BigInt(time.now));
  assert.equal(log.segments.length, 1);
  time.advance(1);
  appendRecords(log, 1, 10, BigInt(time.now));
  assert.equal(log.segments.length, 2);
  assert.equal(log.segments[1]!.baseOffset, 2n);
});

test("when an empty active segment ages, then it is not rolled", (t) => {
  const time = manualClock();
  const log = openLog(t, tempDir(t), { segmentMs: 1000 }, time.clock);
  time.advance(10_000);
  appendRecords(log);
  assert.equal(log.segments.length, 1);
  log.roll();
  log.roll();
  assert.equal(log.segments.length, 2);
});

test("when looking up offsets by timestamp, then the first batch at or after it is found across segments", (t) => {
  const log = openLog(t, tempDir(t), { segmentBytes: 1000, indexIntervalBytes: 100 });
  for (let i = 0; i < 40; i++) appendRecords(log, 2, 30, 5_000n + 10n * BigInt(i)); // batch i: offsets 2i, 2i+1
  assert.ok(log.segments.length > 2);
  assert.deepEqual(log.offsetForTimestamp(0n), { offset: 0n, timestamp: 5_000n });
  assert.deepEqual(log.offsetForTimestamp(5_105n), { offset: 22n, timestamp: 5_110n });
  assert.deepEqual(log.offsetForTimestamp(5_390n), { offset: 78n, timestamp: 5_390n });
  assert.equal(log.offsetForTimestamp(5_391n), null);
});

test("when flushing every message, then each append fsyncs its segment exactly once", (t) => {
  const fileSystem = new FaultyFileSystem();
  const dir = tempDir(t);
  const log = openLog(t, dir, { flushIntervalMessages: 1 }, manualClock().clock, fileSystem);
  const before = fileSystem.syncs.length;
  for (let i = 0; i < 5; i++) appendRecords(log, 3);
  const synced = fileSystem.syncs.slice(before);
  assert.equal(synced.filter((path) => path.endsWith(".log")).length, 5);
  assert.deepEqual(
    synced.filter((path) => !path.endsWith(".log")),
    [join(dir, `${LEADER_EPOCH_CHECKPOINT_FILE}.tmp`)],
    "besides, once, the epoch checkpoint that the first batch's epoch 0 started",
  );
});

test("when the flush policy is never, then appends do not fsync their segment", (t) => {
  const fileSystem = new FaultyFileSystem();
  const log = openLog(t, tempDir(t), {}, manualClock().clock, fileSystem);
  const before = segmentSyncs(fileSystem);
  for (let i = 0; i < 20; i++) appendRecords(log, 3);
  assert.equal(segmentSyncs(fileSystem), before);
  log.flush();
  assert.equal(segmentSyncs(fileSystem), before + 1);
});

test("when flushing by message count, then fsync happens once the count is reached", (t) => {
  const fileSystem = new FaultyFileSystem();
  const log = openLog(t, tempDir(t), { flushIntervalMessages: 10 }, manualClock().clock, fileSystem);
  const before = segmentSyncs(fileSystem);
  appendRecords(log, 4);
  appendRecords(log, 4);
  assert.equal(segmentSyncs(fileSystem), before);
  appendRecords(log, 4);
  assert.equal(segmentSyncs(fileSystem), before + 1);
});

test("when flushing on an interval, then appends and flushIfDue fsync only after the interval", (t) => {
  const fileSystem = new FaultyFileSystem();
  const time = manualClock();
  const log = openLog(t, tempDir(t), { flushIntervalMs: 1000 }, time.clock, fileSystem);
  const before = segmentSyncs(fileSystem);
  appendRecords(log);
  time.advance(999);
  appendRecords(log);
  log.flushIfDue();
  assert.equal(segmentSyncs(fileSystem), before);
  time.advance(1);
  appendRecords(log);
  assert.equal(segmentSyncs(fileSystem), before + 1);
  appendRecords(log);
  time.advance(1000);
  log.flushIfDue();
  assert.equal(segmentSyncs(fileSystem), before + 2);
  time.advance(5000);
  log.flushIfDue(); // nothing new to flush
  assert.equal(segmentSyncs(fileSystem), before + 2);
});

test("when fsync fails during append, then the error surfaces, the high watermark holds, and the log goes offline", (t) => {
  const fileSystem = new FaultyFileSystem();
  const dir = tempDir(t);
  const log = openLog(t, dir, { flushIntervalMessages: 1 }, manualClock().clock, fileSystem);
  appendRecords(log, 2);
  commitAll(log);
  const failure = new InjectedFault("fsync failed: EIO");
  fileSystem.failSyncsWith = failure;
  assert.throws(() => appendRecords(log, 2), failure);
  assert.equal(log.highWatermark, 2n);
  assert.equal(log.isOffline, true);
  assert.throws(() => appendRecords(log, 1), LogOfflineError);
  assert.throws(() => log.flush(), LogOfflineError);
  fileSystem.failSyncsWith = null;
  log.close();
  const reopened = openLog(t, dir);
  assert.equal(reopened.append(batchOfSize(1, 1)).baseOffset, 4n);
});

test("when an append writes only part of the batch and fails, then the error surfaces and reopening removes the torn bytes", (t) => {
  const fileSystem = new FaultyFileSystem();
  const dir = tempDir(t);
  const log = openLog(t, dir, {}, manualClock().clock, fileSystem);
  const stored = appendRecords(log, 2);
  fileSystem.failNextAppend(".log", 40);
  assert.throws(() => appendRecords(log, 3), InjectedFault);
  assert.equal(log.logEndOffset, 2n);
  assert.throws(() => appendRecords(log, 1), LogOfflineError);
  log.close();
  const reopened = openLog(t, dir);
  assert.equal(reopened.recoveries[0]!.truncatedBytes, 40);
  assert.deepEqual(readAll(reopened), stored);
  assert.equal(reopened.append(batchOfSize(1, 1)).baseOffset, 2n);
});

test("when the records are malformed, then append refuses them and the log is unchanged", (t) => {
  const log = openLog(t, tempDir(t));
  appendRecords(log);
  const good = batchOfSize(2, 10);
  assert.throws(() => log.append(Buffer.concat([good, good.subarray(0, 70)])), MalformedRecordsError);
  assert.equal(log.logEndOffset, 1n);
  assert.equal(log.isOffline, false);
});

test("when truncating to an offset, then later batches and segments are gone and appends reuse that offset", (t) => {
  const dir = tempDir(t);
  const log = openLog(t, dir, { segmentBytes: 500 });
  const batches = Array.from({ length: 8 }, () => appendRecords(log, 2, 100));
  assert.ok(log.segments.length > 2);
  commitAll(log);
  log.truncateTo(5n); // inside batch 2 (offsets 4, 5): it goes whole
  assert.equal(log.logEndOffset, 5n);
  assert.equal(log.highWatermark, 5n, "the high watermark comes back to the log end");
  assert.deepEqual(readAll(log), Buffer.concat(batches.slice(0, 2)));
  assert.equal(logFiles(dir).length, log.segments.length);
  assert.equal(log.append(batchOfSize(1, 1)).baseOffset, 5n);
  log.truncateTo(2n); // a segment boundary
  assert.equal(log.logEndOffset, 2n);
  assert.deepEqual(readAll(log), batches[0]);
});

test("when truncating below the log start, then the log restarts empty at that offset", (t) => {
  const dir = tempDir(t);
  const log = openLog(t, dir, { segmentBytes: 300, retentionBytes: 0 });
  for (let i = 0; i < 5; i++) appendRecords(log, 1, 200);
  commitAll(log);
  log.applyRetention();
  assert.equal(log.logStartOffset, 4n);
  log.truncateTo(2n);
  assert.deepEqual([log.logStartOffset, log.logEndOffset], [2n, 2n]);
  assert.deepEqual(logFiles(dir), [segmentFileName(2n, ".log")]);
  assert.equal(log.append(batchOfSize(1, 1)).baseOffset, 2n);
});

test("when iterating batches for a state rebuild, then every batch comes with its header and bytes in order", (t) => {
  const log = openLog(t, tempDir(t), { segmentBytes: 600 });
  const input = Array.from({ length: 9 }, (_, i) =>
    buildBatch({
      producerId: BigInt(i),
      producerEpoch: 1,
      baseSequence: i * 10,
      records: [{ key: `k${i}`, value: "x".repeat(120) }],
    }),
  );
  for (const batch of input) log.append(batch);
  const seen = [...log.batches()];
  assert.deepEqual(
    seen.map((b) => b.bytes),
    input,
  );
  assert.deepEqual(
    seen.map((b) => b.producerId),
    input.map((_, i) => BigInt(i)),
  );
  assert.deepEqual(
    seen.map((b) => b.baseSequence),
    input.map((_, i) => i * 10),
  );
  assert.ok(new Set(seen.map((b) => b.segmentBaseOffset)).size > 1);
  assert.deepEqual(
    [...log.batches(7n)].map((b) => b.baseOffset),
    [7n, 8n],
  );
});

test("when the log is deleted, then its directory is gone", (t) => {
  const dir = join(tempDir(t), "topic-3");
  const log = PartitionLog.open(nodeFileSystem, dir);
  appendRecords(log);
  log.deleteAll();
  assert.equal(fs.existsSync(dir), false);
});

test("when a config value is out of range, then opening refuses it", (t) => {
  assert.throws(() => PartitionLog.open(nodeFileSystem, tempDir(t), { segmentBytes: 2 ** 31 }), RangeError);
});

test("when writes fail, then onOffline hears the first failure once, and the log names it as its cause", (t) => {
  const fileSystem = new FaultyFileSystem();
  const causes: unknown[] = [];
  const log = openLog(t, tempDir(t), { onOffline: (cause) => causes.push(cause) }, manualClock().clock, fileSystem);
  appendRecords(log);
  assert.equal(log.offlineCause, null);
  const failure = ioError("ENOSPC", "write", "00000000000000000000.log");
  fileSystem.fail("append", { path: ".log", error: failure });
  assert.throws(() => appendRecords(log), failure);
  assert.throws(() => appendRecords(log), LogOfflineError);
  assert.throws(() => log.flush(), LogOfflineError);
  log.close();
  assert.deepEqual(causes, [failure]);
  assert.equal(log.offlineCause, failure);
});

test("when a log directory is created, then its parent is fsynced too: a power loss keeps the directory and what was acknowledged in it", () => {
  const disk = new SimulatedDisk();
  disk.mkdirp("/data");
  disk.syncAll();
  const log = PartitionLog.open(disk, "/data/topic-0", { flushIntervalMessages: 1 });
  const acknowledged = appendRecords(log);
  disk.powerLoss();
  const reopened = PartitionLog.open(disk, "/data/topic-0");
  assert.deepEqual(readAll(reopened), acknowledged);
  reopened.close();
});

test("when power is lost at any step of a truncation that deletes segments, then the log reopens as a prefix of what it was, never with a gap", () => {
  const config = { segmentBytes: 300, flushIntervalMessages: 1 };
  const build = (fileSystem: FileSystem) => {
    const log = PartitionLog.open(fileSystem, "/data/topic-0", config);
    for (let i = 0; i < 8; i++) appendRecords(log, 2, 100);
    return log;
  };
  const probe = new FaultyFileSystem(freshDisk());
  const probeLog = build(probe);
  assert.ok(probeLog.segments.length >= 4);
  const before = probe.operations.length;
  probeLog.truncateTo(3n);
  const steps = probe.operations.length - before;
  const truncated = readAll(probeLog).length;
  for (let step = 1; step <= steps; step++) {
    const disk = freshDisk();
    const faulty = new FaultyFileSystem(disk);
    const log = build(faulty);
    const whole = readAll(log);
    faulty.crashAtOperation(step);
    assert.throws(() => log.truncateTo(3n), SimulatedCrash);
    disk.powerLoss();
    const reopened = PartitionLog.open(disk, "/data/topic-0", config);
    const kept = readAll(reopened);
    assert.ok(kept.length >= truncated, `step ${step}: no more is gone than the truncation removes`);
    assert.ok(whole.subarray(0, kept.length).equals(kept), `step ${step}: what is kept is a prefix of the log`);
    reopened.close();
  }
});
