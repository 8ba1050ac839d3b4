// The batch header layout and attribute bits: field offsets, CRC computation and the fields the
// broker rewrites in place.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { crc32c } from "@node-rs/crc32";
import { ProtocolDecodeError } from "../../../../broker/protocol/primitives.ts";
import { decodeRecordBatch } from "../../../../broker/protocol/record-batch/decoder.ts";
import { encodeRecordBatch } from "../../../../broker/protocol/record-batch/encoder.ts";
import {
  BATCH_HEADER_SIZE,
  BatchField,
  CompressionCodec,
  compressionCodecOf,
  computeBatchCrc,
  isControlBatch,
  isTransactionalBatch,
  makeAttributes,
  readBatchHeader,
  TimestampType,
  timestampTypeOf,
  writeBaseOffset,
  writePartitionLeaderEpoch,
} from "../../../../broker/protocol/record-batch/layout.ts";
import { crcIsValid } from "../../../../broker/protocol/record-batch/splitter.ts";
import { sampleRecords } from "./sample-records.ts";

describe("record batch layout", () => {
  it("when computing CRC-32C of the check string, then it is the known value", () => {
    assert.equal(crc32c(Buffer.from("123456789")), 0xe3069283);
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

  it("when a header is read past the end, then a decode error is thrown", () => {
    const first = encodeRecordBatch({ baseOffset: 0n, records: sampleRecords.slice(0, 2) });
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
