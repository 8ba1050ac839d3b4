// kafkajs-shaped messages into record batches, through the protocol's one record encoder: all
// this adds is how a kafkajs message's headers are walked (an object whose array values become
// repeated headers, undefined values left out). Several sends' messages for one partition become
// one batch; the caller learns how many sends it took.
//
// Ownership: none; the encoder's scratch state is the protocol encoder's (lay out, then write,
// back to back).
import {
  type BatchHeaderFields,
  type RecordSource as ProtocolRecordSource,
  RecordEncoder,
  type RecordsLayout,
  wrapCompressedRecords,
} from "../../protocol/record-batch/encoder.ts";
import type { IHeaders } from "../types.ts";
import type { Message } from "./types.ts";

export type { BatchHeaderFields, RecordsLayout } from "../../protocol/record-batch/encoder.ts";
export { wrapCompressedRecords };

/** One send's messages for the partition, and the timestamp of those that carry none. */
export type RecordSource = ProtocolRecordSource<Message>;

/** Each header once per value (arrays become repeated headers); undefined values are left out. */
function forEachHeader(headers: IHeaders, visit: (key: string, value: unknown) => void): void {
  for (const key of Object.keys(headers)) {
    const value = headers[key];
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) visit(key, item);
    else visit(key, value);
  }
}

const encoder = new RecordEncoder<Message, IHeaders>(forEachHeader);

/**
 * Measures the messages of `sources[first..end)`, taking whole sends while the records section
 * stays within `maxBytes` (the first send always).
 */
export function layoutRecords(
  sources: readonly RecordSource[],
  first: number,
  end: number,
  maxBytes: number,
): RecordsLayout {
  return encoder.layout(sources, first, end, maxBytes);
}

/** An uncompressed batch of the laid-out messages, in one buffer (the start of `target` when given). */
export function encodeUncompressedBatch(
  sources: readonly RecordSource[],
  first: number,
  layout: RecordsLayout,
  fields: BatchHeaderFields,
  target?: Buffer,
): Buffer {
  return encoder.encodeBatch(sources, first, layout, fields, target);
}

/** The laid-out records section alone, for a codec to compress (then wrapCompressedRecords). */
export function encodeRecordsSection(sources: readonly RecordSource[], first: number, layout: RecordsLayout): Buffer {
  return encoder.encodeRecordsSection(sources, first, layout);
}
