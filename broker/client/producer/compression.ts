// Compression codecs by kafkajs's numbering. gzip is built in; the others throw
// KafkaJSNotImplemented unless the app registers a codec the kafkajs way
// (`CompressionCodecs[CompressionTypes.Snappy] = SnappyCodec`), which is then used as is.
import { promisify } from "node:util";
import { gzip, unzip } from "node:zlib";
import { KafkaJSNonRetriableError, KafkaJSNotImplemented } from "../errors.ts";

export const CompressionTypes = { None: 0, GZIP: 1, Snappy: 2, LZ4: 3, ZSTD: 4 } as const;
export type CompressionTypes = (typeof CompressionTypes)[keyof typeof CompressionTypes];

/** kafkajs's codec contract: `compress` gets an encoder-like object whose `buffer` holds the records. */
export interface CompressionCodec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

const gzipAsync = promisify(gzip);
const unzipAsync = promisify(unzip);

const gzipCodec: CompressionCodec = {
  compress: (encoder) => gzipAsync(encoder.buffer),
  decompress: (buffer) => unzipAsync(buffer),
};

const notImplemented = (name: string) => (): CompressionCodec => {
  throw new KafkaJSNotImplemented(`${name} compression not implemented`);
};

export const CompressionCodecs: Record<number, () => CompressionCodec> = {
  [CompressionTypes.GZIP]: () => gzipCodec,
  [CompressionTypes.Snappy]: notImplemented("Snappy"),
  [CompressionTypes.LZ4]: notImplemented("LZ4"),
  [CompressionTypes.ZSTD]: notImplemented("ZSTD"),
};

/** The codec for a compression type; null for None. Throws for an unknown or unavailable codec. */
export function codecFor(compression: number): CompressionCodec | null {
  if (compression === CompressionTypes.None) return null;
  const factory = CompressionCodecs[compression];
  if (!factory) throw new KafkaJSNonRetriableError(`Unknown compression type ${compression}`);
  return factory();
}
