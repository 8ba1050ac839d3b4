// The one record walker: lazy steps through a batch's records, views rather than copies, and
// every length and count checked against the bytes left before it is used.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { ProtocolDecodeError } from "../../../../broker/protocol/primitives.ts";
import { encodeRecordBatch } from "../../../../broker/protocol/record-batch/encoder.ts";
import {
  BATCH_HEADER_SIZE,
  CompressionCodec,
  makeAttributes,
} from "../../../../broker/protocol/record-batch/layout.ts";
import { RecordReader, uncompressedRecords } from "../../../../broker/protocol/record-batch/record-reader.ts";
import { sampleRecords } from "./sample-records.ts";

/** A reader over the records of `batch` (an uncompressed batch at position 0). */
function readerOf(batch: Buffer, recordCount = sampleRecords.length): RecordReader {
  return new RecordReader().reset(batch, BATCH_HEADER_SIZE, batch.length, recordCount);
}

/** One record with a null key and value "ab", whose bytes follow the header: 10 00 00 00 01 04 61 62 00. */
function singleRecordBatch(): Buffer {
  return encodeRecordBatch({ records: [{ key: null, value: Buffer.from("ab"), timestamp: 5n }] });
}

describe("RecordReader", () => {
  it("when records are walked, then each one's fields are read and keys and values are views of the batch", () => {
    const batch = encodeRecordBatch({ records: sampleRecords });
    const reader = readerOf(batch);
    const seen: unknown[] = [];
    while (reader.next()) {
      const headers: Array<[string, string | null]> = [];
      for (let h = 0; h < reader.headerCount; h++) {
        reader.nextHeader();
        headers.push([reader.headerKey(), reader.headerValue()?.toString() ?? null]);
      }
      const key = reader.key();
      if (key !== null) assert.equal(key.buffer, batch.buffer, "the key is a view, not a copy");
      seen.push([
        reader.offsetDelta,
        reader.timestampDelta,
        key?.toString() ?? null,
        reader.value()?.length ?? null,
        headers,
      ]);
      assert.equal(reader.consumedWholeRecord, true);
    }
    assert.deepEqual(seen, [
      [
        0,
        0,
        "key-1",
        7,
        [
          ["trace", "abc"],
          ["é", null],
        ],
      ],
      [1, 500, null, 6, []],
      [2, -1000, "tombstone", null, []],
      [3, 1, "", 300, []],
    ]);
    assert.equal(reader.index, 4);
    assert.equal(reader.bytesAfterLastRecord, 0);
  });

  it("when only offsets are wanted, then next() alone steps through every record", () => {
    const reader = readerOf(encodeRecordBatch({ records: sampleRecords }));
    const offsets: number[] = [];
    while (reader.next()) offsets.push(reader.offsetDelta);
    assert.deepEqual(offsets, [0, 1, 2, 3]);
  });

  it("when the batch counts more records than its bytes hold, then the walk stops at the end of the bytes", () => {
    const reader = readerOf(singleRecordBatch(), 1_000_000);
    assert.equal(reader.next(), true);
    assert.equal(reader.next(), false);
    assert.equal(reader.index, 1);
  });

  it("when a record's length runs past the batch, then a decode error is thrown", () => {
    const batch = singleRecordBatch();
    batch[BATCH_HEADER_SIZE] = 2 * 50; // varint 50
    assert.throws(() => readerOf(batch, 1).next(), ProtocolDecodeError);
    batch[BATCH_HEADER_SIZE] = 0x01; // varint -1
    assert.throws(() => readerOf(batch, 1).next(), ProtocolDecodeError);
  });

  it("when a value's length runs past its record, then a decode error is thrown before the value is used", () => {
    const batch = singleRecordBatch();
    batch[BATCH_HEADER_SIZE + 5] = 2 * 40; // value length varint 40, inside a record of 8 bytes
    assert.throws(() => readerOf(batch, 1).next(), /run past its length/);
  });

  it("when a header count exceeds what the record's bytes can hold, then a decode error is thrown", () => {
    const batch = singleRecordBatch();
    batch[BATCH_HEADER_SIZE + 8] = 0xfe; // header count: a two-byte varint, past the record
    assert.throws(() => readerOf(batch, 1).next(), ProtocolDecodeError);
    batch[BATCH_HEADER_SIZE + 8] = 2 * 1; // one header, but no bytes left for it
    assert.throws(() => readerOf(batch, 1).next(), /claims 1 headers/);
  });

  it("when a varint is longer than 5 bytes or beyond 32 bits, then a decode error is thrown", () => {
    const tooLong = Buffer.from([0x14, 0x00, 0x00, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0x00, 0x00]);
    assert.throws(() => new RecordReader().reset(tooLong, 0, tooLong.length, 1).next(), ProtocolDecodeError);
    const wide = Buffer.from([0x14, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x1f, 0x00, 0x00, 0x00]);
    assert.throws(() => new RecordReader().reset(wide, 0, wide.length, 1).next(), /beyond 32 bits/);
  });

  it("when the section ends inside a varint, then a decode error is thrown, not a value read past the end", () => {
    const torn = Buffer.from([0x80]); // a record length whose continuation byte never comes
    assert.throws(() => new RecordReader().reset(torn, 0, torn.length, 1).next(), /run past/);
    const inRecord = Buffer.from([0x06, 0x00, 0x00, 0x80, 0x80, 0x80, 0x80, 0xff]); // offset delta runs past the record
    assert.throws(() => new RecordReader().reset(inRecord, 0, 4, 1).next(), ProtocolDecodeError);
  });

  it("when records are gzip-compressed, then uncompressedRecords inflates them and null names a codec it lacks", () => {
    const plain = encodeRecordBatch({ records: sampleRecords });
    const compressed = encodeRecordBatch({ records: sampleRecords, compression: "gzip" });
    const gzip = makeAttributes({ compression: CompressionCodec.Gzip });
    assert.deepEqual(
      uncompressedRecords(compressed, BATCH_HEADER_SIZE, compressed.length, gzip),
      plain.subarray(BATCH_HEADER_SIZE),
    );
    const zstd = makeAttributes({ compression: CompressionCodec.Zstd });
    assert.equal(uncompressedRecords(compressed, BATCH_HEADER_SIZE, compressed.length, zstd), null);
    assert.throws(() => uncompressedRecords(plain, BATCH_HEADER_SIZE, plain.length, gzip), ProtocolDecodeError);
  });

  it("when a gzip section would inflate beyond the cap, then it is refused as corrupt, not inflated", () => {
    const gzip = makeAttributes({ compression: CompressionCodec.Gzip });
    const header = Buffer.alloc(BATCH_HEADER_SIZE);
    const bomb = Buffer.concat([header, gzipSync(Buffer.alloc(1024 * 1024))]); // 1 MiB of zeros in ~1 KiB
    assert.ok(bomb.length < 4096);
    assert.throws(
      () => uncompressedRecords(bomb, BATCH_HEADER_SIZE, bomb.length, gzip, 64 * 1024),
      ProtocolDecodeError,
    );
    assert.equal(uncompressedRecords(bomb, BATCH_HEADER_SIZE, bomb.length, gzip)?.length, 1024 * 1024);
  });
});
