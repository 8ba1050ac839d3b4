// The decode allowance: what a request frame may build when decoded, a multiple of its size.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Apis } from "../../../broker/protocol/apis.ts";
import { encodeRequest, readRequestHeader } from "../../../broker/protocol/headers.ts";
import { decodeAllowanceFor, ProtocolDecodeError, Reader, Writer } from "../../../broker/protocol/primitives.ts";
import { decode } from "../../../broker/protocol/schema.ts";

/** A Metadata v1 request body of `count` topics named by `name(i)`. */
function metadataBody(count: number, name: (i: number) => string): Buffer {
  const writer = new Writer();
  writer.int32(count);
  for (let i = 0; i < count; i++) writer.string(name(i));
  return writer.toBuffer();
}

const decodeMetadata = (body: Buffer) =>
  decode(Apis.Metadata.requestSchema, 1, new Reader(body, 0, decodeAllowanceFor(body.length))) as {
    topics: Array<{ name: string }>;
  };

describe("decode allowance", () => {
  it("when a frame is mostly two-byte items, then decoding it is refused before the items are built", () => {
    const body = metadataBody(500_000, () => "");
    assert.throws(() => decodeMetadata(body), ProtocolDecodeError);
  });

  it("when a request names thousands of topics with real names, then it decodes in full", () => {
    const body = metadataBody(20_000, (i) => `points.topic-${i}`);
    assert.equal(decodeMetadata(body).topics.length, 20_000);
  });

  it("when the allowance runs out inside a tagged field's nested reader, then the whole frame is refused", () => {
    const allowance = { left: 100, limit: 100 };
    const reader = new Reader(Buffer.alloc(8), 0, allowance);
    const nested = reader.nested(Buffer.alloc(4));
    nested.charge(60);
    assert.throws(() => reader.charge(60), /more than 100 bytes of objects/);
  });

  it("when a request is read by the broker's header reader, then its body is decoded under an allowance", () => {
    const frame = Buffer.concat(
      encodeRequest(Apis.Metadata, 1, 9, "allowance", {
        topics: Array.from({ length: 300_000 }, () => ({ name: "" })),
        allowAutoTopicCreation: false,
      }),
    ).subarray(4);
    const { bodyReader } = readRequestHeader(frame);
    assert.throws(() => decode(Apis.Metadata.requestSchema, 1, bodyReader), ProtocolDecodeError);
  });
});
