import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Reader, Writer } from "../../../../broker/protocol/primitives.ts";
import {
  uvarintSize,
  varintSize,
  varlongSize,
  writeUvarint,
  writeVarint,
  writeVarlong,
  zigzag32,
} from "../../../../broker/protocol/record-batch/varint.ts";

const written = (write: (buf: Buffer, position: number) => number): Buffer => {
  const buf = Buffer.alloc(16, 0xee);
  const end = write(buf, 3);
  return buf.subarray(3, end);
};

describe("record varints on plain numbers", () => {
  it("when values are zigzagged, then small magnitudes of either sign get small codes", () => {
    assert.deepEqual([0, -1, 1, -2, 2, 0x7fffffff, -0x80000000].map(zigzag32), [0, 1, 2, 3, 4, 0xfffffffe, 0xffffffff]);
  });

  it("when unsigned varints are written, then they have the record format's exact bytes and their announced size", () => {
    const cases: Array<[number, string]> = [
      [0, "00"],
      [0x7f, "7f"],
      [0x80, "8001"],
      [300, "ac02"],
      [0x3fff, "ff7f"],
      [0x4000, "808001"],
      [0x1fffff, "ffff7f"],
      [0x200000, "80808001"],
      [0xfffffff, "ffffff7f"],
      [0x10000000, "8080808001"],
      [0xffffffff, "ffffffff0f"],
    ];
    for (const [value, hex] of cases) {
      assert.equal(written((buf, at) => writeUvarint(buf, at, value)).toString("hex"), hex, `uvarint ${value}`);
      assert.equal(uvarintSize(value), hex.length / 2, `size of uvarint ${value}`);
    }
  });

  it("when int32 varints are written at a position, then they equal the protocol Writer's and read back", () => {
    for (const value of [0, 1, -1, 63, -64, 64, -65, 8191, -8192, 0x7fffffff, -0x80000000]) {
      const bytes = written((buf, at) => writeVarint(buf, at, value));
      assert.deepEqual(bytes, new Writer().varint(value).toBuffer(), `varint ${value}`);
      assert.equal(varintSize(value), bytes.length, `size of varint ${value}`);
      assert.equal(new Reader(bytes).varint(), value);
    }
  });

  it("when varlongs beyond int32 are written, then they equal the protocol Writer's bigint encoding (up to 2^53, down to -2^52)", () => {
    const values = [
      0,
      -1,
      0x7fffffff,
      -0x80000000,
      0x80000000,
      -0x80000001,
      1_700_000_000_000,
      -1_700_000_000_000,
      Number.MAX_SAFE_INTEGER,
      // Below -2^52 the zigzag (-2v-1) passes 2^53 and its last bit is lost in a double.
      -(2 ** 52),
    ];
    for (const value of values) {
      const bytes = written((buf, at) => writeVarlong(buf, at, value));
      assert.deepEqual(bytes, new Writer().varlong(BigInt(value)).toBuffer(), `varlong ${value}`);
      assert.equal(varlongSize(value), bytes.length, `size of varlong ${value}`);
      assert.equal(new Reader(bytes).varlong(), BigInt(value));
    }
  });

  it("when a value is written, then the bytes around it are left alone and the returned position is just past it", () => {
    const buf = Buffer.alloc(8, 0xee);
    const end = writeVarint(buf, 2, -65);
    assert.equal(end, 4);
    assert.equal(buf.toString("hex"), "eeee8101eeeeeeee");
  });
});
