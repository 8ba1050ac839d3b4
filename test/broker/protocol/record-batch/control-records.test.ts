// Transaction markers (control batches): their exact bytes, and reading a control record back.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ControlRecordType,
  encodeTxnMarkerBatch,
  readControlRecord,
  TXN_MARKER_BATCH_BYTES,
} from "../../../../broker/protocol/record-batch/control-records.ts";
import { decodeRecordBatch } from "../../../../broker/protocol/record-batch/decoder.ts";
import { crcOfRange } from "../../../../broker/protocol/record-batch/layout.ts";
import { crcIsValid } from "../../../../broker/protocol/record-batch/splitter.ts";

const hex = (parts: string[]) => Buffer.from(parts.join("").replaceAll(" ", ""), "hex");

describe("control records", () => {
  it("when a COMMIT marker is encoded, then the bytes are a 78-byte control batch of one record with its type and coordinator epoch", () => {
    const batch = encodeTxnMarkerBatch({ producerId: 7n, producerEpoch: 3, coordinatorEpoch: 9, commit: true }, 1000);
    const expected = hex([
      "0000000000000000", // baseOffset (the log assigns it)
      "00000042", // batchLength: 78 - 12
      "ffffffff", // partitionLeaderEpoch (the log stamps it)
      "02", // magic
      "00000000", // crc, checked below
      "0030", // attributes: control + transactional
      "00000000", // lastOffsetDelta
      "00000000000003e8 00000000000003e8", // base and max timestamp 1000
      "0000000000000007 0003", // producerId 7, epoch 3
      "ffffffff", // baseSequence -1
      "00000001", // one record
      "20", // record length 16
      "00 00 00", // attributes, timestampDelta 0, offsetDelta 0
      "08 0000 0001", // key: 4 bytes, version 0, type COMMIT
      "0c 0000 00000009", // value: 6 bytes, version 0, coordinator epoch 9
      "00", // no headers
    ]);
    expected.writeUInt32BE(crcOfRange(expected, 0, expected.length), 17);
    assert.equal(batch.length, TXN_MARKER_BATCH_BYTES);
    assert.deepEqual(batch, expected);
    assert.ok(crcIsValid(batch, 0));
  });

  it("when a marker is decoded as a batch or read as a control record, then its type and coordinator epoch come back", () => {
    const abort = encodeTxnMarkerBatch(
      { producerId: 2n ** 40n, producerEpoch: 0, coordinatorEpoch: 1, commit: false },
      5,
    );
    const decoded = decodeRecordBatch(abort, 0);
    assert.equal(decoded.records.length, 1);
    assert.deepEqual(decoded.records[0]!.key, hex(["0000 0000"]));
    assert.deepEqual(decoded.records[0]!.value, hex(["0000 00000001"]));
    assert.deepEqual(readControlRecord(abort), { type: ControlRecordType.ABORT, coordinatorEpoch: 1 });
    const commit = encodeTxnMarkerBatch({ producerId: 1n, producerEpoch: 0, coordinatorEpoch: 4, commit: true }, 5);
    const both = Buffer.concat([abort, commit]);
    assert.deepEqual(readControlRecord(both, abort.length), { type: ControlRecordType.COMMIT, coordinatorEpoch: 4 });
  });

  it("when a control record is cut short, then reading it gives null (no whole key) or no coordinator epoch (no whole value), never a read past the batch", () => {
    const batch = encodeTxnMarkerBatch({ producerId: 1n, producerEpoch: 0, coordinatorEpoch: 4, commit: true }, 5);
    const cut = Buffer.from(batch.subarray(0, 68)); // the key's last two bytes gone
    cut.writeInt32BE(cut.length - 12, 8);
    assert.equal(readControlRecord(cut), null);
    const bigKey = Buffer.from(batch);
    bigKey[65] = 0x7e; // key length 63, past the batch's end
    assert.equal(readControlRecord(bigKey), null);
    assert.equal(readControlRecord(batch.subarray(0, 40)), null);
    const noValue = Buffer.from(batch.subarray(0, 70));
    noValue.writeInt32BE(noValue.length - 12, 8);
    assert.deepEqual(readControlRecord(noValue), { type: ControlRecordType.COMMIT, coordinatorEpoch: -1 });
  });
});
