// The validating splitter: batches located in a blob, tears and wrong formats told apart, CRCs.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encodeRecordBatch } from "../../../../broker/protocol/record-batch/encoder.ts";
import { BATCH_HEADER_SIZE, BatchField } from "../../../../broker/protocol/record-batch/layout.ts";
import { crcIsValid, framingProblemAt, splitBatches } from "../../../../broker/protocol/record-batch/splitter.ts";
import { sampleRecords } from "./sample-records.ts";

describe("splitBatches", () => {
  const first = encodeRecordBatch({ baseOffset: 0n, records: sampleRecords.slice(0, 2) });
  const second = encodeRecordBatch({ baseOffset: 2n, records: sampleRecords.slice(2) });
  const both = Buffer.concat([first, second]);

  it("when the blob holds whole batches, then each is located with its header", () => {
    const layout = splitBatches(both);
    assert.equal(layout.problem, null);
    assert.deepEqual(
      layout.batches.map(({ position, size, header }) => [position, size, header.baseOffset, header.recordCount]),
      [
        [0, first.length, 0n, 2],
        [first.length, second.length, 2n, 2],
      ],
    );
    assert.deepEqual(splitBatches(Buffer.alloc(0)), { batches: [], problem: null });
  });

  it("when the last batch is torn, then the whole ones are kept and the tear is reported", () => {
    for (const cut of [1, 20, BATCH_HEADER_SIZE, second.length - 1]) {
      const layout = splitBatches(both.subarray(0, first.length + cut));
      assert.equal(layout.batches.length, 1, `cut ${cut}`);
      assert.equal(layout.problem?.kind, "truncated", `cut ${cut}`);
      assert.equal(layout.problem?.position, first.length);
    }
  });

  it("when a batch has another magic, then it is reported as invalid", () => {
    const legacy = Buffer.from(both);
    legacy[first.length + 16] = 1;
    const layout = splitBatches(legacy);
    assert.equal(layout.batches.length, 1);
    assert.equal(layout.problem?.kind, "invalid-magic");
  });

  it("when a batch length is below the header size, then it is reported as invalid", () => {
    const broken = Buffer.from(first);
    broken.writeInt32BE(10, 8);
    assert.equal(splitBatches(broken).problem?.kind, "invalid-length");
  });
});

describe("crcIsValid", () => {
  it("when any covered byte is corrupted, then crcIsValid is false", () => {
    const batch = encodeRecordBatch({ records: sampleRecords });
    for (const position of [21, 40, BATCH_HEADER_SIZE + 3, batch.length - 1]) {
      const corrupted = Buffer.from(batch);
      corrupted[position]! ^= 0x01;
      assert.equal(crcIsValid(corrupted, 0), false, `flipped byte ${position}`);
    }
  });
});

describe("framingProblemAt", () => {
  const batch = encodeRecordBatch({ records: [{ key: Buffer.from("k"), value: Buffer.from("v") }] });

  it("when framing is checked, then torn, short and wrong-magic batches are told apart", () => {
    assert.equal(framingProblemAt(batch, 0, batch.length), null);
    assert.equal(framingProblemAt(batch, 0, 30), "torn-header");
    assert.equal(framingProblemAt(batch, 0, batch.length - 1), "torn-batch");
    const wrongMagic = Buffer.from(batch);
    wrongMagic.writeInt8(1, BatchField.magic);
    assert.equal(framingProblemAt(wrongMagic, 0, batch.length), "unsupported-magic");
    const tooShort = Buffer.from(batch);
    tooShort.writeInt32BE(10, BatchField.batchLength);
    assert.equal(framingProblemAt(tooShort, 0, batch.length), "batch-length-too-small");
  });

  it("when a torn header already shows another magic, then the magic is reported, not the tear", () => {
    const wrongMagic = Buffer.from(batch);
    wrongMagic.writeInt8(1, BatchField.magic);
    assert.equal(framingProblemAt(wrongMagic, 0, BatchField.magic + 1), "unsupported-magic");
    assert.equal(framingProblemAt(wrongMagic, 0, BatchField.magic), "torn-header");
  });
});
