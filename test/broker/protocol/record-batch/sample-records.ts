// Records shared by the record batch tests: keys, values and headers, nulls and empties, and
// timestamps that go up and down from the first one; and mutated batches for fast-check.
import fc from "fast-check";
import { encodeRecordBatch, type RecordInput } from "../../../../broker/protocol/record-batch/encoder.ts";
import { BATCH_HEADER_SIZE, BatchField } from "../../../../broker/protocol/record-batch/layout.ts";

export const sampleRecords = [
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

const bytes = (maxLength: number) => fc.uint8Array({ maxLength }).map((b) => Buffer.from(b));
const orNull = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: null });

const recordArbitrary: fc.Arbitrary<RecordInput> = fc.record({
  key: orNull(bytes(8)),
  value: orNull(bytes(40)),
  headers: fc.array(fc.record({ key: fc.string({ maxLength: 4 }), value: orNull(bytes(4)) }), { maxLength: 2 }),
  timestamp: fc.bigInt({ min: 0n, max: 2n ** 50n }),
});

/**
 * Batches of random records (gzip or not) whose records section had a few bytes overwritten,
 * perhaps a forged record count, perhaps a cut (with batchLength following it): what a buggy peer
 * or a damaged disk may hand a decoder.
 */
export const mutatedBatchArbitrary: fc.Arbitrary<Buffer> = fc
  .record({
    records: fc.array(recordArbitrary, { minLength: 1, maxLength: 5 }),
    gzip: fc.boolean(),
    writes: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
    recordCount: fc.option(fc.constantFrom(0x7fffffff, -1, 1_000_000, 0), { nil: undefined }),
    cut: fc.option(fc.nat(), { nil: undefined }),
  })
  .map(({ records, gzip, writes, recordCount, cut }) => {
    const batch = encodeRecordBatch({ records, compression: gzip ? "gzip" : "none" });
    // Header bytes before the records are left alone but for the record count: the records are the point.
    for (const [at, byte] of writes) batch[BATCH_HEADER_SIZE + (at % (batch.length - BATCH_HEADER_SIZE))] = byte;
    if (recordCount !== undefined) batch.writeInt32BE(recordCount, BatchField.recordCount);
    if (cut === undefined) return batch;
    const truncated = batch.subarray(0, BATCH_HEADER_SIZE + (cut % (batch.length - BATCH_HEADER_SIZE)));
    truncated.writeInt32BE(truncated.length - 12, BatchField.batchLength);
    return truncated;
  });
