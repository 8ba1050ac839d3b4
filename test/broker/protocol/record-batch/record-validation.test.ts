// What a produced batch's records must be before they are stored: every way a batch can be wrong
// behind a valid CRC (counts, offset range, record lengths, header counts, trailing bytes, gzip
// that does not inflate or inflates too far, a codec that does not exist) is named; real batches,
// plain and gzip, and ones this module cannot inflate pass.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { decodeRecordBatch } from "../../../../broker/protocol/record-batch/decoder.ts";
import { encodeRecordBatch } from "../../../../broker/protocol/record-batch/encoder.ts";
import {
  BATCH_HEADER_SIZE,
  BatchField,
  batchSize,
  CompressionCodec,
  readBatchHeader,
} from "../../../../broker/protocol/record-batch/layout.ts";
import {
  plainlyWellFormed,
  recordsProblem,
  walkProblem,
} from "../../../../broker/protocol/record-batch/record-validation.ts";
import { crcIsValid } from "../../../../broker/protocol/record-batch/splitter.ts";
import { recordVarintsOf, refreshCrc, writeVarintOfWidth } from "../../../helpers/fuzz/batch-mutations.ts";
import { mutatedBatchArbitrary, sampleRecords } from "./sample-records.ts";

function problemOf(batch: Buffer): string | null {
  const header = readBatchHeader(batch, 0);
  return recordsProblem(batch, 0, batchSize(header), header);
}

/** A copy of a plain batch of the sample records, edited by `edit`, with its CRC written again. */
function edited(edit: (batch: Buffer) => void, compression: "none" | "gzip" = "none"): Buffer {
  const batch = encodeRecordBatch({ records: sampleRecords, compression });
  edit(batch);
  refreshCrc(batch, 0);
  assert.ok(crcIsValid(batch, 0));
  return batch;
}

const firstVarint = (batch: Buffer, name: string) => {
  const field = recordVarintsOf(batch, 0).find((f) => f.name === name);
  assert.ok(field, name);
  return field;
};

describe("recordsProblem", () => {
  it("when a batch is whole, plain or gzip, then it has no problem", () => {
    assert.equal(problemOf(encodeRecordBatch({ records: sampleRecords })), null);
    assert.equal(problemOf(encodeRecordBatch({ records: sampleRecords, compression: "gzip" })), null);
  });

  it("when the record count disagrees with the offset range, or is not positive, then it is named", () => {
    assert.match(problemOf(edited((b) => b.writeInt32BE(5, BatchField.recordCount))) ?? "", /claims 5 records/);
    const none = edited((b) => {
      b.writeInt32BE(0, BatchField.recordCount);
      b.writeInt32BE(-1, BatchField.lastOffsetDelta);
    });
    assert.match(problemOf(none) ?? "", /claims 0 records/);
  });

  it("when count and offset range agree but the records are fewer or more, then it is named", () => {
    const more = edited((b) => {
      b.writeInt32BE(0x7fffffff, BatchField.recordCount);
      b.writeInt32BE(0x7fffffff - 1, BatchField.lastOffsetDelta);
    });
    assert.match(problemOf(more) ?? "", /its bytes hold 4/);
    const fewer = edited((b) => {
      b.writeInt32BE(3, BatchField.recordCount);
      b.writeInt32BE(2, BatchField.lastOffsetDelta);
    });
    assert.match(problemOf(fewer) ?? "", /bytes follow the last record/);
    const gzipFewer = edited((b) => {
      b.writeInt32BE(3, BatchField.recordCount);
      b.writeInt32BE(2, BatchField.lastOffsetDelta);
    }, "gzip");
    assert.match(problemOf(gzipFewer) ?? "", /bytes follow the last record/);
  });

  it("when a record's length, key or value length or header count is wrong, then it is named", () => {
    for (const [name, value] of [
      ["record-length", 63],
      ["record-length", 1],
      ["key-length", 63],
      ["key-length", -5],
      ["value-length", -2],
      ["header-count", 63],
      ["header-value-length", -7],
    ] as const) {
      const batch = edited((b) => {
        const field = firstVarint(b, name);
        writeVarintOfWidth(b, field.offset, field.width, value);
      });
      assert.ok(problemOf(batch) !== null, `${name} = ${value} passed`);
    }
  });

  it("when the record's fields end before its length does, then it is named", () => {
    const batch = edited((b) => {
      const field = firstVarint(b, "header-count");
      // The first record has two headers; claiming none leaves their bytes unread inside the record.
      writeVarintOfWidth(b, field.offset, field.width, 0);
    });
    assert.match(problemOf(batch) ?? "", /fields take/);
  });

  it("when the codec is unknown or the gzip section does not inflate, then it is named", () => {
    assert.match(problemOf(edited((b) => b.writeInt16BE(5, BatchField.attributes))) ?? "", /unknown compression/);
    assert.match(problemOf(edited((b) => b.writeInt16BE(1, BatchField.attributes))) ?? "", /gzip/);
  });

  it("when the codec is one the broker cannot inflate (snappy, lz4, zstd), then only the header counts are checked", () => {
    for (const codec of [CompressionCodec.Snappy, CompressionCodec.Lz4, CompressionCodec.Zstd])
      assert.equal(problemOf(edited((b) => b.writeInt16BE(codec, BatchField.attributes))), null);
  });

  it("when a small gzip section inflates far beyond its size, then it is refused without inflating it all", () => {
    // 32 MiB of zeros in ~32 KiB: 1,000 times its size, beyond the 8 MiB any small section may reach.
    const bomb = encodeRecordBatch({
      records: [{ key: null, value: Buffer.alloc(32 * 1024 * 1024) }],
      compression: "gzip",
    });
    assert.ok(bomb.length < 64 * 1024, `bomb of ${bomb.length} bytes`);
    assert.match(problemOf(bomb) ?? "", /does not decompress/);
  });

  it("when batches are mutated at random behind a valid CRC, then each one passed decodes in full", () => {
    let passed = 0;
    fc.assert(
      fc.property(mutatedBatchArbitrary, (batch) => {
        refreshCrc(batch, 0);
        const header = readBatchHeader(batch, 0);
        const size = batchSize(header);
        if (size < BATCH_HEADER_SIZE || size > batch.length) return; // framing problems: the splitter's
        if (recordsProblem(batch, 0, size, header) !== null) return;
        passed++;
        assert.equal(decodeRecordBatch(batch, 0).records.length, header.recordCount);
      }),
      { seed: 15, numRuns: 2000 },
    );
    assert.ok(passed > 0);
  });

  it("when batches are mutated at random, then the fast walk vouches only for those the strict walk passes", () => {
    let vouched = 0;
    fc.assert(
      fc.property(mutatedBatchArbitrary, (batch) => {
        const header = readBatchHeader(batch, 0);
        const size = batchSize(header);
        if (size < BATCH_HEADER_SIZE || size > batch.length || header.recordCount <= 0) return;
        if (header.attributes & 0x07) return; // compressed: the walks see the inflated section
        const section = batch.subarray(BATCH_HEADER_SIZE, size);
        if (!plainlyWellFormed(section, header.recordCount)) return;
        vouched++;
        assert.equal(walkProblem(section, header.recordCount), null);
      }),
      { seed: 16, numRuns: 3000 },
    );
    assert.ok(vouched > 0);
  });

  it("when a record has a varint longer than the fast walk reads, then the strict walk decides", () => {
    const records = [{ key: null, value: Buffer.alloc(3 * 1024 * 1024, 1) }];
    const batch = encodeRecordBatch({ records });
    const section = batch.subarray(BATCH_HEADER_SIZE);
    assert.equal(plainlyWellFormed(section, 1), false);
    assert.equal(problemOf(batch), null);
  });
});
