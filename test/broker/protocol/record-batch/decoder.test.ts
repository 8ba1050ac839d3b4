// The broker's record decoders: every field back from an encoded batch, compression, and the
// strict decoder with byte ranges that the log cleaner rebuilds batches from.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { ProtocolDecodeError } from "../../../../broker/protocol/primitives.ts";
import { decodeRecordBatch, decodeRecordsWithRanges } from "../../../../broker/protocol/record-batch/decoder.ts";
import { encodeRecordBatch } from "../../../../broker/protocol/record-batch/encoder.ts";
import {
  BATCH_HEADER_SIZE,
  BatchField,
  CompressionCodec,
  isTransactionalBatch,
  lastOffsetOf,
  makeAttributes,
  readBatchHeader,
  TimestampType,
} from "../../../../broker/protocol/record-batch/layout.ts";
import { crcIsValid } from "../../../../broker/protocol/record-batch/splitter.ts";
import { mutatedBatchArbitrary, sampleRecords } from "./sample-records.ts";

describe("decodeRecordBatch", () => {
  it("when a batch with keys, values, headers and nulls is encoded and decoded, then every record comes back", () => {
    const batch = encodeRecordBatch({
      baseOffset: 100n,
      partitionLeaderEpoch: 3,
      records: sampleRecords,
      producerId: 42n,
      producerEpoch: 1,
      baseSequence: 7,
    });
    assert.ok(crcIsValid(batch, 0));
    const { header, records } = decodeRecordBatch(batch, 0);
    assert.equal(header.recordCount, 4);
    assert.equal(header.lastOffsetDelta, 3);
    assert.equal(lastOffsetOf(header), 103n);
    assert.equal(header.baseTimestamp, 1_700_000_000_000n);
    assert.equal(header.maxTimestamp, 1_700_000_000_500n);
    assert.equal(header.producerId, 42n);
    assert.equal(header.producerEpoch, 1);
    assert.equal(header.baseSequence, 7);
    assert.equal(header.partitionLeaderEpoch, 3);
    assert.deepEqual(
      records,
      sampleRecords.map((record, index) => ({
        offset: 100n + BigInt(index),
        timestamp: record.timestamp,
        key: record.key,
        value: record.value,
        headers: record.headers ?? [],
        attributes: 0,
      })),
    );
  });

  it("when a batch uses a codec we lack, then decoding names the codec", () => {
    const batch = encodeRecordBatch({ records: sampleRecords });
    batch.writeInt16BE(makeAttributes({ compression: CompressionCodec.Zstd }), 21);
    assert.throws(() => decodeRecordBatch(batch, 0), /zstd/);
  });

  it("when the gzip data is garbage, then decoding reports a decode error", () => {
    const batch = encodeRecordBatch({ records: sampleRecords });
    batch.writeInt16BE(makeAttributes({ compression: CompressionCodec.Gzip }), 21);
    assert.throws(() => decodeRecordBatch(batch, 0), ProtocolDecodeError);
    assert.ok(gzipSync(Buffer.from("x")).length > 0);
  });

  it("when a batch uses LogAppendTime, then every record gets the batch's max timestamp", () => {
    const batch = encodeRecordBatch({
      records: sampleRecords,
      timestampType: TimestampType.LogAppendTime,
      transactional: true,
    });
    const { header, records } = decodeRecordBatch(batch, 0);
    assert.equal(isTransactionalBatch(header.attributes), true);
    for (const record of records) assert.equal(record.timestamp, header.maxTimestamp);
  });
});

describe("decodeRecordsWithRanges", () => {
  const ranged = encodeRecordBatch({
    baseOffset: 10n,
    records: [
      {
        key: Buffer.from("a"),
        value: Buffer.from("1"),
        timestamp: 5_000n,
        headers: [{ key: "h", value: Buffer.from("x") }],
      },
      { key: null, value: Buffer.from("2"), timestamp: 5_300n },
      { key: Buffer.from("c"), value: null, timestamp: 4_995n, offsetDelta: 4 },
    ],
  });

  it("when records are decoded, then they match decodeRecordBatch and their byte ranges tile the records section", () => {
    const { header, records } = decodeRecordsWithRanges(ranged, 0);
    assert.deepEqual(header, readBatchHeader(ranged, 0));
    assert.deepEqual(
      records.map(({ start: _start, end: _end, ...record }) => record),
      decodeRecordBatch(ranged, 0).records,
    );
    assert.deepEqual(
      records.map((r) => [r.offset, r.timestamp, r.key?.toString() ?? null, r.value?.toString() ?? null]),
      [
        [10n, 5_000n, "a", "1"],
        [11n, 5_300n, null, "2"],
        [14n, 4_995n, "c", null],
      ],
    );
    assert.equal(records[0]!.start, BATCH_HEADER_SIZE);
    for (let i = 1; i < records.length; i++) assert.equal(records[i]!.start, records[i - 1]!.end);
    assert.equal(records.at(-1)!.end, ranged.length);
  });

  it("when the batch sits further into the buffer, then the ranges are positions in that buffer", () => {
    const padded = Buffer.concat([Buffer.alloc(7), ranged]);
    const { records } = decodeRecordsWithRanges(padded, 7);
    assert.equal(records[0]!.start, 7 + BATCH_HEADER_SIZE);
    assert.equal(records.at(-1)!.end, padded.length);
  });

  it("when the batch is truncated or compressed, then a decode error is thrown", () => {
    assert.throws(() => decodeRecordsWithRanges(ranged.subarray(0, ranged.length - 1), 0), ProtocolDecodeError);
    const compressed = encodeRecordBatch({ records: sampleRecords, compression: "gzip" });
    assert.throws(() => decodeRecordsWithRanges(compressed, 0), ProtocolDecodeError);
  });

  it("when a record is longer than its fields or bytes follow the last record, then only the strict decoder refuses it", () => {
    // One record with a null key and value "ab": length prefix 8 at BATCH_HEADER_SIZE.
    const single = encodeRecordBatch({ records: [{ key: null, value: Buffer.from("ab"), timestamp: 5n }] });
    const withTrailingBytes = Buffer.concat([single, Buffer.from([0, 0])]);
    withTrailingBytes.writeInt32BE(withTrailingBytes.length - 12, BatchField.batchLength);
    assert.equal(decodeRecordBatch(withTrailingBytes, 0).records.length, 1);
    assert.throws(() => decodeRecordsWithRanges(withTrailingBytes, 0), /follow the last/);

    // Same batch, with the record's length prefix claiming those two bytes: the fields leave them unread.
    const paddedRecord = Buffer.from(withTrailingBytes);
    paddedRecord[BATCH_HEADER_SIZE] = 2 * 10; // varint 10
    assert.equal(decodeRecordBatch(paddedRecord, 0).records[0]!.value!.toString(), "ab");
    assert.throws(() => decodeRecordsWithRanges(paddedRecord, 0), /10 bytes long/);
  });

  it("when a key length is below -1, then decodeRecordBatch reads a null and the strict decoder refuses it", () => {
    const single = encodeRecordBatch({ records: [{ key: null, value: Buffer.from("ab"), timestamp: 5n }] });
    const keyLengthAt = BATCH_HEADER_SIZE + 4; // after length, attributes, timestampDelta, offsetDelta
    assert.equal(single[keyLengthAt], 0x01); // varint -1
    single[keyLengthAt] = 0x03; // varint -2
    assert.equal(decodeRecordBatch(single, 0).records[0]!.key, null);
    assert.throws(() => decodeRecordsWithRanges(single, 0), ProtocolDecodeError);
  });
});

describe("decoding mutated batches under fast-check", () => {
  it("when a batch's records are mutated, then the decoders return records within its size or throw ProtocolDecodeError", () => {
    const outcomes = { decoded: 0, refused: 0 };
    fc.assert(
      fc.property(mutatedBatchArbitrary, (batch) => {
        for (const decodeAll of [decodeRecordBatch, decodeRecordsWithRanges]) {
          try {
            const { records } = decodeAll(batch, 0);
            outcomes.decoded++;
            assert.ok(records.length <= batch.length - BATCH_HEADER_SIZE);
            for (const record of records) assert.ok(record.headers.length <= batch.length);
          } catch (error) {
            if (!(error instanceof ProtocolDecodeError)) throw error;
            outcomes.refused++;
          }
        }
      }),
      { seed: 20_240_611, numRuns: 2000 },
    );
    assert.ok(outcomes.decoded > 100 && outcomes.refused > 100, JSON.stringify(outcomes));
  });
});
