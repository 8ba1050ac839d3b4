// Decoding a fetched partition's records into kafkajs-shaped messages: what is handed over and
// what is stepped over, on record batches built by the protocol layer.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { Batch } from "../../../../broker/client/consumer/batch.ts";
import { decodeFetchedRecords } from "../../../../broker/client/consumer/fetched-records.ts";
import { KafkaJSError } from "../../../../broker/client/errors.ts";
import { encodeRecordBatch, type RecordInput } from "../../../../broker/protocol/record-batch/encoder.ts";
import {
  BATCH_HEADER_SIZE,
  BatchField,
  computeBatchCrc,
  makeAttributes,
  TimestampType,
} from "../../../../broker/protocol/record-batch/layout.ts";
import { mutatedBatchArbitrary } from "../../protocol/record-batch/sample-records.ts";

const records = (count: number, prefix = "v"): RecordInput[] =>
  Array.from({ length: count }, (_, i) => ({
    key: Buffer.from(`k${i}`),
    value: Buffer.from(`${prefix}${i}`),
    timestamp: 1_700_000_000_000n + BigInt(i),
  }));

/** A transaction marker batch: one control record whose key says abort (0) or commit (1). */
function controlBatch(baseOffset: bigint, producerId: bigint, type: 0 | 1): Buffer {
  const key = Buffer.alloc(4);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(type, 2);
  const value = Buffer.alloc(6);
  const batch = encodeRecordBatch({
    baseOffset,
    producerId,
    producerEpoch: 0,
    transactional: true,
    records: [{ key, value, timestamp: 1n }],
  });
  batch.writeInt16BE(makeAttributes({ transactional: true, control: true }), BatchField.attributes);
  batch.writeUInt32BE(computeBatchCrc(batch), BatchField.crc);
  return batch;
}

describe("decodeFetchedRecords", () => {
  it("when the fetch offset lies inside a batch, then earlier records are skipped and the next offset follows the batch", () => {
    const blob = Buffer.concat([
      encodeRecordBatch({ baseOffset: 10n, records: records(5) }),
      encodeRecordBatch({ baseOffset: 15n, records: records(3, "w") }),
    ]);
    const decoded = decodeFetchedRecords(blob, 12n, null, true);
    assert.deepEqual(
      decoded.messages.map((m) => m.offset),
      ["12", "13", "14", "15", "16", "17"],
    );
    assert.deepEqual(
      decoded.messages.map((m) => m.value!.toString()),
      ["v2", "v3", "v4", "w0", "w1", "w2"],
    );
    assert.equal(decoded.firstOffset, 12);
    assert.equal(decoded.nextOffset, 18);
    const batch = new Batch("t", 0, 12n, 20n, decoded);
    assert.equal(batch.firstOffset(), "12");
    assert.equal(batch.lastOffset(), "17");
    assert.equal(batch.offsetLag(), "2");
    assert.equal(batch.offsetLagLow(), "7");
    assert.equal(batch.highWatermark, "20");
  });

  it("when keys, values, headers and timestamps are read, then they come back as kafkajs shows them", () => {
    const blob = encodeRecordBatch({
      baseOffset: 0n,
      records: [
        { key: null, value: null, headers: [], timestamp: 1_700_000_000_123n },
        {
          key: Buffer.from("k"),
          value: Buffer.from("v"),
          headers: [
            { key: "a", value: Buffer.from("1") },
            { key: "b", value: Buffer.from("2") },
            { key: "a", value: Buffer.from("3") },
          ],
          timestamp: 1_700_000_000_456n,
        },
      ],
    });
    const [first, second] = decodeFetchedRecords(blob, 0n, null, true).messages;
    assert.deepEqual(first, {
      key: null,
      value: null,
      timestamp: "1700000000123",
      attributes: 0,
      offset: "0",
      headers: {},
    });
    assert.equal(second!.key!.toString(), "k");
    assert.equal(second!.timestamp, "1700000000456");
    assert.deepEqual(Object.keys(second!.headers), ["a", "b"]);
    assert.deepEqual((second!.headers.a as Buffer[]).map(String), ["1", "3"]);
    assert.equal(String(second!.headers.b), "2");
  });

  it("when a batch uses log append time, then every record carries the batch's max timestamp", () => {
    const blob = encodeRecordBatch({ baseOffset: 0n, timestampType: TimestampType.LogAppendTime, records: records(3) });
    assert.deepEqual(
      decodeFetchedRecords(blob, 0n, null, true).messages.map((m) => m.timestamp),
      Array(3).fill("1700000000002"),
    );
  });

  it("when a batch is gzip-compressed, then its records are decoded", () => {
    const blob = encodeRecordBatch({ baseOffset: 100n, compression: "gzip", records: records(50) });
    const decoded = decodeFetchedRecords(blob, 120n, null, true);
    assert.equal(decoded.messages.length, 30);
    assert.equal(decoded.messages[0]!.offset, "120");
    assert.equal(decoded.messages[0]!.value!.toString(), "v20");
    assert.equal(decoded.nextOffset, 150);
  });

  it("when the response ends inside a batch, then that batch is left for the next fetch", () => {
    const whole = encodeRecordBatch({ baseOffset: 0n, records: records(4) });
    const cut = encodeRecordBatch({ baseOffset: 4n, records: records(4) });
    const decoded = decodeFetchedRecords(Buffer.concat([whole, cut.subarray(0, cut.length - 5)]), 0n, null, true);
    assert.equal(decoded.messages.length, 4);
    assert.equal(decoded.nextOffset, 4);
  });

  it("when a control batch follows the data, then it is not handed over but the next offset steps past it", () => {
    const blob = Buffer.concat([
      encodeRecordBatch({ baseOffset: 0n, producerId: 7n, producerEpoch: 0, transactional: true, records: records(3) }),
      controlBatch(3n, 7n, 1),
    ]);
    const decoded = decodeFetchedRecords(blob, 0n, [], true);
    assert.deepEqual(
      decoded.messages.map((m) => m.offset),
      ["0", "1", "2"],
    );
    assert.equal(decoded.nextOffset, 4);
    const onlyMarker = new Batch("t", 0, 3n, 4n, decodeFetchedRecords(blob, 3n, [], true));
    assert.equal(onlyMarker.isEmpty(), true);
    assert.equal(onlyMarker.isEmptyDueToFiltering(), true);
    assert.equal(onlyMarker.nextOffset(), 4n);
  });

  it("when reading committed, then an aborted transaction's records are dropped; reading uncommitted keeps them", () => {
    const blob = Buffer.concat([
      encodeRecordBatch({
        baseOffset: 0n,
        producerId: 5n,
        producerEpoch: 0,
        transactional: true,
        records: records(2, "aborted"),
      }),
      encodeRecordBatch({ baseOffset: 2n, records: records(1, "plain") }),
      controlBatch(3n, 5n, 0),
      encodeRecordBatch({
        baseOffset: 4n,
        producerId: 5n,
        producerEpoch: 0,
        transactional: true,
        records: records(1, "later"),
      }),
    ]);
    const aborted = [{ producerId: 5n, firstOffset: 0n }];
    assert.deepEqual(
      decodeFetchedRecords(blob, 0n, aborted, true).messages.map((m) => m.value!.toString()),
      ["plain0", "later0"],
    );
    assert.deepEqual(
      decodeFetchedRecords(blob, 0n, aborted, false).messages.map((m) => m.value!.toString()),
      ["aborted0", "aborted1", "plain0", "later0"],
    );
  });
});

describe("decodeFetchedRecords on mutated batches", () => {
  it("when a fetched batch's records are mutated, then messages come out or a KafkaJSError is thrown, never another error", () => {
    const outcomes = { decoded: 0, refused: 0 };
    fc.assert(
      fc.property(mutatedBatchArbitrary, fc.boolean(), (batch, withWholeBatchAfter) => {
        const blob = withWholeBatchAfter
          ? Buffer.concat([batch, encodeRecordBatch({ baseOffset: 100n, records: records(2) })])
          : batch;
        try {
          const { messages } = decodeFetchedRecords(blob, 0n, null, true);
          outcomes.decoded++;
          assert.ok(messages.length <= blob.length);
        } catch (error) {
          if (!(error instanceof KafkaJSError)) throw error;
          outcomes.refused++;
        }
      }),
      { seed: 20_240_612, numRuns: 2000 },
    );
    assert.ok(outcomes.decoded > 100 && outcomes.refused > 100, JSON.stringify(outcomes));
  });

  it("when a record claims a huge header count, then the decoder refuses it instead of looping", () => {
    const blob = encodeRecordBatch({
      baseOffset: 0n,
      records: [{ key: null, value: Buffer.from("ab"), timestamp: 5n }],
    });
    // The header count is the record's last byte; 0xfe 0xff 0xff 0xff 0x0f is 2^31 - 1 headers.
    const forged = Buffer.concat([blob.subarray(0, blob.length - 1), Buffer.from([0xfe, 0xff, 0xff, 0xff, 0x0f])]);
    forged.writeInt32BE(forged.length - 12, BatchField.batchLength);
    forged[BATCH_HEADER_SIZE] += 2 * 4; // the record's length grows by the 4 extra bytes
    assert.throws(() => decodeFetchedRecords(forged, 0n, null, true), /corrupt record at offset 0 \+ 0/);
  });
});
