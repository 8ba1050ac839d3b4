// One segment: appending and reading whole batches (by offset, within maxBytes, under an upper
// bound, through a sparse index), header scans, lookups by time, truncation, the cleaner's swap,
// deletion. Rebuilding a segment's state on open is in segment-recovery.test.ts.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { nodeFileSystem } from "../../../broker/storage/file-system.ts";
import { CLEANED_FILE_SUFFIX, segmentFileName } from "../../../broker/storage/log-files.ts";
import { readStoredBatchHeader } from "../../../broker/storage/record-batch.ts";
import { Segment, segmentIndexFor } from "../../../broker/storage/segment.ts";
import { batchOfSize, buildBatch } from "./batch-builder.ts";
import { tempDir } from "./faulty-file-system.ts";
import { appendBatches, BASE, createSegment, options } from "./segment-fixture.ts";

test("when batches are appended, then reading from the base returns the same bytes and offsets advance", (t) => {
  const segment = createSegment(t, tempDir(t));
  const batches = appendBatches(segment, 5);
  assert.equal(segment.nextOffset, BASE + 15n);
  assert.equal(segment.size, Buffer.concat(batches).length);
  const { data, stoppedBy } = segment.read(BASE, 1 << 20, true);
  assert.deepEqual(data, Buffer.concat(batches));
  assert.equal(stoppedBy, "segment-end");
  assert.equal(fs.readFileSync(segment.logPath).equals(Buffer.concat(batches)), true);
});

test("when reading from an offset inside a batch, then the whole containing batch comes first", (t) => {
  const segment = createSegment(t, tempDir(t));
  const batches = appendBatches(segment, 5);
  for (const [i, batch] of batches.entries()) {
    for (const delta of [0n, 1n, 2n]) {
      const { data } = segment.read(BASE + 3n * BigInt(i) + delta, batch.length, false);
      assert.deepEqual(data, batch, `batch ${i}, delta ${delta}`);
    }
  }
});

test("when maxBytes cuts through a batch, then only whole batches that fit are returned", (t) => {
  const segment = createSegment(t, tempDir(t));
  const batches = appendBatches(segment, 4);
  const twoAndAHalf = batches[0]!.length + batches[1]!.length + batches[2]!.length / 2;
  const { data, stoppedBy } = segment.read(BASE, twoAndAHalf, true);
  assert.deepEqual(data, Buffer.concat(batches.slice(0, 2)));
  assert.equal(stoppedBy, "max-bytes");
});

test("when the first batch is larger than maxBytes, then minOneBatch returns it whole and otherwise nothing", (t) => {
  const segment = createSegment(t, tempDir(t));
  const batches = appendBatches(segment, 2);
  assert.deepEqual(segment.read(BASE, 10, true).data, batches[0]);
  assert.equal(segment.read(BASE, 10, false).data.length, 0);
  assert.equal(segment.read(BASE, 10, false).stoppedBy, "max-bytes");
});

test("when an upper bound offset is given, then batches holding offsets at or above it are left out", (t) => {
  const segment = createSegment(t, tempDir(t));
  const batches = appendBatches(segment, 3);
  const read = segment.read(BASE, 1 << 20, true, BASE + 6n);
  assert.deepEqual(read.data, Buffer.concat(batches.slice(0, 2)));
  assert.equal(read.stoppedBy, "upper-bound");
  assert.equal(segment.read(BASE, 1 << 20, true, BASE + 5n).data.length, batches[0]!.length);
});

test("when reading at or beyond the next offset, then nothing is returned", (t) => {
  const segment = createSegment(t, tempDir(t));
  appendBatches(segment, 2);
  assert.equal(segment.read(segment.nextOffset, 1000, true).data.length, 0);
});

test("when the index is sparse, then reads at every offset still find the right batch", (t) => {
  const segment = createSegment(t, tempDir(t), 500);
  const batches = appendBatches(segment, 40, 2, 30);
  assert.ok(segment.offsetIndex.entryCount > 3 && segment.offsetIndex.entryCount < 40);
  for (const [i, batch] of batches.entries()) {
    assert.deepEqual(segment.read(BASE + 2n * BigInt(i) + 1n, 1, true).data, batch);
  }
});

test("when iterating batches from an offset, then each comes with its position and header fields", (t) => {
  const segment = createSegment(t, tempDir(t));
  const batches = appendBatches(segment, 4);
  const seen = [...segment.batches(BASE + 4n, 64)];
  assert.deepEqual(
    seen.map((b) => b.baseOffset),
    [BASE + 3n, BASE + 6n, BASE + 9n],
  );
  assert.deepEqual(
    seen.map((b) => b.bytes),
    batches.slice(1),
  );
  assert.equal(seen[0]!.position, batches[0]!.length);
  assert.equal(seen[0]!.segmentBaseOffset, BASE);
  assert.equal(seen[2]!.recordCount, 3);
});

test("when searching by timestamp, then the first batch whose max timestamp reaches it is found", (t) => {
  const segment = createSegment(t, tempDir(t), 200);
  appendBatches(segment, 30, 1); // batch i: offset BASE+i, timestamp 10000 + 100 i
  assert.ok(segment.timeIndex.entryCount > 1);
  assert.deepEqual(segment.findByTimestamp(0n, BASE), { offset: BASE, timestamp: 10_000n });
  assert.deepEqual(segment.findByTimestamp(10_000n, BASE), { offset: BASE, timestamp: 10_000n });
  for (let i = 1; i < 30; i++) {
    const timestamp = 10_000n + BigInt(i) * 100n;
    assert.deepEqual(segment.findByTimestamp(timestamp, BASE), { offset: BASE + BigInt(i), timestamp }, `exact ${i}`);
    assert.deepEqual(
      segment.findByTimestamp(timestamp - 50n, BASE),
      { offset: BASE + BigInt(i), timestamp },
      `between ${i}`,
    );
  }
  assert.equal(segment.findByTimestamp(10_000n + 2_901n, BASE), null);
  assert.deepEqual(segment.findByTimestamp(0n, BASE + 7n), { offset: BASE + 7n, timestamp: 10_700n });
});

test("when truncated to an offset, then later batches are gone, indexes follow, and appends continue there", (t) => {
  const segment = createSegment(t, tempDir(t), 0);
  const batches = appendBatches(segment, 5);
  const removed = segment.truncateTo(BASE + 7n); // inside batch 2 (offsets 106..108): it goes whole
  assert.equal(removed, Buffer.concat(batches.slice(2)).length);
  assert.equal(segment.size, batches[0]!.length + batches[1]!.length);
  assert.equal(segment.nextOffset, BASE + 7n);
  assert.equal(segment.maxTimestamp, 10_100n);
  assert.deepEqual(segment.offsetIndex.lastEntry, { offset: BASE + 3n, position: batches[0]!.length });
  const next = batchOfSize(1, 10, { baseOffset: BASE + 7n, baseTimestamp: 20_000n });
  segment.append(next, BASE + 7n, BASE + 7n, 20_000n);
  assert.deepEqual(segment.read(BASE + 7n, 1000, true).data, next);
});

test("when several batches are appended at once, then each is indexed as recovery would, so truncating the later ones leaves no index entry of theirs", (t) => {
  const segment = createSegment(t, tempDir(t), 1);
  appendBatches(segment, 1);
  const early = batchOfSize(1, 10, { baseOffset: BASE + 3n, baseTimestamp: 20_000n });
  const late = batchOfSize(2, 10, { baseOffset: BASE + 4n, baseTimestamp: 30_000n });
  segment.append(Buffer.concat([early, late]), BASE + 3n, BASE + 5n, 30_000n);
  assert.deepEqual(segment.timeIndex.lastEntry, { timestamp: 30_000n, offset: BASE + 4n });
  assert.deepEqual(segment.offsetIndex.lastEntry, { offset: BASE + 4n, position: segment.size - late.length });
  segment.truncateTo(BASE + 4n);
  assert.equal(segment.maxTimestamp, 20_000n);
  assert.deepEqual(segment.timeIndex.lastEntry, { timestamp: 20_000n, offset: BASE + 3n });
  assert.equal(segment.findByTimestamp(25_000n, BASE), null);
});

test("when a cleaned segment replaces the original, then the files carry the final names and new content", (t) => {
  const dir = tempDir(t);
  const original = Segment.create(nodeFileSystem, dir, BASE, options(0));
  appendBatches(original, 3);
  const cleaned = Segment.create(nodeFileSystem, dir, BASE, options(0), CLEANED_FILE_SUFFIX);
  const kept = buildBatch({ baseOffset: BASE + 4n, records: [{ key: "k", value: "v", offsetDelta: 0 }] });
  cleaned.append(kept, BASE + 4n, BASE + 4n, readStoredBatchHeader(kept).maxTimestamp);
  cleaned.flush();
  assert.ok(fs.existsSync(join(dir, segmentFileName(BASE, ".log") + CLEANED_FILE_SUFFIX)));
  cleaned.replace(original);
  t.after(() => cleaned.close());
  assert.deepEqual(
    fs.readdirSync(dir).sort(),
    [".index", ".log", ".timeindex"].map((s) => segmentFileName(BASE, s)).sort(),
  );
  assert.deepEqual(fs.readFileSync(join(dir, segmentFileName(BASE, ".log"))), kept);
  assert.equal(cleaned.logPath, join(dir, segmentFileName(BASE, ".log")));
});

test("when creating a segment over existing data, then it refuses", (t) => {
  const dir = tempDir(t);
  const segment = createSegment(t, dir);
  appendBatches(segment, 1);
  assert.throws(() => Segment.create(nodeFileSystem, dir, BASE, options()), /already holds/);
});

test("when deleted, then all three files are gone", (t) => {
  const dir = tempDir(t);
  const segment = Segment.create(nodeFileSystem, dir, BASE, options());
  appendBatches(segment, 2);
  segment.delete();
  assert.deepEqual(fs.readdirSync(dir), []);
});

test("when iterating batch headers from an offset, then the headers of the batches from the one holding it come in order", (t) => {
  const segment = createSegment(t, tempDir(t), 100);
  const batches = appendBatches(segment, 6);
  const headers = [...segment.batchHeaders(BASE + 7n)];
  assert.deepEqual(
    headers.map((header) => [header.baseOffset, header.lastOffset]),
    [6n, 9n, 12n, 15n].map((delta) => [BASE + delta, BASE + delta + 2n]),
  );
  assert.deepEqual(headers[0], readStoredBatchHeader(batches[2]!));
  assert.deepEqual([...segment.batchHeaders(BASE + 18n)], []);
});

test("when finding the segment for an offset, then it is the last one based at or below it", () => {
  const segments = [0n, 10n, 25n].map((baseOffset) => ({ baseOffset }) as Segment);
  assert.deepEqual(
    [0n, 9n, 10n, 24n, 25n, 1000n].map((offset) => segmentIndexFor(segments, offset)),
    [0, 0, 1, 1, 2, 2],
  );
});
