import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ProtocolDecodeError,
  Reader,
  readTaggedFields,
  Writer,
  writeTaggedFields,
} from "../../../broker/protocol/primitives.ts";

function hex(writer: Writer): string {
  return writer.toBuffer().toString("hex");
}

function readerOf(hexBytes: string): Reader {
  return new Reader(Buffer.from(hexBytes.replace(/\s+/g, ""), "hex"));
}

describe("Writer and Reader", () => {
  it("when fixed-width integers are written, then they are big-endian and read back", () => {
    const writer = new Writer()
      .int8(-2)
      .int16(-2)
      .int32(0x01020304)
      .uint32(0xfffffffe)
      .int64(-2n)
      .uint16(0xfffe)
      .float64(1.5)
      .bool(true)
      .bool(false);
    assert.equal(
      hex(writer),
      "fe" + "fffe" + "01020304" + "fffffffe" + "fffffffffffffffe" + "fffe" + "3ff8000000000000" + "01" + "00",
    );
    const reader = new Reader(writer.toBuffer());
    assert.equal(reader.int8(), -2);
    assert.equal(reader.int16(), -2);
    assert.equal(reader.int32(), 0x01020304);
    assert.equal(reader.uint32(), 0xfffffffe);
    assert.equal(reader.int64(), -2n);
    assert.equal(reader.uint16(), 0xfffe);
    assert.equal(reader.float64(), 1.5);
    assert.equal(reader.bool(), true);
    assert.equal(reader.bool(), false);
    assert.equal(reader.remaining, 0);
  });

  it("when int32 varints at the edges are written, then the zigzag bytes are exact and read back", () => {
    const cases: [number, string][] = [
      [0, "00"],
      [-1, "01"],
      [1, "02"],
      [-2, "03"],
      [63, "7e"],
      [-64, "7f"],
      [64, "8001"],
      [-65, "8101"],
      [300, "d804"],
      [2147483647, "feffffff0f"],
      [-2147483648, "ffffffff0f"],
    ];
    for (const [value, expected] of cases) {
      assert.equal(hex(new Writer().varint(value)), expected, `varint(${value})`);
      assert.equal(readerOf(expected).varint(), value, `read varint ${expected}`);
    }
  });

  it("when unsigned varints are written, then they use 7-bit groups, low group first", () => {
    const cases: [number, string][] = [
      [0, "00"],
      [127, "7f"],
      [128, "8001"],
      [300, "ac02"],
      [16384, "808001"],
      [0xffffffff, "ffffffff0f"],
    ];
    for (const [value, expected] of cases) {
      assert.equal(hex(new Writer().uvarint(value)), expected, `uvarint(${value})`);
      assert.equal(readerOf(expected).uvarint(), value);
    }
  });

  it("when int64 varlongs at the edges are written, then the zigzag bytes are exact and read back", () => {
    const cases: [bigint, string][] = [
      [0n, "00"],
      [-1n, "01"],
      [1n, "02"],
      [2147483648n, "8080808010"],
      [-2147483649n, "8180808010"],
      [9223372036854775807n, "feffffffffffffffff01"],
      [-9223372036854775808n, "ffffffffffffffffff01"],
    ];
    for (const [value, expected] of cases) {
      assert.equal(hex(new Writer().varlong(value)), expected, `varlong(${value})`);
      assert.equal(readerOf(expected).varlong(), value, `read varlong ${expected}`);
    }
  });

  it("when varlongs around the 49-bit and 56-bit boundaries round trip, then they are unchanged", () => {
    const values: bigint[] = [];
    for (const bits of [7n, 14n, 28n, 31n, 32n, 48n, 49n, 55n, 56n, 62n, 63n]) {
      const power = 1n << bits;
      for (const value of [power - 1n, power, -power, -power - 1n]) {
        if (value >= -(1n << 63n) && value < 1n << 63n) values.push(value);
      }
    }
    const writer = new Writer();
    for (const value of values) writer.varlong(value);
    const reader = new Reader(writer.toBuffer());
    for (const value of values) assert.equal(reader.varlong(), value);
    assert.equal(reader.remaining, 0);
  });

  it("when strings and bytes are written, then lengths prefix them and -1 / 0 mark null", () => {
    assert.equal(hex(new Writer().string("abc")), "0003616263");
    assert.equal(hex(new Writer().string("")), "0000");
    assert.equal(hex(new Writer().nullableString(null)), "ffff");
    assert.equal(hex(new Writer().string("é")), "0002c3a9");
    assert.equal(hex(new Writer().compactString("abc")), "04616263");
    assert.equal(hex(new Writer().compactString("")), "01");
    assert.equal(hex(new Writer().compactNullableString(null)), "00");
    assert.equal(hex(new Writer().bytes(Buffer.from([1, 2]))), "000000020102");
    assert.equal(hex(new Writer().nullableBytes(null)), "ffffffff");
    assert.equal(hex(new Writer().compactBytes(Buffer.from([1, 2]))), "030102");
    assert.equal(hex(new Writer().compactBytes(Buffer.alloc(0))), "01");
    assert.equal(hex(new Writer().compactNullableBytes(null)), "00");

    const reader = readerOf("0003616263 ffff 0002c3a9 04616263 00 000000020102 ffffffff 030102 00");
    assert.equal(reader.string(), "abc");
    assert.equal(reader.nullableString(), null);
    assert.equal(reader.string(), "é");
    assert.equal(reader.compactString(), "abc");
    assert.equal(reader.compactNullableString(), null);
    assert.deepEqual(reader.bytes(), Buffer.from([1, 2]));
    assert.equal(reader.nullableBytes(), null);
    assert.deepEqual(reader.compactBytes(), Buffer.from([1, 2]));
    assert.equal(reader.compactNullableBytes(), null);
  });

  it("when a uuid is written, then its 16 bytes are copied verbatim", () => {
    const uuid = Buffer.from("00112233445566778899aabbccddeeff", "hex");
    assert.equal(hex(new Writer().uuid(uuid)), "00112233445566778899aabbccddeeff");
    assert.deepEqual(readerOf("00112233445566778899aabbccddeeff").uuid(), uuid);
  });

  it("when raw() is given a buffer, then that very buffer becomes a chunk", () => {
    const payload = Buffer.alloc(1000, 7);
    const writer = new Writer().int32(1).raw(payload).int16(2);
    const chunks = writer.chunks();
    assert.equal(chunks.length, 3);
    assert.equal(chunks[1], payload);
    assert.equal(writer.length, 4 + 1000 + 2);
    assert.equal(writer.toBuffer().length, 1006);
  });

  it("when many small writes overflow the scratch chunk, then the output is still contiguous and correct", () => {
    const writer = new Writer(16);
    for (let i = 0; i < 100_000; i++) writer.int32(i);
    const output = writer.toBuffer();
    assert.equal(output.length, 400_000);
    assert.equal(writer.length, 400_000);
    for (let i = 0; i < 100_000; i += 997) assert.equal(output.readInt32BE(i * 4), i);
  });

  it("when a reserved int32 is filled in later, then the earlier bytes are patched", () => {
    const writer = new Writer(8);
    const setSize = writer.reserveInt32();
    writer.raw(Buffer.alloc(100)).string("after");
    setSize(writer.length - 4);
    const output = writer.toBuffer();
    assert.equal(output.readInt32BE(0), 107);
  });

  it("when reading past the end, then a ProtocolDecodeError is thrown", () => {
    assert.throws(() => readerOf("0001").int32(), ProtocolDecodeError);
    assert.throws(() => readerOf("0005616263").string(), ProtocolDecodeError);
    assert.throws(() => readerOf("00000010").bytes(), ProtocolDecodeError);
    assert.throws(() => readerOf("80").uvarint(), ProtocolDecodeError);
    assert.throws(() => readerOf("ffffffffff01").uvarint(), ProtocolDecodeError);
    assert.throws(() => readerOf("ffff").string(), ProtocolDecodeError);
    assert.throws(() => readerOf("00").raw(2), ProtocolDecodeError);
  });

  it("when raw() reads, then the result shares memory with the input", () => {
    const input = Buffer.from("0102030405", "hex");
    const view = new Reader(input, 1).raw(3);
    input[2] = 0xff;
    assert.equal(view[1], 0xff);
  });
});

describe("tagged fields", () => {
  it("when tagged fields are written, then count, tag, size and data follow in tag order", () => {
    const writer = new Writer();
    writeTaggedFields(writer, [
      { tag: 5, data: Buffer.from([0xaa]) },
      { tag: 1, data: Buffer.from([0xbb, 0xcc]) },
    ]);
    assert.equal(hex(writer), "02" + "01" + "02" + "bbcc" + "05" + "01" + "aa");
    assert.equal(hex(new Writer().uvarint(0)), "00");
  });

  it("when a section has unknown tags, then they are skipped and the known ones are handed over", () => {
    const reader = readerOf("03 01 02 bbcc 05 01 aa 06 00 ff");
    const seen: [number, string][] = [];
    readTaggedFields(reader, (tag, fieldReader) => {
      if (tag !== 5) return false;
      seen.push([tag, fieldReader.raw(fieldReader.remaining).toString("hex")]);
      return true;
    });
    assert.deepEqual(seen, [[5, "aa"]]);
    assert.equal(reader.int8(), -1);
  });

  it("when a section claims more fields than its bytes can hold, then a decode error is thrown before any is read", () => {
    // 0xffffffff fields claimed (a 5-byte uvarint), 4 bytes left.
    assert.throws(() => readTaggedFields(readerOf("ff ff ff ff 0f 01 01 aa 00")), /claims 4294967295 fields/);
    assert.throws(() => readTaggedFields(readerOf("02 01 01 aa")), ProtocolDecodeError);
  });
});
