// Record batches for the storage tests, encoded by broker/protocol/record-batch/encoder.ts. This only adds
// fixture conveniences: string keys and values, and timestamps fixed relative to a base time so
// that batch bytes and sizes are the same on every run.

import { encodeRecordBatch, type RecordBatchInput } from "../../../broker/protocol/record-batch/encoder.ts";

export interface TestRecord {
  key?: Buffer | string | null;
  value?: Buffer | string | null;
  timestampDelta?: number;
  /** Defaults to the record's position in the batch. */
  offsetDelta?: number;
  headers?: Array<[string, Buffer | string | null]>;
}

export interface BatchSpec extends Omit<RecordBatchInput, "records"> {
  records?: TestRecord[];
  /** The time each record's timestampDelta is added to. */
  baseTimestamp?: bigint;
}

export function buildBatch(spec: BatchSpec = {}): Buffer {
  const { records = [{ key: "k", value: "v" }], baseTimestamp = 1_700_000_000_000n, ...batch } = spec;
  return encodeRecordBatch({
    ...batch,
    records: records.map((record) => ({
      key: bytesOf(record.key),
      value: bytesOf(record.value),
      timestamp: baseTimestamp + BigInt(record.timestampDelta ?? 0),
      offsetDelta: record.offsetDelta,
      headers: record.headers?.map(([key, value]) => ({ key, value: bytesOf(value) })),
    })),
  });
}

/** A batch of `count` records whose values are `valueBytes` long each. */
export function batchOfSize(count: number, valueBytes: number, spec: Omit<BatchSpec, "records"> = {}): Buffer {
  const records = Array.from({ length: count }, (_, i) => ({
    key: `key-${i}`,
    value: Buffer.alloc(valueBytes, i % 251),
  }));
  return buildBatch({ ...spec, records });
}

function bytesOf(value: Buffer | string | null | undefined): Buffer | null {
  if (value === undefined || value === null) return null;
  return typeof value === "string" ? Buffer.from(value) : value;
}
