import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type CommittedOffset,
  decodeOffsetCommitValue,
  decodeOffsetsRecordKey,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
  OffsetsRecordFormatError,
} from "../../../../broker/server/groups/offsets-record-format.ts";

/** Kafka's schema primitives, written out by hand so the expected bytes do not come from the code under test. */
const int16 = (value: number) => [(value >> 8) & 0xff, value & 0xff];
const int32 = (value: number) => [(value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
const int64 = (value: bigint) => [...Buffer.from(BigInt.asUintN(64, value).toString(16).padStart(16, "0"), "hex")];
const string = (value: string) => [...int16(Buffer.byteLength(value)), ...Buffer.from(value)];

describe("__consumer_offsets record format", () => {
  it("when an offset commit is encoded, then key and value use Kafka's v1 key and v3 value layout", () => {
    const key = encodeOffsetCommitKey({ groupId: "g", topic: "tp", partition: 7 });
    assert.deepEqual(key, Buffer.from([0, 1, 0, 1, 0x67, 0, 2, 0x74, 0x70, 0, 0, 0, 7]));

    const value = encodeOffsetCommitValue({ offset: 258n, leaderEpoch: 3, metadata: null, commitTimestamp: 1_000n });
    assert.deepEqual(
      value,
      Buffer.from([
        ...[0, 3], // value version 3
        ...[0, 0, 0, 0, 0, 0, 1, 2], // offset 258
        ...[0, 0, 0, 3], // leader epoch
        ...[0, 0], // metadata "" (Kafka's stand-in for none)
        ...[0, 0, 0, 0, 0, 0, 0x03, 0xe8], // commit timestamp 1000
      ]),
    );
    assert.deepEqual(decodeOffsetCommitValue(value), {
      offset: 258n,
      leaderEpoch: 3,
      metadata: "",
      commitTimestamp: 1_000n,
    });
  });

  it("when keys and values with any strings and numbers are encoded, then decoding gives them back", () => {
    const key = { groupId: "points-ledger €", topic: "sales.v2", partition: 2_147_483_647 };
    assert.deepEqual(decodeOffsetsRecordKey(encodeOffsetCommitKey(key)), { kind: "offset-commit", key });

    const values: CommittedOffset[] = [
      { offset: 0n, leaderEpoch: -1, metadata: "", commitTimestamp: 0n },
      {
        offset: 9_223_372_036_854_775_807n,
        leaderEpoch: 41,
        metadata: "till 7 — grüße",
        commitTimestamp: 1_700_000_000_123n,
      },
      { offset: -1n, leaderEpoch: 0, metadata: "x".repeat(0x7fff), commitTimestamp: -1n },
    ];
    for (const value of values) assert.deepEqual(decodeOffsetCommitValue(encodeOffsetCommitValue(value)), value);
  });

  it("when older key and value versions are read, then Kafka's layout of each version is understood", () => {
    assert.deepEqual(decodeOffsetsRecordKey(Buffer.from([...int16(0), ...string("g"), ...string("tp"), ...int32(7)])), {
      kind: "offset-commit",
      key: { groupId: "g", topic: "tp", partition: 7 },
    });
    assert.deepEqual(decodeOffsetsRecordKey(Buffer.from([...int16(2), ...string("legacy")])), {
      kind: "group-metadata",
      groupId: "legacy",
    });

    const v0 = Buffer.from([...int16(0), ...int64(77n), ...string("hi"), ...int64(5n)]);
    const v1 = Buffer.from([...int16(1), ...int64(77n), ...string("hi"), ...int64(5n), ...int64(6n)]);
    const v2 = Buffer.from([...int16(2), ...int64(77n), ...string("hi"), ...int64(5n)]);
    for (const value of [v0, v1, v2]) {
      assert.deepEqual(decodeOffsetCommitValue(value), {
        offset: 77n,
        leaderEpoch: -1,
        metadata: "hi",
        commitTimestamp: 5n,
      });
    }
  });

  it("when a record is cut short anywhere, then decoding refuses it with a format error instead of reading past its end", () => {
    const key = encodeOffsetCommitKey({ groupId: "orders", topic: "sales", partition: 3 });
    const value = encodeOffsetCommitValue({ offset: 10n, leaderEpoch: 1, metadata: "note", commitTimestamp: 5n });
    for (let length = 0; length < key.length; length += 1) {
      // A view into the whole record: the bytes after its end are there, and must not be read.
      assert.throws(
        () => decodeOffsetsRecordKey(key.subarray(0, length)),
        OffsetsRecordFormatError,
        `key of ${length}`,
      );
    }
    for (let length = 0; length < value.length; length += 1) {
      assert.throws(
        () => decodeOffsetCommitValue(value.subarray(0, length)),
        OffsetsRecordFormatError,
        `value of ${length}`,
      );
    }
  });

  it("when a record holds a string longer than its bytes, a null string or an unknown version, then decoding refuses it", () => {
    const refusals: [string, () => unknown, RegExp][] = [
      [
        "a string length past the end",
        () => decodeOffsetsRecordKey(Buffer.from([...int16(1), ...int16(0x7fff), 0x67])),
        /__consumer_offsets key/,
      ],
      [
        "a null group id",
        () => decodeOffsetsRecordKey(Buffer.from([...int16(1), ...int16(-1), ...string("t"), ...int32(0)])),
        /null/,
      ],
      ["key version 3", () => decodeOffsetsRecordKey(Buffer.from([...int16(3), ...string("g")])), /key version 3/],
      [
        "value version 4 (flexible)",
        () => decodeOffsetCommitValue(Buffer.from([...int16(4), ...int64(1n)])),
        /value version 4/,
      ],
    ];
    for (const [name, decode, message] of refusals) {
      assert.throws(
        decode,
        (error: unknown) => error instanceof OffsetsRecordFormatError && message.test(error.message),
        name,
      );
    }
  });

  it("when a string does not fit an int16 length, then encoding refuses it", () => {
    assert.throws(() => encodeOffsetCommitKey({ groupId: "g".repeat(0x8000), topic: "t", partition: 0 }), RangeError);
  });
});
