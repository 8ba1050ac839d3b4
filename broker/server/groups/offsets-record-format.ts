// The records of `__consumer_offsets`, in Kafka's own key/value layout so that the topic reads like
// Kafka's and Kafka's tools can read ours: a key is an int16 schema version followed by that
// version's fields; a value likewise. Strings are int16 length + UTF-8, integers big-endian.
//
// Pure functions over buffers; no state. A short or malformed record is refused with an
// OffsetsRecordFormatError before anything past its end is read.

import { ProtocolDecodeError, Reader, Writer } from "../../protocol/primitives.ts";

export const CONSUMER_OFFSETS_TOPIC = "__consumer_offsets";

/** Kafka's key schema versions: 0 and 1 are offset commits, 2 is group metadata. */
export const OFFSET_COMMIT_KEY_VERSION = 1;
export const GROUP_METADATA_KEY_VERSION = 2;
export const OFFSET_COMMIT_VALUE_VERSION = 3;

export const NO_LEADER_EPOCH = -1;

/** Enough for the fixed fields and short names: most records then fit the first scratch buffer. */
const SCRATCH_BYTES = 128;

export class OffsetsRecordFormatError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "OffsetsRecordFormatError";
  }
}

export interface OffsetCommitKey {
  groupId: string;
  topic: string;
  partition: number;
}

export type OffsetsRecordKey =
  | { kind: "offset-commit"; key: OffsetCommitKey }
  | { kind: "group-metadata"; groupId: string };

/** An offset commit value, as stored and as the coordinator remembers it. */
export interface CommittedOffset {
  offset: bigint;
  leaderEpoch: number;
  metadata: string | null;
  commitTimestamp: bigint;
}

export function encodeOffsetCommitKey(key: OffsetCommitKey): Buffer {
  return new Writer(SCRATCH_BYTES)
    .int16(OFFSET_COMMIT_KEY_VERSION)
    .string(key.groupId)
    .string(key.topic)
    .int32(key.partition)
    .toBuffer();
}

export function encodeOffsetCommitValue(committed: CommittedOffset): Buffer {
  return (
    new Writer(SCRATCH_BYTES)
      .int16(OFFSET_COMMIT_VALUE_VERSION)
      .int64(committed.offset)
      .int32(committed.leaderEpoch)
      // Kafka's value schema has a non-nullable string here and stores "no metadata" as "".
      .string(committed.metadata ?? "")
      .int64(committed.commitTimestamp)
      .toBuffer()
  );
}

export function decodeOffsetsRecordKey(buffer: Buffer): OffsetsRecordKey {
  return decoding("key", buffer, (reader) => {
    const version = reader.int16();
    if (version === 0 || version === 1) {
      const groupId = reader.string();
      const topic = reader.string();
      const partition = reader.int32();
      return { kind: "offset-commit", key: { groupId, topic, partition } };
    }
    if (version === GROUP_METADATA_KEY_VERSION) {
      return { kind: "group-metadata", groupId: reader.string() };
    }
    throw new OffsetsRecordFormatError(`unknown ${CONSUMER_OFFSETS_TOPIC} key version ${version}`);
  });
}

/** Reads every value version Kafka has written for offset commits before the flexible v4. */
export function decodeOffsetCommitValue(buffer: Buffer): CommittedOffset {
  return decoding("offset commit value", buffer, (reader) => {
    const version = reader.int16();
    switch (version) {
      case 0:
      case 2: {
        const offset = reader.int64();
        const metadata = reader.string();
        const commitTimestamp = reader.int64();
        return { offset, leaderEpoch: NO_LEADER_EPOCH, metadata, commitTimestamp };
      }
      case 1: {
        const offset = reader.int64();
        const metadata = reader.string();
        const commitTimestamp = reader.int64();
        reader.int64(); // expire timestamp: retention is not per-commit any more
        return { offset, leaderEpoch: NO_LEADER_EPOCH, metadata, commitTimestamp };
      }
      case 3: {
        const offset = reader.int64();
        const leaderEpoch = reader.int32();
        const metadata = reader.string();
        const commitTimestamp = reader.int64();
        return { offset, leaderEpoch, metadata, commitTimestamp };
      }
      default:
        throw new OffsetsRecordFormatError(`unsupported ${CONSUMER_OFFSETS_TOPIC} offset value version ${version}`);
    }
  });
}

/** Runs a decoder over the record, naming the record in the error when its bytes run short or hold a null string. */
function decoding<Decoded>(what: string, buffer: Buffer, decode: (reader: Reader) => Decoded): Decoded {
  try {
    return decode(new Reader(buffer));
  } catch (error) {
    if (!(error instanceof ProtocolDecodeError)) throw error;
    throw new OffsetsRecordFormatError(
      `malformed ${CONSUMER_OFFSETS_TOPIC} ${what} (${buffer.length} bytes): ${error.message}`,
      { cause: error },
    );
  }
}
