// Checks a message against bytes written out by hand from the spec: the value encodes to exactly
// those bytes, and those bytes decode (all of them) to a value that encodes back to them.
import assert from "node:assert/strict";
import { Reader, Writer } from "../../../../broker/protocol/primitives.ts";
import { decode, encode, type MessageSchema } from "../../../../broker/protocol/schema.ts";

/** Hex with spaces and line breaks allowed, so expected bytes can be laid out field by field. */
export function hex(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ""), "hex");
}

/** A compact (flexible) string: unsigned varint length + 1, then UTF-8. Test strings stay under 127 bytes. */
export function compactString(text: string): string {
  const bytes = Buffer.from(text);
  assert.ok(bytes.length < 127);
  return (bytes.length + 1).toString(16).padStart(2, "0") + bytes.toString("hex");
}

/** A classic string: int16 length, then UTF-8. */
export function classicString(text: string): string {
  const bytes = Buffer.from(text);
  return bytes.length.toString(16).padStart(4, "0") + bytes.toString("hex");
}

/** Returns the decoded value, for spot checks of what the decoder fills in. */
export function assertWireBytes<T>(schema: MessageSchema<T>, version: number, value: T, expected: Buffer): T {
  const bytes = encode(schema, version, value, new Writer()).toBuffer();
  assert.equal(bytes.toString("hex"), expected.toString("hex"), `${schema.name} v${version} encodes differently`);
  const reader = new Reader(expected);
  const decoded = decode(schema, version, reader);
  assert.equal(reader.remaining, 0, `${schema.name} v${version} left bytes unread`);
  const again = encode(schema, version, decoded, new Writer()).toBuffer();
  assert.equal(again.toString("hex"), expected.toString("hex"), `${schema.name} v${version} decodes differently`);
  return decoded;
}
