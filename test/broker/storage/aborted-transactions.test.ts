// The aborted transactions of a log across its segments' txn indexes: which segment's file an
// abort goes to, the search across segments, forgetting from an offset, and a segment's index
// deleted with it.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AbortedTransactions } from "../../../broker/storage/aborted-transactions.ts";
import type { AbortedTxn } from "../../../broker/storage/transaction-index.ts";
import { SimulatedDisk } from "./simulated-disk.ts";

const DIR = "/data/t-0";
const fileOf = (base: bigint) => `${DIR}/${base.toString().padStart(20, "0")}.txnindex`;
const txn = (
  producerId: bigint,
  firstOffset: bigint,
  lastOffset: bigint,
  lastStableOffset = lastOffset + 1n,
): AbortedTxn => ({
  producerId,
  firstOffset,
  lastOffset,
  lastStableOffset,
});

function disk(): SimulatedDisk {
  const simulated = new SimulatedDisk();
  simulated.mkdirp(DIR);
  return simulated;
}

describe("AbortedTransactions", () => {
  it("when aborts are indexed in two segments, then each goes to its segment's file and reopening finds both", () => {
    const fs = disk();
    const aborted = AbortedTransactions.open(fs, DIR, [0n, 10n]);
    aborted.append(0n, txn(7n, 0n, 5n));
    aborted.append(10n, txn(8n, 6n, 12n));
    aborted.close();
    assert.ok(fs.exists(fileOf(0n)) && fs.exists(fileOf(10n)));
    const reopened = AbortedTransactions.open(fs, DIR, [0n, 10n]);
    assert.deepEqual(reopened.all(), [txn(7n, 0n, 5n), txn(8n, 6n, 12n)]);
    reopened.close();
  });

  it("when a fetch's range is searched, then the segments from the fetch's on are searched until an entry shows no later one can qualify", () => {
    const aborted = AbortedTransactions.open(disk(), DIR, [0n, 10n, 20n]);
    aborted.append(0n, txn(7n, 0n, 5n, 6n));
    aborted.append(10n, txn(8n, 6n, 12n, 13n));
    aborted.append(20n, txn(9n, 14n, 25n, 26n));
    const segments = [0n, 10n, 20n].map((baseOffset) => ({ baseOffset }));
    const producers = (first: number, from: bigint, to: bigint) =>
      aborted.collect(segments, first, from, to).map((t) => t.producerId);
    assert.deepEqual(producers(0, 0n, 13n), [7n, 8n]);
    assert.deepEqual(producers(0, 0n, 40n), [7n, 8n, 9n]);
    assert.deepEqual(producers(1, 13n, 40n), [9n]);
    aborted.close();
  });

  it("when forgetting from an offset, then every segment's aborts with a marker at or after it go", () => {
    const aborted = AbortedTransactions.open(disk(), DIR, [0n, 10n]);
    aborted.append(0n, txn(7n, 0n, 5n));
    aborted.append(10n, txn(8n, 6n, 12n));
    aborted.forgetFrom(5n);
    assert.deepEqual(aborted.all(), []);
    aborted.close();
  });

  it("when a segment is deleted, then its index file goes with it, and a leftover file of a segment without one goes too", () => {
    const fs = disk();
    const aborted = AbortedTransactions.open(fs, DIR, [0n, 10n]);
    aborted.append(0n, txn(7n, 0n, 5n));
    aborted.removeSegment(0n);
    assert.equal(fs.exists(fileOf(0n)), false);
    fs.open(fileOf(10n), { create: true }).close();
    aborted.removeSegment(10n);
    assert.equal(fs.exists(fileOf(10n)), false);
    assert.deepEqual(aborted.all(), []);
    aborted.close();
  });
});
