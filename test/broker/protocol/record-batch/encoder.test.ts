// The one record encoder: exact bytes of a record, header fields, compression, and the record
// shapes it is generic over.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { crc32c } from "@node-rs/crc32";
import { decodeRecordBatch, decodeRecordsWithRanges } from "../../../../broker/protocol/record-batch/decoder.ts";
import {
  encodeRecordBatch,
  RecordEncoder,
  rebuildBatchWithRecords,
} from "../../../../broker/protocol/record-batch/encoder.ts";
import {
  BATCH_HEADER_SIZE,
  CompressionCodec,
  compressionCodecOf,
  readBatchHeader,
} from "../../../../broker/protocol/record-batch/layout.ts";
import { crcIsValid } from "../../../../broker/protocol/record-batch/splitter.ts";
import { sampleRecords } from "./sample-records.ts";

describe("encodeRecordBatch", () => {
  it("when a single record is encoded, then its varint layout matches the format", () => {
    const batch = encodeRecordBatch({
      baseOffset: 0n,
      records: [{ key: null, value: Buffer.from("ab"), timestamp: 5n }],
    });
    assert.equal(
      batch.subarray(BATCH_HEADER_SIZE).toString("hex"),
      "10" + // length: varint 8 (the bytes below)
        "00" + // attributes
        "00" + // timestampDelta: varlong 0
        "00" + // offsetDelta: varint 0
        "01" + // key length: varint -1 (null)
        "04" +
        "6162" + // value length: varint 2, "ab"
        "00", // headers: varint 0
    );
    const header = readBatchHeader(batch, 0);
    assert.deepEqual(header, {
      baseOffset: 0n,
      batchLength: batch.length - 12,
      partitionLeaderEpoch: -1,
      magic: 2,
      crc: crc32c(batch.subarray(21)),
      attributes: 0,
      lastOffsetDelta: 0,
      baseTimestamp: 5n,
      maxTimestamp: 5n,
      producerId: -1n,
      producerEpoch: -1,
      baseSequence: -1,
      recordCount: 1,
    });
  });

  it("when a batch is gzip-compressed, then attributes say so and it decodes to the same records", () => {
    const plain = encodeRecordBatch({ records: sampleRecords });
    const compressed = encodeRecordBatch({ records: sampleRecords, compression: "gzip" });
    const header = readBatchHeader(compressed, 0);
    assert.equal(compressionCodecOf(header.attributes), CompressionCodec.Gzip);
    assert.ok(crcIsValid(compressed, 0));
    assert.deepEqual(decodeRecordBatch(compressed, 0).records, decodeRecordBatch(plain, 0).records);
  });
});

describe("RecordEncoder", () => {
  // A record shape of the test's own: headers as [key, value] pairs.
  interface PairRecord {
    key?: string | null;
    value?: string | number | null;
    timestamp?: number;
    offsetDelta?: number;
    headers?: Array<[string, string | null]>;
  }
  const encoder = new RecordEncoder<PairRecord, Array<[string, string | null]>>((headers, visit) => {
    for (const [key, value] of headers) visit(key, value);
  });
  const fields = { compression: 0, producerId: -1n, producerEpoch: -1, baseSequence: -1 };

  it("when records of another shape are encoded, then they decode to the same fields as encodeRecordBatch's", () => {
    const sources = [
      {
        defaultTimestamp: 1_000,
        messages: [
          { key: "a", value: "1", headers: [["h", "x"]] as Array<[string, string | null]> },
          { key: null, value: 42, timestamp: 900, headers: [["n", null]] as Array<[string, string | null]> },
        ],
      },
    ];
    const layout = encoder.layout(sources, 0, 1, Number.POSITIVE_INFINITY);
    const ours = encoder.encodeBatch(sources, 0, layout, fields);
    const reference = encodeRecordBatch({
      records: [
        {
          key: Buffer.from("a"),
          value: Buffer.from("1"),
          headers: [{ key: "h", value: Buffer.from("x") }],
          timestamp: 1_000n,
        },
        { key: null, value: Buffer.from("42"), headers: [{ key: "n", value: null }], timestamp: 900n },
      ],
    });
    assert.deepEqual(ours, reference);
    assert.equal(layout.maxTimestamp, 1_000);
  });

  it("when records carry offset deltas with gaps, then lastOffsetDelta is the largest and each record keeps its own", () => {
    const sources = [
      {
        defaultTimestamp: 5,
        messages: [{ value: "a" }, { value: "b", offsetDelta: 7 }, { value: "c", offsetDelta: 3 }],
      },
    ];
    const layout = encoder.layout(sources, 0, 1, Number.POSITIVE_INFINITY);
    assert.equal(layout.lastOffsetDelta, 7);
    const { header, records } = decodeRecordBatch(encoder.encodeBatch(sources, 0, layout, fields), 0);
    assert.equal(header.lastOffsetDelta, 7);
    assert.deepEqual(
      records.map((r) => r.offset),
      [0n, 7n, 3n],
    );
  });

  it("when a batch has no records, then its timestamps are -1 and its lastOffsetDelta 0", () => {
    const header = readBatchHeader(encodeRecordBatch({ records: [] }), 0);
    assert.deepEqual(
      [header.recordCount, header.lastOffsetDelta, header.baseTimestamp, header.maxTimestamp],
      [0, 0, -1n, -1n],
    );
  });

  it("when a timestamp lies far from the first one, then its delta takes a long varlong and decodes exactly", () => {
    const batch = encodeRecordBatch({
      records: [
        { key: null, value: Buffer.from("a"), timestamp: 0n },
        { key: null, value: Buffer.from("b"), timestamp: 2n ** 40n + 3n },
        { key: null, value: Buffer.from("c"), timestamp: -(2n ** 35n) },
      ],
    });
    assert.deepEqual(
      decodeRecordBatch(batch, 0).records.map((r) => r.timestamp),
      [0n, 2n ** 40n + 3n, -(2n ** 35n)],
    );
  });
});

describe("rebuildBatchWithRecords", () => {
  it("when a batch is rebuilt around some of its records, then they keep their offsets and timestamps and the CRC is valid", () => {
    const original = encodeRecordBatch({ baseOffset: 50n, producerId: 9n, records: sampleRecords });
    const { records } = decodeRecordsWithRanges(original, 0);
    const rebuilt = rebuildBatchWithRecords(original, [records[1]!, records[3]!]);
    assert.ok(crcIsValid(rebuilt, 0));
    const decoded = decodeRecordBatch(rebuilt, 0);
    assert.equal(decoded.header.recordCount, 2);
    assert.equal(decoded.header.lastOffsetDelta, 3, "the header's last offset stays the original one");
    assert.equal(decoded.header.producerId, 9n);
    assert.deepEqual(
      decoded.records.map((r) => [r.offset, r.timestamp]),
      [
        [51n, sampleRecords[1]!.timestamp],
        [53n, sampleRecords[3]!.timestamp],
      ],
    );
  });
});
