// The producer's record batch encoder, read back with the protocol layer's decoder: every field
// of every record, the size cap that splits merged sends, and timestamps far from the first one.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { gunzipSync, gzipSync } from "node:zlib";
import {
  encodeRecordsSection,
  encodeUncompressedBatch,
  layoutRecords,
  type RecordSource,
  wrapCompressedRecords,
} from "../../../../broker/client/producer/record-batch-encoder.ts";
import { decodeRecordBatch } from "../../../../broker/protocol/record-batch/decoder.ts";
import { encodeRecordBatch } from "../../../../broker/protocol/record-batch/encoder.ts";
import { readBatchHeader } from "../../../../broker/protocol/record-batch/layout.ts";
import { crcIsValid } from "../../../../broker/protocol/record-batch/splitter.ts";

const plain = { compression: 0, producerId: -1n, producerEpoch: -1, baseSequence: -1 };
const NOW = 1_700_000_000_000;

function encodeAll(sources: RecordSource[], maxBytes = 1 << 30, fields = plain): Buffer {
  const layout = layoutRecords(sources, 0, sources.length, maxBytes);
  return encodeUncompressedBatch(sources, 0, layout, fields);
}

describe("record batch encoder", () => {
  it("when messages carry keys, values, headers, timestamps and nulls, then the decoder reads each field back", () => {
    const sources: RecordSource[] = [
      {
        defaultTimestamp: NOW,
        messages: [
          { key: "k1", value: "v1", headers: { a: "x", rep: ["1", Buffer.from([2])], skipped: undefined } },
          { key: null, value: null },
          { key: Buffer.from([0, 255]), value: "héllo ✓", timestamp: String(NOW - 5000) },
        ],
      },
      {
        defaultTimestamp: NOW + 7,
        messages: [
          { key: "", value: "", headers: { empty: "" } },
          { value: "far", timestamp: "0" },
        ],
      },
    ];
    const batch = encodeAll(sources);
    assert.ok(crcIsValid(batch, 0));
    const { header, records } = decodeRecordBatch(batch, 0);
    assert.equal(header.recordCount, 5);
    assert.equal(header.lastOffsetDelta, 4);
    assert.equal(header.baseTimestamp, BigInt(NOW));
    assert.equal(header.maxTimestamp, BigInt(NOW + 7));
    assert.equal(header.producerId, -1n);
    assert.deepEqual(
      records.map((r) => ({
        offset: r.offset,
        timestamp: r.timestamp,
        key: r.key === null ? null : r.key.toString("hex"),
        value: r.value === null ? null : r.value.toString(),
        headers: r.headers.map((h) => [h.key, h.value === null ? null : h.value.toString("hex")]),
      })),
      [
        {
          offset: 0n,
          timestamp: BigInt(NOW),
          key: Buffer.from("k1").toString("hex"),
          value: "v1",
          headers: [
            ["a", "78"],
            ["rep", "31"],
            ["rep", "02"],
          ],
        },
        { offset: 1n, timestamp: BigInt(NOW), key: null, value: null, headers: [] },
        { offset: 2n, timestamp: BigInt(NOW - 5000), key: "00ff", value: "héllo ✓", headers: [] },
        { offset: 3n, timestamp: BigInt(NOW + 7), key: "", value: "", headers: [["empty", ""]] },
        { offset: 4n, timestamp: 0n, key: null, value: "far", headers: [] },
      ],
    );
  });

  it("when the records are the same, then the bytes equal the protocol layer's encodeRecordBatch", () => {
    const messages = [
      { key: "a", value: "1", headers: { h: "v" } },
      { key: null, value: Buffer.alloc(300, 7) },
    ];
    const ours = encodeAll([{ defaultTimestamp: NOW, messages }]);
    const reference = encodeRecordBatch({
      records: [
        {
          key: Buffer.from("a"),
          value: Buffer.from("1"),
          headers: [{ key: "h", value: Buffer.from("v") }],
          timestamp: BigInt(NOW),
        },
        { key: null, value: Buffer.alloc(300, 7), timestamp: BigInt(NOW) },
      ],
    });
    assert.deepEqual(ours, reference);
  });

  it("when merged sends exceed maxBytes, then whole sends are taken up to the cap and the first one always", () => {
    const big = (n: number): RecordSource => ({
      defaultTimestamp: NOW,
      messages: Array.from({ length: n }, () => ({ value: Buffer.alloc(100) })),
    });
    const sources = [big(5), big(5), big(5)];
    const oneSend = layoutRecords(sources, 0, 3, 600);
    assert.equal(oneSend.sourceCount, 1);
    assert.equal(oneSend.recordCount, 5);
    const twoSends = layoutRecords(sources, 0, 3, 1200);
    assert.equal(twoSends.sourceCount, 2);
    const oversized = layoutRecords(sources, 1, 3, 10);
    assert.equal(oversized.sourceCount, 1, "a send larger than the cap still goes, alone");
    const batch = encodeUncompressedBatch(sources, 1, oversized, plain);
    assert.equal(decodeRecordBatch(batch, 0).records.length, 5);
  });

  it("when a batch is gzip-compressed around the records section, then it decodes to the same records", () => {
    const sources: RecordSource[] = [
      {
        defaultTimestamp: NOW,
        messages: Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: "x".repeat(i) })),
      },
    ];
    const layout = layoutRecords(sources, 0, 1, 1 << 20);
    const section = encodeRecordsSection(sources, 0, layout);
    const batch = wrapCompressedRecords(gzipSync(section), layout, { ...plain, compression: 1 });
    assert.ok(crcIsValid(batch, 0));
    assert.equal(readBatchHeader(batch, 0).attributes & 7, 1);
    assert.deepEqual(gunzipSync(batch.subarray(61)), section);
    const records = decodeRecordBatch(batch, 0).records;
    assert.deepEqual(
      records.map((r) => r.value!.toString()),
      sources[0]!.messages.map((m) => m.value),
    );
  });

  it("when idempotence fields are given, then the header carries the producer id, epoch and base sequence", () => {
    const batch = encodeAll([{ defaultTimestamp: NOW, messages: [{ value: "a" }, { value: "b" }] }], 1 << 20, {
      compression: 0,
      producerId: 42n,
      producerEpoch: 3,
      baseSequence: 17,
    });
    const header = readBatchHeader(batch, 0);
    assert.equal(header.producerId, 42n);
    assert.equal(header.producerEpoch, 3);
    assert.equal(header.baseSequence, 17);
    assert.equal(header.partitionLeaderEpoch, -1);
  });
});
