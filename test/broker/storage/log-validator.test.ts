// What append checks and rewrites before the bytes are stored: only whole magic-2 batches with
// a usable lastOffsetDelta are taken, offsets run on consecutively and the leader epoch is
// stamped in place, and nothing else in the batch changes; and what a follower's batches must be.

import assert from "node:assert/strict";
import { test } from "node:test";
import { BatchField, readBatchHeader } from "../../../broker/protocol/record-batch/layout.ts";
import { splitBatches } from "../../../broker/protocol/record-batch/splitter.ts";
import {
  appendableBatches,
  assignOffsets,
  followerBatches,
  MalformedRecordsError,
  OffsetsOutOfOrderError,
  UnexpectedAppendOffsetError,
} from "../../../broker/storage/log-validator.ts";
import { NO_TIMESTAMP } from "../../../broker/storage/record-batch.ts";
import { batchOfSize, buildBatch } from "./batch-builder.ts";

test("when the records are not whole magic-2 batches, or none, then they are refused as malformed", () => {
  const oldMagic = batchOfSize(1, 1);
  oldMagic.writeInt8(1, 16);
  assert.throws(() => appendableBatches(oldMagic), MalformedRecordsError);
  assert.throws(() => appendableBatches(Buffer.alloc(0)), MalformedRecordsError);
  assert.throws(() => appendableBatches(batchOfSize(1, 1), []), /no batch to append/);
});

test("when a batch's lastOffsetDelta is negative, then the records are refused and the error names its position", () => {
  const good = batchOfSize(2, 10);
  const bad = batchOfSize(1, 10);
  bad.writeInt32BE(-1, BatchField.lastOffsetDelta);
  const records = Buffer.concat([good, bad]);
  assert.throws(() => appendableBatches(records), MalformedRecordsError);
  assert.throws(() => appendableBatches(records), { message: `batch at byte ${good.length} has lastOffsetDelta -1` });
});

test("when the caller passes the batches it split, then those are the batches appended", () => {
  const records = Buffer.concat([batchOfSize(2, 10), batchOfSize(3, 10)]);
  const { batches } = splitBatches(records);
  assert.equal(appendableBatches(records, batches), batches);
  assert.deepEqual(appendableBatches(records), batches);
});

test("when offsets are assigned, then base offsets run on from the given one, the epoch is stamped, and nothing else changes", () => {
  const input = [
    buildBatch({ baseTimestamp: 5_000n, records: [{ value: "a" }, { value: "b", timestampDelta: 30 }] }),
    buildBatch({ baseTimestamp: 4_000n, records: [{ value: "c" }] }),
    buildBatch({ baseTimestamp: 6_000n, records: [{ value: "d" }, { value: "e" }, { value: "f" }] }),
  ];
  const records = Buffer.concat(input);
  const pristine = Buffer.from(records);
  const batches = appendableBatches(records);
  const assigned = assignOffsets(records, batches, 40n, 9);
  assert.deepEqual(assigned, { lastOffset: 45n, maxTimestamp: 6_000n, recordCount: 6 });
  assert.deepEqual(
    batches.map(({ position }) => readBatchHeader(records, position).baseOffset),
    [40n, 42n, 43n],
  );
  for (const { position, size } of batches) {
    assert.equal(readBatchHeader(records, position).partitionLeaderEpoch, 9);
    // Past the leader epoch (from magic on) the bytes are as sent; the CRC covers them and stays valid.
    const rest = position + BatchField.magic;
    assert.deepEqual(records.subarray(rest, position + size), pristine.subarray(rest, position + size));
  }
});

test("when no batch carries a timestamp, then the largest timestamp is NO_TIMESTAMP", () => {
  const records = buildBatch({ baseTimestamp: -1n, records: [{ value: "x" }] });
  assert.equal(assignOffsets(records, appendableBatches(records), 0n, 0).maxTimestamp, NO_TIMESTAMP);
});

/** Batches as a leader stored them, offsets from `baseOffset` on, `count` records each. */
function leaderBatches(baseOffset: bigint, ...counts: number[]): Buffer {
  let next = baseOffset;
  return Buffer.concat(
    counts.map((count) => {
      const batch = batchOfSize(count, 10, { baseOffset: next, partitionLeaderEpoch: 3 });
      next += BigInt(count);
      return batch;
    }),
  );
}

test("when a follower's batches start at the log end with rising offsets, then they are taken with their offsets untouched", () => {
  const records = leaderBatches(10n, 2, 3);
  const pristine = Buffer.from(records);
  const checked = followerBatches(records, 10n);
  assert.deepEqual(
    [checked.baseOffset, checked.lastOffset, checked.recordCount, checked.batches.length],
    [10n, 14n, 5, 2],
  );
  assert.deepEqual(records, pristine);
});

test("when a follower's batches start below the log end, then UnexpectedAppendOffsetError carries both offsets", () => {
  assert.throws(
    () => followerBatches(leaderBatches(8n, 2), 10n),
    (error: unknown) =>
      error instanceof UnexpectedAppendOffsetError && error.firstOffset === 8n && error.logEndOffset === 10n,
  );
  // Above the log end is a gap, as compaction leaves on the leader: accepted.
  assert.equal(followerBatches(leaderBatches(12n, 2), 10n).baseOffset, 12n);
});

test("when a follower's batches overlap, then OffsetsOutOfOrderError names the batch", () => {
  const records = Buffer.concat([leaderBatches(0n, 3), leaderBatches(1n, 2)]);
  assert.throws(() => followerBatches(records, 0n), OffsetsOutOfOrderError);
});

test("when a follower's batch fails its CRC or is torn, then the records are refused as malformed", () => {
  const records = leaderBatches(0n, 2);
  const corrupt = Buffer.from(records);
  corrupt[corrupt.length - 1]! ^= 0xff;
  assert.throws(() => followerBatches(corrupt, 0n), { message: "batch at byte 0 fails its CRC check" });
  assert.throws(() => followerBatches(records.subarray(0, 30), 0n), MalformedRecordsError);
});
