// Builds valid magic-2 record batches (CRC-32C included) for the storage tests, independently of
// the broker's own code, so decoding is checked against a separate encoder.

import { crc32c } from "@node-rs/crc32";

export interface TestRecord {
  key?: Buffer | string | null;
  value?: Buffer | string | null;
  timestampDelta?: number;
  /** Defaults to the record's position in the batch. */
  offsetDelta?: number;
  headers?: Array<[string, Buffer | string | null]>;
}

export interface BatchSpec {
  records?: TestRecord[];
  baseOffset?: bigint;
  baseTimestamp?: bigint;
  /** Defaults to baseTimestamp plus the largest timestampDelta. */
  maxTimestamp?: bigint;
  /** Defaults to the largest offsetDelta. */
  lastOffsetDelta?: number;
  attributes?: number;
  partitionLeaderEpoch?: number;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
}

export function buildBatch(spec: BatchSpec = {}): Buffer {
  const records = spec.records ?? [{ key: "k", value: "v" }];
  const baseTimestamp = spec.baseTimestamp ?? 1_700_000_000_000n;
  const encoded = records.map((record, index) => encodeRecord(record, record.offsetDelta ?? index));
  const recordsBytes = Buffer.concat(encoded);
  const header = Buffer.alloc(61);
  const maxDelta = records.reduce((max, record) => Math.max(max, record.timestampDelta ?? 0), 0);
  const lastOffsetDelta = spec.lastOffsetDelta ?? records.reduce((max, record, index) => Math.max(max, record.offsetDelta ?? index), 0);
  header.writeBigInt64BE(spec.baseOffset ?? 0n, 0);
  header.writeInt32BE(61 + recordsBytes.length - 12, 8);
  header.writeInt32BE(spec.partitionLeaderEpoch ?? -1, 12);
  header.writeInt8(2, 16);
  header.writeInt16BE(spec.attributes ?? 0, 21);
  header.writeInt32BE(lastOffsetDelta, 23);
  header.writeBigInt64BE(baseTimestamp, 27);
  header.writeBigInt64BE(spec.maxTimestamp ?? baseTimestamp + BigInt(maxDelta), 35);
  header.writeBigInt64BE(spec.producerId ?? -1n, 43);
  header.writeInt16BE(spec.producerEpoch ?? -1, 51);
  header.writeInt32BE(spec.baseSequence ?? -1, 53);
  header.writeInt32BE(records.length, 57);
  const batch = Buffer.concat([header, recordsBytes]);
  batch.writeUInt32BE(crc32c(batch.subarray(21)), 17);
  return batch;
}

/** A batch of `count` records whose values are `valueBytes` long each. */
export function batchOfSize(count: number, valueBytes: number, spec: Omit<BatchSpec, "records"> = {}): Buffer {
  const records = Array.from({ length: count }, (_, i) => ({ key: `key-${i}`, value: Buffer.alloc(valueBytes, i % 251) }));
  return buildBatch({ ...spec, records });
}

function encodeRecord(record: TestRecord, offsetDelta: number): Buffer {
  const parts: Buffer[] = [
    Buffer.from([0]),
    zigzagVarint(BigInt(record.timestampDelta ?? 0)),
    zigzagVarint(BigInt(offsetDelta)),
    nullableBytes(record.key === undefined ? null : record.key),
    nullableBytes(record.value === undefined ? null : record.value),
    zigzagVarint(BigInt(record.headers?.length ?? 0)),
  ];
  for (const [key, value] of record.headers ?? []) {
    parts.push(nullableBytes(key), nullableBytes(value));
  }
  const body = Buffer.concat(parts);
  return Buffer.concat([zigzagVarint(BigInt(body.length)), body]);
}

function nullableBytes(value: Buffer | string | null): Buffer {
  if (value === null) return zigzagVarint(-1n);
  const bytes = typeof value === "string" ? Buffer.from(value) : value;
  return Buffer.concat([zigzagVarint(BigInt(bytes.length)), bytes]);
}

function zigzagVarint(value: bigint): Buffer {
  let unsigned = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n));
  const bytes: number[] = [];
  while (unsigned >= 0x80n) {
    bytes.push(Number(unsigned & 0x7fn) | 0x80);
    unsigned >>= 7n;
  }
  bytes.push(Number(unsigned));
  return Buffer.from(bytes);
}
