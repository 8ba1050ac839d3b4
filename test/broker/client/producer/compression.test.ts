import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { gunzipSync, gzipSync } from "node:zlib";
import { CompressionTypes as KafkajsCompressionTypes } from "kafkajs";
import { KafkaJSNonRetriableError, KafkaJSNotImplemented } from "../../../../broker/client/errors.ts";
import {
  type CompressionCodec,
  CompressionCodecs,
  CompressionTypes,
  codecFor,
} from "../../../../broker/client/producer/compression.ts";

describe("compression codecs", () => {
  it("when types are compared with kafkajs's, then they have the same numbers", () => {
    assert.deepEqual({ ...CompressionTypes }, { ...KafkajsCompressionTypes });
  });

  it("when no compression is asked for, then there is no codec", () => {
    assert.equal(codecFor(CompressionTypes.None), null);
  });

  it("when gzip compresses, then the bytes are real gzip, and it decompresses what gzip wrote", async () => {
    const codec = codecFor(CompressionTypes.GZIP)!;
    const records = Buffer.from("records ".repeat(100));
    const compressed = await codec.compress({ buffer: records });
    assert.ok(compressed.length < records.length);
    assert.deepEqual(gunzipSync(compressed), records);
    assert.deepEqual(await codec.decompress(gzipSync(records)), records);
  });

  it("when Snappy, LZ4 or ZSTD is asked for without a registered codec, then KafkaJSNotImplemented names it", () => {
    for (const [type, name] of [
      [CompressionTypes.Snappy, "Snappy"],
      [CompressionTypes.LZ4, "LZ4"],
      [CompressionTypes.ZSTD, "ZSTD"],
    ] as const) {
      assert.throws(
        () => codecFor(type),
        (error) => error instanceof KafkaJSNotImplemented && error.message === `${name} compression not implemented`,
      );
    }
  });

  it("when an app registers a codec the kafkajs way, then that codec is used", (t) => {
    const original = CompressionCodecs[CompressionTypes.Snappy]!;
    t.after(() => {
      CompressionCodecs[CompressionTypes.Snappy] = original;
    });
    const appCodec: CompressionCodec = {
      compress: async ({ buffer }) => Buffer.from(buffer).reverse(),
      decompress: async (buffer) => Buffer.from(buffer).reverse(),
    };
    CompressionCodecs[CompressionTypes.Snappy] = () => appCodec;
    assert.equal(codecFor(CompressionTypes.Snappy), appCodec);
  });

  it("when the type is unknown, then a KafkaJSNonRetriableError", () => {
    assert.throws(
      () => codecFor(9),
      (error) => error instanceof KafkaJSNonRetriableError && /Unknown compression type 9/.test(error.message),
    );
  });
});
