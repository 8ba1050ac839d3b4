// Rebuilding a segment's state on open: from its indexes after a clean close, by recovery when
// the log's tail is torn or corrupt or an index is damaged; recovery's checks of each batch;
// and the rolling base time a reopened segment takes.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { BatchField } from "../../../broker/protocol/record-batch/layout.ts";
import { nodeFileSystem } from "../../../broker/storage/file-system.ts";
import { segmentFileName } from "../../../broker/storage/log-files.ts";
import { readStoredBatchHeader } from "../../../broker/storage/record-batch.ts";
import { Segment } from "../../../broker/storage/segment.ts";
import { recoverLog, rollingBaseTimeAfterRestart } from "../../../broker/storage/segment-recovery.ts";
import { batchOfSize } from "./batch-builder.ts";
import { tempDir } from "./faulty-file-system.ts";
import { appendBatches, BASE, options } from "./segment-fixture.ts";

test("when a segment is reopened after a clean close, then state comes from the indexes without recovery", (t) => {
  const dir = tempDir(t);
  const segment = Segment.create(nodeFileSystem, dir, BASE, options(300));
  appendBatches(segment, 20);
  segment.onBecomeInactive();
  segment.flush();
  const expected = { nextOffset: segment.nextOffset, maxTimestamp: segment.maxTimestamp, size: segment.size };
  segment.close();
  const { segment: reopened, recovery } = Segment.open(nodeFileSystem, dir, BASE, options(300), { recover: false });
  t.after(() => reopened.close());
  assert.equal(recovery, null);
  assert.deepEqual(
    { nextOffset: reopened.nextOffset, maxTimestamp: reopened.maxTimestamp, size: reopened.size },
    expected,
  );
  // After a restart segment age counts from the first batch's timestamp, which is older than the clock.
  assert.equal(reopened.rollingBaseTimeMs, 10_000);
});

test("when the tail of the log is torn, then recovery cuts it at the last whole batch and rebuilds the indexes", (t) => {
  const dir = tempDir(t);
  const segment = Segment.create(nodeFileSystem, dir, BASE, options(0));
  const batches = appendBatches(segment, 6);
  const entriesBefore = segment.offsetIndex.entryCount;
  segment.close();
  const wholeSize = Buffer.concat(batches.slice(0, 5)).length;
  fs.truncateSync(join(dir, segmentFileName(BASE, ".log")), wholeSize + 17);
  const { segment: recovered, recovery } = Segment.open(nodeFileSystem, dir, BASE, options(0), { recover: true });
  t.after(() => recovered.close());
  assert.deepEqual(recovery, { validBytes: wholeSize, truncatedBytes: 17, batchCount: 5, problem: "torn-header" });
  assert.equal(recovered.size, wholeSize);
  assert.equal(recovered.nextOffset, BASE + 15n);
  assert.equal(recovered.offsetIndex.entryCount, entriesBefore - 1);
  assert.deepEqual(recovered.read(BASE + 13n, 1000, true).data, batches[4]);
});

test("when a byte of the last batch is flipped, then recovery drops that batch for its CRC", (t) => {
  const dir = tempDir(t);
  const segment = Segment.create(nodeFileSystem, dir, BASE, options(0));
  const batches = appendBatches(segment, 3);
  segment.close();
  const path = join(dir, segmentFileName(BASE, ".log"));
  const bytes = fs.readFileSync(path);
  bytes[bytes.length - 5]! ^= 0x01;
  fs.writeFileSync(path, bytes);
  const { segment: recovered, recovery } = Segment.open(nodeFileSystem, dir, BASE, options(0), { recover: true });
  t.after(() => recovered.close());
  assert.equal(recovery?.problem, "crc-mismatch");
  assert.equal(recovered.size, batches[0]!.length + batches[1]!.length);
  assert.equal(recovered.nextOffset, BASE + 6n);
});

test("when an index is missing or torn, then opening rebuilds it from the log", (t) => {
  for (const damage of ["missing", "torn"] as const) {
    const dir = tempDir(t);
    const segment = Segment.create(nodeFileSystem, dir, BASE, options(0));
    const batches = appendBatches(segment, 8);
    segment.flush();
    segment.close();
    const indexPath = join(dir, segmentFileName(BASE, ".index"));
    if (damage === "missing") fs.rmSync(indexPath);
    else fs.appendFileSync(indexPath, Buffer.from([7, 7, 7]));
    const { segment: reopened, recovery } = Segment.open(nodeFileSystem, dir, BASE, options(0), { recover: false });
    assert.notEqual(recovery, null, damage);
    assert.equal(reopened.offsetIndex.entryCount, 8, damage);
    assert.deepEqual(reopened.read(BASE + 20n, 1, true).data, batches[6], damage);
    reopened.close();
  }
});

test("when a batch's offsets cannot follow the one before, then recovery keeps what came before it and says why", (t) => {
  const first = batchOfSize(3, 10, { baseOffset: BASE }); // BASE .. BASE+2
  const negativeDelta = batchOfSize(1, 10, { baseOffset: BASE + 3n });
  negativeDelta.writeInt32BE(-1, BatchField.lastOffsetDelta);
  for (const [bad, problem] of [
    [batchOfSize(1, 10, { baseOffset: BASE + 2n }), "offset-not-increasing"],
    [negativeDelta, "negative-last-offset-delta"],
    [batchOfSize(1, 10, { baseOffset: BASE + 0x80000000n }), "offset-beyond-segment-range"],
  ] as const) {
    const path = join(tempDir(t), segmentFileName(BASE, ".log"));
    const whole = Buffer.concat([first, bad, batchOfSize(1, 10, { baseOffset: BASE + 9n })]);
    fs.writeFileSync(path, whole);
    const log = nodeFileSystem.open(path, { create: false });
    const seen: Array<[number, bigint]> = [];
    const result = recoverLog(log, BASE, (position, header) => seen.push([position, header.baseOffset]));
    log.close();
    assert.deepEqual(
      result,
      { validBytes: first.length, truncatedBytes: whole.length - first.length, batchCount: 1, problem },
      problem,
    );
    assert.deepEqual(seen, [[0, BASE]], problem);
    assert.equal(fs.statSync(path).size, first.length, problem);
  }
});

test("when a valid log is recovered, then every batch is handed over in order and nothing is cut", (t) => {
  const path = join(tempDir(t), segmentFileName(BASE, ".log"));
  const batches = [0n, 3n, 4n].map((delta) => batchOfSize(delta === 0n ? 3 : 1, 10, { baseOffset: BASE + delta }));
  fs.writeFileSync(path, Buffer.concat(batches));
  const log = nodeFileSystem.open(path, { create: false });
  t.after(() => log.close());
  const seen: bigint[] = [];
  const result = recoverLog(log, BASE, (_, header) => seen.push(header.lastOffset));
  const total = Buffer.concat(batches).length;
  assert.deepEqual(result, { validBytes: total, truncatedBytes: 0, batchCount: 3, problem: null });
  assert.deepEqual(seen, [BASE + 2n, BASE + 3n, BASE + 4n]);
});

test("when a segment is reopened, then its age counts from its first batch's timestamp if earlier than now, else from now", () => {
  const header = (timestamp: bigint) => readStoredBatchHeader(batchOfSize(1, 1, { baseTimestamp: timestamp }));
  assert.equal(rollingBaseTimeAfterRestart(header(10_000n), 50_000), 10_000);
  assert.equal(rollingBaseTimeAfterRestart(header(90_000n), 50_000), 50_000, "a timestamp from the future");
  assert.equal(rollingBaseTimeAfterRestart(header(-1n), 50_000), 50_000, "no timestamp");
});
