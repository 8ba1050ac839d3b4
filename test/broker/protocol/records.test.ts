import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { crc32c } from "@node-rs/crc32";
import { ProtocolDecodeError } from "../../../broker/protocol/primitives.ts";
import {
  BATCH_HEADER_SIZE,
  BatchField,
  CompressionCodec,
  compressionCodecOf,
  computeBatchCrc,
  crcIsValid,
  decodeRecordBatch,
  decodeRecordsWithRanges,
  encodeRecordBatch,
  isControlBatch,
  isTransactionalBatch,
  lastOffsetOf,
  makeAttributes,
  readBatchHeader,
  splitBatches,
  TimestampType,
  timestampTypeOf,
  writeBaseOffset,
  writePartitionLeaderEpoch,
} from "../../../broker/protocol/records.ts";

const sampleRecords = [
  {
    key: Buffer.from("key-1"),
    value: Buffer.from("value-1"),
    headers: [
      { key: "trace", value: Buffer.from("abc") },
      { key: "é", value: null },
    ],
    timestamp: 1_700_000_000_000n,
  },
  { key: null, value: Buffer.from("no key"), timestamp: 1_700_000_000_500n },
  { key: Buffer.from("tombstone"), value: null, timestamp: 1_699_999_999_000n },
  { key: Buffer.alloc(0), value: Buffer.alloc(300, 9), timestamp: 1_700_000_000_001n },
];

describe("record batches", () => {
  it("when computing CRC-32C of the check string, then it is the known value", () => {
    assert.equal(crc32c(Buffer.from("123456789")), 0xe3069283);
  });

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

  it("when a batch is gzip-compressed, then attributes say so and it decodes to the same records", () => {
    const plain = encodeRecordBatch({ records: sampleRecords });
    const compressed = encodeRecordBatch({ records: sampleRecords, compression: "gzip" });
    const header = readBatchHeader(compressed, 0);
    assert.equal(compressionCodecOf(header.attributes), CompressionCodec.Gzip);
    assert.ok(crcIsValid(compressed, 0));
    assert.deepEqual(decodeRecordBatch(compressed, 0).records, decodeRecordBatch(plain, 0).records);
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

  it("when the broker rewrites baseOffset and leader epoch, then the CRC stays valid", () => {
    const batch = encodeRecordBatch({ records: sampleRecords });
    writeBaseOffset(batch, 0, 9_000_000_000n);
    writePartitionLeaderEpoch(batch, 0, 12);
    assert.ok(crcIsValid(batch, 0));
    const { header, records } = decodeRecordBatch(batch, 0);
    assert.equal(header.baseOffset, 9_000_000_000n);
    assert.equal(header.partitionLeaderEpoch, 12);
    assert.equal(records[3]!.offset, 9_000_000_003n);
  });

  it("when any covered byte is corrupted, then crcIsValid is false", () => {
    const batch = encodeRecordBatch({ records: sampleRecords });
    for (const position of [21, 40, BATCH_HEADER_SIZE + 3, batch.length - 1]) {
      const corrupted = Buffer.from(batch);
      corrupted[position]! ^= 0x01;
      assert.equal(crcIsValid(corrupted, 0), false, `flipped byte ${position}`);
    }
  });

  it("when attributes are built, then each flag lands on its bit", () => {
    const attributes = makeAttributes({
      compression: CompressionCodec.Gzip,
      timestampType: TimestampType.LogAppendTime,
      transactional: true,
      control: true,
    });
    assert.equal(attributes, 0b111001);
    assert.equal(compressionCodecOf(attributes), CompressionCodec.Gzip);
    assert.equal(timestampTypeOf(attributes), TimestampType.LogAppendTime);
    assert.equal(isTransactionalBatch(attributes), true);
    assert.equal(isControlBatch(attributes), true);
    assert.equal(isControlBatch(0), false);
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

  it("when a header is read past the end, then a decode error is thrown", () => {
    assert.throws(() => readBatchHeader(first, first.length - 10), ProtocolDecodeError);
  });
});

describe("batch header field offsets", () => {
  it("when each field is read at its BatchField offset, then it holds what was encoded", () => {
    const batch = encodeRecordBatch({
      baseOffset: 77n,
      partitionLeaderEpoch: 5,
      records: sampleRecords,
      producerId: 42n,
      producerEpoch: 3,
      baseSequence: 9,
      transactional: true,
    });
    const header = readBatchHeader(batch, 0);
    assert.deepEqual(
      {
        baseOffset: batch.readBigInt64BE(BatchField.baseOffset),
        batchLength: batch.readInt32BE(BatchField.batchLength),
        partitionLeaderEpoch: batch.readInt32BE(BatchField.partitionLeaderEpoch),
        magic: batch.readInt8(BatchField.magic),
        crc: batch.readUInt32BE(BatchField.crc),
        attributes: batch.readInt16BE(BatchField.attributes),
        lastOffsetDelta: batch.readInt32BE(BatchField.lastOffsetDelta),
        baseTimestamp: batch.readBigInt64BE(BatchField.baseTimestamp),
        maxTimestamp: batch.readBigInt64BE(BatchField.maxTimestamp),
        producerId: batch.readBigInt64BE(BatchField.producerId),
        producerEpoch: batch.readInt16BE(BatchField.producerEpoch),
        baseSequence: batch.readInt32BE(BatchField.baseSequence),
        recordCount: batch.readInt32BE(BatchField.recordCount),
      },
      header,
    );
    assert.equal(BatchField.recordCount + 4, BATCH_HEADER_SIZE);
  });
});

describe("computeBatchCrc", () => {
  it("when a batch is intact, then its computed CRC is the stored one, at any position in the buffer", () => {
    const batch = encodeRecordBatch({ records: sampleRecords });
    assert.equal(computeBatchCrc(batch), batch.readUInt32BE(BatchField.crc));
    const padded = Buffer.concat([Buffer.alloc(5), batch, Buffer.alloc(3, 0xff)]);
    assert.equal(computeBatchCrc(padded, 5), batch.readUInt32BE(BatchField.crc));
  });

  it("when a covered field is edited and the CRC rewritten, then the batch is valid again", () => {
    const batch = encodeRecordBatch({ records: sampleRecords });
    batch.writeInt32BE(2, BatchField.recordCount);
    assert.equal(crcIsValid(batch, 0), false);
    batch.writeUInt32BE(computeBatchCrc(batch, 0), BatchField.crc);
    assert.equal(crcIsValid(batch, 0), true);
  });

  it("when the batch runs past the end of the buffer, then a decode error is thrown", () => {
    const batch = encodeRecordBatch({ records: sampleRecords });
    assert.throws(() => computeBatchCrc(batch.subarray(0, batch.length - 1), 0), ProtocolDecodeError);
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
