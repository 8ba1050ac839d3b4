import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Batch } from "../../../../broker/client/consumer/batch.ts";
import { decodeFetchedRecords } from "../../../../broker/client/consumer/fetched-records.ts";
import { encodeRecordBatch } from "../../../../broker/protocol/record-batch/encoder.ts";
import { BatchField, computeBatchCrc, makeAttributes } from "../../../../broker/protocol/record-batch/layout.ts";

const values = (baseOffset: bigint, ...texts: string[]) =>
  encodeRecordBatch({
    baseOffset,
    records: texts.map((text) => ({ key: null, value: Buffer.from(text), timestamp: 1n })),
  });

/** kafkajs's view of a batch: what eachBatch handlers read. */
const shape = (batch: Batch) => ({
  topic: batch.topic,
  partition: batch.partition,
  highWatermark: batch.highWatermark,
  isEmpty: batch.isEmpty(),
  isEmptyDueToFiltering: batch.isEmptyDueToFiltering(),
  firstOffset: batch.firstOffset(),
  lastOffset: batch.lastOffset(),
  offsetLag: batch.offsetLag(),
  offsetLagLow: batch.offsetLagLow(),
  nextOffset: batch.nextOffset(),
});

describe("Batch", () => {
  it("when a fetch brought records, then offsets and lags as kafkajs reports them, as strings", () => {
    const fetched = decodeFetchedRecords(Buffer.concat([values(5n, "a", "b"), values(7n, "c")]), 5n, null, true);
    const batch = new Batch("sales", 2, 5n, 12n, fetched);
    assert.deepEqual(shape(batch), {
      topic: "sales",
      partition: 2,
      highWatermark: "12",
      isEmpty: false,
      isEmptyDueToFiltering: false,
      firstOffset: "5",
      lastOffset: "7",
      offsetLag: "4",
      offsetLagLow: "6",
      nextOffset: 8n,
    });
    assert.deepEqual(
      batch.messages.map((m) => [m.offset, m.value?.toString()]),
      [
        ["5", "a"],
        ["6", "b"],
        ["7", "c"],
      ],
    );
  });

  it("when a fetch brought nothing, then the batch is empty, its last offset is the high watermark - 1 and nothing lags", () => {
    const batch = new Batch("sales", 0, 9n, 9n, decodeFetchedRecords(null, 9n, null, true));
    assert.deepEqual(shape(batch), {
      topic: "sales",
      partition: 0,
      highWatermark: "9",
      isEmpty: true,
      isEmptyDueToFiltering: false,
      firstOffset: null,
      lastOffset: "8",
      offsetLag: "0",
      offsetLagLow: "0",
      nextOffset: null,
    });
  });

  it("when all a fetch read was a transaction marker, then the batch is empty due to filtering and still moves the position past it", () => {
    const marker = encodeRecordBatch({
      baseOffset: 7n,
      producerId: 3n,
      producerEpoch: 0,
      transactional: true,
      records: [{ key: Buffer.from([0, 0, 0, 1]), value: Buffer.alloc(6), timestamp: 1n }],
    });
    marker.writeInt16BE(makeAttributes({ transactional: true, control: true }), BatchField.attributes);
    marker.writeUInt32BE(computeBatchCrc(marker, 0), BatchField.crc);
    const batch = new Batch("sales", 0, 7n, 8n, decodeFetchedRecords(marker, 7n, [], true));
    assert.equal(batch.isEmpty(), true);
    assert.equal(batch.isEmptyDueToFiltering(), true);
    assert.equal(batch.nextOffset(), 8n);
    assert.equal(batch.lastOffset(), "7");
    assert.equal(batch.offsetLag(), "0");
  });
});
