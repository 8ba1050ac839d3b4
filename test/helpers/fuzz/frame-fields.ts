// Where the fields of a request frame lie, found by decoding it with the broker's own schemas
// through a Reader that notes each integer (lengths and counts included, varints too) and each
// byte blob as it reads them; and where the record batches inside those blobs start. The
// mutations aim at these places.

import { apiByKey, requestHeaderVersion } from "../../../broker/protocol/apis.ts";
import { decodeRequestHeader } from "../../../broker/protocol/headers.ts";
import { Reader } from "../../../broker/protocol/primitives.ts";
import { BATCH_HEADER_SIZE, BatchField, CURRENT_MAGIC } from "../../../broker/protocol/record-batch/layout.ts";
import { splitBatches } from "../../../broker/protocol/record-batch/splitter.ts";
import { decode } from "../../../broker/protocol/schema.ts";

/** One request as a client sent it, without its size prefix. */
export type RequestFrame = Buffer;

export interface IntegerField {
  offset: number;
  /** Bytes on the wire; for a varint, the bytes it took. */
  width: number;
  kind: "int8" | "int16" | "int32" | "int64" | "varint";
}

/** Bytes of a bytes or records field: [start, end) of the frame. */
export interface BlobField {
  start: number;
  end: number;
}

export interface FrameFields {
  integers: IntegerField[];
  blobs: BlobField[];
  /** Where a whole magic-2 record batch starts in the frame, and its size. */
  batches: Array<{ position: number; size: number }>;
}

/** A Reader that notes where each integer and each byte blob was read. */
class FieldRecordingReader extends Reader {
  readonly integers: IntegerField[] = [];
  readonly blobs: BlobField[] = [];

  private note(kind: IntegerField["kind"], width: number): void {
    this.integers.push({ offset: this.offset, width, kind });
  }

  override int8(): number {
    this.note("int8", 1);
    return super.int8();
  }
  override int16(): number {
    this.note("int16", 2);
    return super.int16();
  }
  override int32(): number {
    this.note("int32", 4);
    return super.int32();
  }
  override int64(): bigint {
    this.note("int64", 8);
    return super.int64();
  }
  override uvarint(): number {
    const start = this.offset;
    const value = super.uvarint();
    this.integers.push({ offset: start, width: this.offset - start, kind: "varint" });
    return value;
  }
  override raw(length: number): Buffer {
    const start = this.offset;
    const view = super.raw(length);
    if (length > 0) this.blobs.push({ start, end: start + length });
    return view;
  }
}

/** The fields of a request frame (header and body): as far as it decodes, when it does not in full. */
export function fieldsOf(frame: RequestFrame): FrameFields {
  const reader = new FieldRecordingReader(frame);
  try {
    const apiKey = frame.readInt16BE(0);
    const apiVersion = frame.readInt16BE(2);
    decodeRequestHeader(reader, requestHeaderVersion(apiKey, apiVersion));
    const api = apiByKey(apiKey);
    if (api) decode(api.requestSchema, apiVersion, reader);
  } catch {
    // keep what was found before the failure
  }
  return { integers: reader.integers, blobs: reader.blobs, batches: batchesIn(frame, reader.blobs) };
}

/** The integer fields of a request frame. */
export function integerFieldsOf(frame: RequestFrame): IntegerField[] {
  return fieldsOf(frame).integers;
}

function batchesIn(frame: RequestFrame, blobs: readonly BlobField[]): FrameFields["batches"] {
  const found: FrameFields["batches"] = [];
  for (const { start, end } of blobs) {
    if (end - start < BATCH_HEADER_SIZE || frame[start + BatchField.magic] !== CURRENT_MAGIC) continue;
    for (const batch of splitBatches(frame.subarray(start, end)).batches)
      found.push({ position: start + batch.position, size: batch.size });
  }
  return found;
}
