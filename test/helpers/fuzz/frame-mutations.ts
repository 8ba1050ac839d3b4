// Mutated copies of request frames, as a buggy or hostile client would send them: flipped bits,
// integer fields (lengths, counts, sizes, timeouts; int16/int32 and compact varint forms)
// rewritten to extreme values, truncations, and size prefixes that disagree with the body.

import type { IntegerField, RequestFrame } from "./frame-fields.ts";

const EXTREME_INT8 = [-1, 127, -128, 0];
const EXTREME_INT16 = [0x7fff, -1, -2, -0x8000, 0x4000, 0];
const EXTREME_INT32 = [0x7fffffff, -1, -2, -0x80000000, 0x10000000, 0x01000000, 1_000_000, 0];
const EXTREME_INT64 = [-1n, 0x7fffffffffffffffn, -0x8000000000000000n, 0n];
/** Compact lengths and counts are N+1 (0 is null); a varint may take up to 5 bytes. */
const EXTREME_UVARINT = [0xffffffff, 0x7fffffff, 0x10000000, 1_000_000, 0, 1, 2];

export function uvarintBytes(value: number): Buffer {
  const bytes: number[] = [];
  while (value >= 0x80) {
    bytes.push((value % 128) | 0x80);
    value = Math.floor(value / 128);
  }
  bytes.push(value);
  return Buffer.from(bytes);
}

export type MutationKind = "bit-flips" | "integer-field" | "truncation" | "mixed";

export interface MutatedFrame {
  kind: MutationKind;
  /** The body, without a size prefix. */
  body: Buffer;
  /** The size prefix to send, which may disagree with the body on purpose. */
  sizePrefix: number;
}

export type Random = () => number;

export const pickWith =
  (random: Random) =>
  <T>(items: readonly T[]): T =>
    items[Math.floor(random() * items.length)]!;

/** `body` with `field` rewritten to `value` (a varint may change width, shifting what follows). */
export function withInteger(body: Buffer, field: IntegerField, value: number | bigint): Buffer {
  switch (field.kind) {
    case "int8":
      body.writeInt8(Number(value), field.offset);
      return body;
    case "int16":
      body.writeInt16BE(Number(value), field.offset);
      return body;
    case "int32":
      body.writeInt32BE(Number(value), field.offset);
      return body;
    case "int64":
      body.writeBigInt64BE(BigInt(value), field.offset);
      return body;
    case "varint":
      return Buffer.concat([
        body.subarray(0, field.offset),
        uvarintBytes(Number(value)),
        body.subarray(field.offset + field.width),
      ]);
  }
}

function extremeValue(field: IntegerField, random: Random): number | bigint {
  const pick = pickWith(random);
  switch (field.kind) {
    case "int8":
      return pick(EXTREME_INT8);
    case "int16":
      return pick(EXTREME_INT16);
    case "int32":
      return pick(EXTREME_INT32);
    case "int64":
      return pick(EXTREME_INT64);
    case "varint":
      return pick(EXTREME_UVARINT);
  }
}

/** The largest value of the field's width: a length, count, size or timeout at its maximum. */
function maximumValue(field: IntegerField): number | bigint {
  switch (field.kind) {
    case "int8":
      return 127;
    case "int16":
      return 0x7fff;
    case "int32":
      return 0x7fffffff;
    case "int64":
      return 0x7fffffffffffffffn;
    case "varint":
      return 0xffffffff;
  }
}

/** `field` of `frame` rewritten to the largest value of its width, with a matching size prefix. */
export function withFieldAtMaximum(frame: RequestFrame, field: IntegerField): MutatedFrame {
  const body = withInteger(Buffer.from(frame), field, maximumValue(field));
  return { kind: "integer-field", body, sizePrefix: body.length };
}

/** One mutated copy of `frame`, chosen by `random`; `fields` as integerFieldsOf(frame) found them. */
export function mutateFrame(frame: RequestFrame, fields: readonly IntegerField[], random: Random): MutatedFrame {
  const roll = random();
  const kind: MutationKind =
    roll < 0.3 ? "bit-flips" : roll < 0.75 ? "integer-field" : roll < 0.9 ? "truncation" : "mixed";
  let body: Buffer = Buffer.from(frame);

  const flipBits = (): void => {
    const flips = 1 + Math.floor(random() * 4);
    for (let i = 0; i < flips && body.length > 0; i++) {
      const at = Math.floor(random() * body.length);
      body[at]! ^= 1 << Math.floor(random() * 8);
    }
  };
  const rewriteField = (): void => {
    const field = fields.length === 0 ? undefined : fields[Math.floor(random() * fields.length)]!;
    if (field === undefined || field.offset + field.width > body.length) flipBits();
    else body = withInteger(body, field, extremeValue(field, random));
  };
  const truncate = (): void => {
    body = body.subarray(0, Math.floor(random() * body.length));
  };

  if (kind === "bit-flips") flipBits();
  else if (kind === "integer-field") rewriteField();
  else if (kind === "truncation") truncate();
  else {
    rewriteField();
    flipBits();
    if (random() < 0.5) truncate();
  }
  return { kind, body, sizePrefix: sizePrefixFor(body, frame.length, random) };
}

/**
 * Mostly a prefix that matches the body; sometimes the original frame's (the broker then waits for
 * bytes that never come) or one with a flipped bit (huge, negative or short).
 */
function sizePrefixFor(body: Buffer, originalLength: number, random: Random): number {
  const roll = random();
  if (roll < 0.85) return body.length;
  if (roll < 0.95) return originalLength;
  return (body.length ^ (1 << Math.floor(random() * 31))) | 0;
}

/** What goes on the wire: the size prefix, then the body. */
export function wireBytes(frame: Pick<MutatedFrame, "body" | "sizePrefix">): Buffer {
  const prefix = Buffer.alloc(4);
  prefix.writeInt32BE(frame.sizePrefix | 0);
  return Buffer.concat([prefix, frame.body]);
}
