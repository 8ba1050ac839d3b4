// A segment's transaction index: the exact bytes of an AbortedTxn entry, what opening keeps of a
// torn file, truncation, and the search a read_committed fetch makes.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ABORTED_TXN_BYTES,
  type AbortedTxn,
  decodeAbortedTxns,
  encodeAbortedTxn,
  TransactionIndex,
} from "../../../broker/storage/transaction-index.ts";
import { SimulatedDisk } from "./simulated-disk.ts";

const PATH = "/data/00000000000000000000.txnindex";

const txn = (producerId: bigint, firstOffset: bigint, lastOffset: bigint, lastStableOffset: bigint): AbortedTxn => ({
  producerId,
  firstOffset,
  lastOffset,
  lastStableOffset,
});

function disk(): SimulatedDisk {
  const simulated = new SimulatedDisk();
  simulated.mkdirp("/data");
  return simulated;
}

describe("TransactionIndex", () => {
  it("when an aborted transaction is encoded, then the 34 bytes are version 0, producer id, first, last and last stable offsets", () => {
    const bytes = encodeAbortedTxn(txn(2n ** 40n, 10n, 12n, 13n));
    const expected = Buffer.from(
      ["0000", "0000010000000000", "000000000000000a", "000000000000000c", "000000000000000d"].join(""),
      "hex",
    );
    assert.equal(bytes.length, ABORTED_TXN_BYTES);
    assert.deepEqual(bytes, expected);
    assert.deepEqual(decodeAbortedTxns(Buffer.concat([bytes, bytes.subarray(0, 5)])), [txn(2n ** 40n, 10n, 12n, 13n)]);
  });

  it("when no transaction was aborted, then there is no file; the first abort creates it", () => {
    const fs = disk();
    const index = TransactionIndex.open(fs, PATH);
    assert.equal(fs.exists(PATH), false);
    index.append(txn(7n, 0n, 2n, 3n));
    assert.deepEqual(fs.contentOf(PATH), encodeAbortedTxn(txn(7n, 0n, 2n, 3n)));
    index.close();
  });

  it("when the index is reopened after a write torn by a crash, then the whole entries are kept and the torn tail cut off", () => {
    const fs = disk();
    fs.open(PATH, { create: true }).close();
    fs.overwrite(PATH, Buffer.concat([encodeAbortedTxn(txn(7n, 0n, 2n, 3n)), Buffer.alloc(20, 1)]));
    const index = TransactionIndex.open(fs, PATH);
    assert.deepEqual(index.entries, [txn(7n, 0n, 2n, 3n)]);
    assert.equal(fs.contentOf(PATH).length, ABORTED_TXN_BYTES);
    index.append(txn(8n, 3n, 5n, 6n));
    assert.deepEqual(decodeAbortedTxns(fs.contentOf(PATH)), [txn(7n, 0n, 2n, 3n), txn(8n, 3n, 5n, 6n)]);
    index.close();
  });

  it("when an abort's marker does not come after the last one indexed, then append throws", () => {
    const index = TransactionIndex.open(disk(), PATH);
    index.append(txn(7n, 0n, 5n, 6n));
    assert.throws(() => index.append(txn(8n, 1n, 5n, 6n)));
    index.close();
  });

  it("when truncated from an offset, then the aborts whose marker is at or after it go, in the file too", () => {
    const fs = disk();
    const index = TransactionIndex.open(fs, PATH);
    index.append(txn(7n, 0n, 2n, 3n));
    index.append(txn(8n, 1n, 4n, 5n));
    index.truncateFrom(4n);
    assert.deepEqual(index.entries, [txn(7n, 0n, 2n, 3n)]);
    assert.equal(fs.contentOf(PATH).length, ABORTED_TXN_BYTES);
    index.close();
  });

  it("when a fetch's range is searched, then the aborts ending at or after its start and starting before its end are found", () => {
    const index = TransactionIndex.open(disk(), PATH);
    index.append(txn(7n, 0n, 2n, 3n));
    index.append(txn(8n, 3n, 10n, 4n));
    index.append(txn(9n, 4n, 11n, 12n));
    const collect = (from: bigint, to: bigint) => {
      const found: AbortedTxn[] = [];
      const complete = index.collect(from, to, found);
      return { producers: found.map((t) => t.producerId), complete };
    };
    assert.deepEqual(collect(0n, 20n), { producers: [7n, 8n, 9n], complete: false });
    assert.deepEqual(collect(3n, 4n), { producers: [8n], complete: true });
    assert.deepEqual(collect(11n, 20n), { producers: [9n], complete: false });
    assert.deepEqual(collect(0n, 1n), { producers: [7n], complete: true });
    index.close();
  });

  it("when the power is lost after a synced and an unsynced abort, then the synced one is there on reopening", () => {
    const fs = disk();
    fs.syncAll();
    const index = TransactionIndex.open(fs, PATH);
    index.append(txn(7n, 0n, 2n, 3n));
    fs.syncDir("/data");
    index.sync();
    index.append(txn(8n, 3n, 5n, 6n));
    fs.powerLoss();
    const reopened = TransactionIndex.open(fs, PATH);
    assert.deepEqual(reopened.entries, [txn(7n, 0n, 2n, 3n)]);
    reopened.close();
  });
});
