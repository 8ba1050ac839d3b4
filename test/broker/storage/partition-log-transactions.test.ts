// The partition log's aborted transactions (its segments' txn indexes): indexed in the segment
// of the abort's marker, searched from the fetch's segment on, cut by a truncation, deleted with
// their segments by retention, DeleteRecords and a full truncation, and found again on reopening.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { segmentFileName } from "../../../broker/storage/log-files.ts";
import type { PartitionLog } from "../../../broker/storage/partition-log.ts";
import type { AbortedTxn } from "../../../broker/storage/transaction-index.ts";
import { tempDir } from "./faulty-file-system.ts";
import { appendRecords, commitAll, openLog } from "./log-fixture.ts";

const txnIndexFiles = (dir: string) =>
  fs
    .readdirSync(dir)
    .filter((name) => name.endsWith(".txnindex"))
    .sort();

/** Appends `count` single-record batches, then an abort (its marker being the next offset) of `producerId` from `firstOffset`. */
function abortAfter(log: PartitionLog, count: number, producerId: bigint, firstOffset: bigint): AbortedTxn {
  for (let i = 0; i < count; i++) appendRecords(log, 1, 100);
  const lastOffset = log.logEndOffset;
  appendRecords(log, 1, 100); // the marker's place
  const txn = { producerId, firstOffset, lastOffset, lastStableOffset: lastOffset + 1n };
  log.appendAbortedTransaction(txn);
  return txn;
}

test("when aborts are indexed across segments, then each is in its marker's segment's file and a fetch finds those in its range", (t) => {
  const dir = tempDir(t);
  const log = openLog(t, dir, { segmentBytes: 500 });
  const first = abortAfter(log, 2, 7n, 0n);
  const second = abortAfter(log, 3, 8n, 3n);
  const third = abortAfter(log, 3, 9n, 7n);
  assert.ok(log.segments.length >= 3, "the aborts lie in several segments");
  assert.equal(txnIndexFiles(dir).length, 3);
  assert.deepEqual(log.abortedTransactions(0n, log.logEndOffset), [first, second, third]);
  assert.deepEqual(log.abortedTransactions(first.lastOffset + 1n, log.logEndOffset), [second, third]);
  assert.deepEqual(log.abortedTransactions(0n, 3n), [first]);
  log.close();
  const reopened = openLog(t, dir, { segmentBytes: 500 });
  assert.deepEqual(reopened.abortedTransactions(0n, reopened.logEndOffset), [first, second, third]);
});

test("when the log is truncated below a marker, then that abort and its emptied segment's file go", (t) => {
  const dir = tempDir(t);
  const log = openLog(t, dir, { segmentBytes: 500 });
  const first = abortAfter(log, 2, 7n, 0n);
  const second = abortAfter(log, 3, 8n, 3n);
  log.truncateTo(second.lastOffset);
  assert.deepEqual(log.abortedTransactions(0n, log.logEndOffset), [first]);
  log.truncateTo(first.lastOffset);
  assert.deepEqual(log.abortedTransactions(0n, log.logEndOffset), []);
  log.truncateFullyAndStartAt(100n);
  assert.deepEqual(txnIndexFiles(dir), []);
});

test("when retention or DeleteRecords deletes segments, then their txn indexes are deleted with them", (t) => {
  const dir = tempDir(t);
  const log = openLog(t, dir, { segmentBytes: 500, retentionBytes: 1 });
  abortAfter(log, 2, 7n, 0n);
  const second = abortAfter(log, 3, 8n, 3n);
  abortAfter(log, 3, 9n, 7n);
  appendRecords(log, 1, 100);
  commitAll(log);
  log.advanceLogStartOffset(second.firstOffset);
  assert.equal(txnIndexFiles(dir).includes(segmentFileName(0n, ".txnindex")), false);
  log.applyRetention();
  // Retention keeps the active segment only, with the index of the abort whose marker it holds.
  assert.equal(log.segments.length, 1);
  const kept = segmentFileName(log.segments[0]!.baseOffset, ".txnindex");
  assert.deepEqual(
    txnIndexFiles(dir).filter((name) => name !== kept),
    [],
  );
  assert.deepEqual(
    log.abortedTransactions(log.logStartOffset, log.logEndOffset).map((txn) => txn.producerId),
    fs.existsSync(join(dir, kept)) ? [9n] : [],
  );
});
