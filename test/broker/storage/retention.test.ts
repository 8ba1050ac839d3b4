// Retention of a log with cleanupPolicy "delete": by age, by size, never the active segment nor
// anything at or above the high watermark, nothing at all when the log is compacted. The first
// tests go through a real PartitionLog; the last ones ask segmentsPastRetention directly.

import assert from "node:assert/strict";
import { test } from "node:test";
import { defaultLogConfig } from "../../../broker/storage/log-config.ts";
import { type RetainedSegment, segmentsPastRetention } from "../../../broker/storage/retention.ts";
import { manualClock, tempDir } from "./faulty-file-system.ts";
import { appendRecords, commitAll, logFiles, openLog, readAll } from "./log-fixture.ts";

test("when the log is larger than retentionBytes, then the oldest sealed segments are deleted and logStartOffset advances", (t) => {
  const dir = tempDir(t);
  const log = openLog(t, dir, { segmentBytes: 600, retentionBytes: 1500 });
  for (let i = 0; i < 12; i++) appendRecords(log, 1, 200);
  commitAll(log);
  const before = log.segments.length;
  const result = log.applyRetention();
  assert.ok(result.deletedSegments > 0);
  assert.equal(log.segments.length, before - result.deletedSegments);
  // As in Kafka, a segment goes only if the log stays at least retentionBytes without it.
  assert.ok(log.size >= 1500 && log.size - log.segments[0]!.size < 1500);
  assert.equal(log.logStartOffset, log.segments[0]!.baseOffset);
  assert.equal(logFiles(dir).length, log.segments.length);
  assert.equal(log.read(0n, 100).kind, "offset-out-of-range");
  assert.equal(readAll(log).length, log.size);
});

test("when every sealed segment breaches retention, then the active segment is still kept", (t) => {
  const time = manualClock();
  const log = openLog(t, tempDir(t), { segmentBytes: 300, retentionBytes: 0, retentionMs: 1 }, time.clock);
  for (let i = 0; i < 5; i++) appendRecords(log, 1, 200, BigInt(time.now));
  commitAll(log);
  time.advance(1000);
  log.applyRetention();
  assert.equal(log.segments.length, 1);
  assert.equal(log.logStartOffset, 4n);
  assert.equal(log.logEndOffset, 5n);
});

test("when segments' newest batches are older than retentionMs, then those segments are deleted", (t) => {
  const time = manualClock(1_000_000);
  const log = openLog(t, tempDir(t), { segmentBytes: 300, retentionMs: 10_000 }, time.clock);
  for (let i = 0; i < 6; i++) {
    appendRecords(log, 1, 200, BigInt(time.now));
    time.advance(5_000);
  }
  commitAll(log);
  // Batch timestamps 1_000_000 .. 1_025_000, one segment each; now 1_030_000.
  assert.equal(log.segments.length, 6);
  const result = log.applyRetention();
  assert.equal(result.deletedSegments, 4);
  assert.equal(log.logStartOffset, 4n);
  assert.equal(log.applyRetention().deletedSegments, 0);
});

test("when the cleanup policy is compact, then retention deletes nothing", (t) => {
  const log = openLog(t, tempDir(t), { segmentBytes: 300, retentionBytes: 0, cleanupPolicy: "compact" });
  for (let i = 0; i < 4; i++) appendRecords(log, 1, 200);
  commitAll(log);
  assert.deepEqual(log.applyRetention(), { deletedSegments: 0, deletedBytes: 0 });
});

test("when the high watermark is behind, then a segment holding offsets at or above it is kept however old or large", (t) => {
  const time = manualClock();
  const log = openLog(t, tempDir(t), { segmentBytes: 300, retentionBytes: 0, retentionMs: 1 }, time.clock);
  for (let i = 0; i < 5; i++) appendRecords(log, 1, 200, BigInt(time.now)); // one batch per segment
  log.updateHighWatermark(2n);
  time.advance(1000);
  const twoSegments = log.segments[0]!.size + log.segments[1]!.size;
  assert.deepEqual(log.applyRetention(), { deletedSegments: 2, deletedBytes: twoSegments });
  assert.equal(log.logStartOffset, 2n);
  assert.equal(log.highWatermark, 2n);
});

/** Sealed segments of `sizes` bytes, one offset each from 0, the i-th last written at `timestamps[i]`, then an active one. */
function segmentsOf(sizes: number[], timestamps: number[]): RetainedSegment[] {
  const sealed = sizes.map((size, i) => ({
    size,
    nextOffset: BigInt(i + 1),
    largestTimestampMs: () => timestamps[i]!,
  }));
  return [...sealed, { size: 10, nextOffset: BigInt(sizes.length + 1), largestTimestampMs: () => Number.MAX_VALUE }];
}

test("when both limits apply, then segments past retentionMs go first and then as many as retentionBytes allows", () => {
  const segments = segmentsOf([100, 100, 100, 100], [1_000, 2_000, 9_000, 9_500]);
  const config = { ...defaultLogConfig, retentionMs: 5_000, retentionBytes: 150 };
  // By age: the first two (older than 10_000 − 5_000). By size: 410 − 200 = 210 bytes left, more than
  // 150, but the third cannot go: 110 would be below 150.
  assert.deepEqual(segmentsPastRetention(segments, 100n, config, 10_000), { deletedSegments: 2, deletedBytes: 200 });
  assert.deepEqual(segmentsPastRetention(segments, 100n, { ...config, retentionBytes: 100 }, 10_000), {
    deletedSegments: 3,
    deletedBytes: 300,
  });
});

test("when retention is -1 for time and size, then nothing is past it", () => {
  const segments = segmentsOf([100, 100], [0, 0]);
  const config = { ...defaultLogConfig, retentionMs: -1, retentionBytes: -1 };
  assert.deepEqual(segmentsPastRetention(segments, 100n, config, 1e12), { deletedSegments: 0, deletedBytes: 0 });
});

test("when a segment's age equals retentionMs exactly, then it is kept", () => {
  const segments = segmentsOf([100], [5_000]);
  const config = { ...defaultLogConfig, retentionMs: 5_000 };
  assert.deepEqual(segmentsPastRetention(segments, 100n, config, 10_000), { deletedSegments: 0, deletedBytes: 0 });
  assert.deepEqual(segmentsPastRetention(segments, 100n, config, 10_001), { deletedSegments: 1, deletedBytes: 100 });
});
