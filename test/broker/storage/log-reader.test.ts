// Reading across segments, straight on a log's segments: batches cross segment boundaries,
// timestamps are found in later segments, and the batch iterator starts inside a batch.

import assert from "node:assert/strict";
import { test } from "node:test";
import { batchesFrom, findOffsetForTimestamp, readBatches } from "../../../broker/storage/log-reader.ts";
import { tempDir } from "./faulty-file-system.ts";
import { appendRecords, openLog } from "./log-fixture.ts";

test("when reading from one segment into the next, then whole batches come from both up to maxBytes", (t) => {
  const log = openLog(t, tempDir(t), { segmentBytes: 300 });
  const batches = Array.from({ length: 6 }, () => appendRecords(log, 2, 100));
  assert.ok(log.segments.length >= 3);
  const read = readBatches(log.segments, 2n, batches[0]!.length * 3, false, log.logEndOffset);
  assert.deepEqual(Buffer.concat(read.chunks), Buffer.concat(batches.slice(1, 4)));
  assert.equal(read.size, batches[0]!.length * 3);
  const bounded = readBatches(log.segments, 0n, Number.MAX_SAFE_INTEGER, false, 4n);
  assert.deepEqual(Buffer.concat(bounded.chunks), Buffer.concat(batches.slice(0, 2)));
});

test("when looking for a timestamp held by a later segment, then its first batch at or after it is found", (t) => {
  const log = openLog(t, tempDir(t), { segmentBytes: 300 });
  for (let i = 0; i < 6; i++) appendRecords(log, 2, 100, 1_000n + BigInt(i) * 10n);
  assert.deepEqual(findOffsetForTimestamp(log.segments, 1_041n, 0n), { offset: 10n, timestamp: 1_050n });
  assert.deepEqual(findOffsetForTimestamp(log.segments, 0n, 1n), { offset: 1n, timestamp: 1_000n });
  assert.equal(findOffsetForTimestamp(log.segments, 2_000n, 0n), null);
});

test("when iterating from inside a batch, then that batch comes first and the rest follow across segments", (t) => {
  const log = openLog(t, tempDir(t), { segmentBytes: 300 });
  for (let i = 0; i < 6; i++) appendRecords(log, 2, 100);
  assert.deepEqual(
    [...batchesFrom(log.segments, 5n)].map((batch) => batch.baseOffset),
    [4n, 6n, 8n, 10n],
  );
});
