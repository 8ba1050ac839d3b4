// Kafka wire primitives: a chunked Writer and a bounds-checked Reader.
// Everything is big-endian; varints follow the protobuf/zigzag scheme used by KIP-482 and
// the record batch format.

/** Thrown when a frame is shorter than its content claims or is malformed; the connection is dropped. */
export class ProtocolDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProtocolDecodeError";
  }
}

const INITIAL_SCRATCH_SIZE = 1024;
// Beyond this, a new scratch chunk stops doubling: huge scratch buffers would mostly be wasted.
const MAX_SCRATCH_SIZE = 256 * 1024;

const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;

export class Writer {
  private readonly completedChunks: Buffer[] = [];
  private completedLength = 0;
  private scratch: Buffer;
  // The part of `scratch` before `pendingStart` already belongs to a completed chunk.
  private pendingStart = 0;
  private position = 0;

  constructor(initialScratchSize = INITIAL_SCRATCH_SIZE) {
    this.scratch = Buffer.allocUnsafe(initialScratchSize);
  }

  get length(): number {
    return this.completedLength + this.position - this.pendingStart;
  }

  /** The encoded bytes as chunks, without copying. The writer stays usable afterwards. */
  chunks(): Buffer[] {
    this.closePending();
    return this.completedChunks.slice();
  }

  toBuffer(): Buffer {
    this.closePending();
    if (this.completedChunks.length === 1) return this.completedChunks[0]!;
    return Buffer.concat(this.completedChunks, this.completedLength);
  }

  int8(value: number): this {
    this.ensure(1);
    this.scratch.writeInt8(value, this.position);
    this.position += 1;
    return this;
  }

  int16(value: number): this {
    this.ensure(2);
    this.scratch.writeInt16BE(value, this.position);
    this.position += 2;
    return this;
  }

  uint16(value: number): this {
    this.ensure(2);
    this.scratch.writeUInt16BE(value, this.position);
    this.position += 2;
    return this;
  }

  int32(value: number): this {
    this.ensure(4);
    this.scratch.writeInt32BE(value, this.position);
    this.position += 4;
    return this;
  }

  uint32(value: number): this {
    this.ensure(4);
    this.scratch.writeUInt32BE(value, this.position);
    this.position += 4;
    return this;
  }

  int64(value: bigint): this {
    this.ensure(8);
    this.scratch.writeBigInt64BE(value, this.position);
    this.position += 8;
    return this;
  }

  float64(value: number): this {
    this.ensure(8);
    this.scratch.writeDoubleBE(value, this.position);
    this.position += 8;
    return this;
  }

  bool(value: boolean): this {
    this.ensure(1);
    this.scratch[this.position++] = value ? 1 : 0;
    return this;
  }

  /** Unsigned varint of a value in [0, 2^32). */
  uvarint(value: number): this {
    if (!(value >= 0 && value <= 0xffffffff) || !Number.isInteger(value)) {
      throw new RangeError(`uvarint out of range: ${value}`);
    }
    this.ensure(5);
    const buf = this.scratch;
    let pos = this.position;
    let remaining = value;
    while (remaining >= 0x80) {
      buf[pos++] = (remaining & 0x7f) | 0x80;
      remaining = remaining >>> 7;
    }
    buf[pos++] = remaining;
    this.position = pos;
    return this;
  }

  /** Zigzag varint of an int32. */
  varint(value: number): this {
    if (!(value >= INT32_MIN && value <= INT32_MAX) || !Number.isInteger(value)) {
      throw new RangeError(`varint out of int32 range: ${value}`);
    }
    return this.uvarint(((value << 1) ^ (value >> 31)) >>> 0);
  }

  /** Zigzag varint of an int64. */
  varlong(value: bigint): this {
    // Zigzag depends on the value, not the width: int32-sized values encode identically.
    if (value >= -0x80000000n && value <= 0x7fffffffn) return this.varint(Number(value));
    let remaining = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n));
    this.ensure(10);
    const buf = this.scratch;
    let pos = this.position;
    while (remaining >= 0x80n) {
      buf[pos++] = Number(remaining & 0x7fn) | 0x80;
      remaining >>= 7n;
    }
    buf[pos++] = Number(remaining);
    this.position = pos;
    return this;
  }

  uuid(value: Buffer): this {
    if (value.length !== 16) throw new RangeError(`uuid must be 16 bytes, got ${value.length}`);
    this.ensure(16);
    value.copy(this.scratch, this.position);
    this.position += 16;
    return this;
  }

  string(value: string): this {
    const byteLength = Buffer.byteLength(value, "utf8");
    if (byteLength > 0x7fff) throw new RangeError(`string too long for int16 length: ${byteLength}`);
    this.int16(byteLength);
    return this.utf8(value, byteLength);
  }

  nullableString(value: string | null): this {
    return value === null ? this.int16(-1) : this.string(value);
  }

  compactString(value: string): this {
    const byteLength = Buffer.byteLength(value, "utf8");
    this.uvarint(byteLength + 1);
    return this.utf8(value, byteLength);
  }

  compactNullableString(value: string | null): this {
    return value === null ? this.uvarint(0) : this.compactString(value);
  }

  bytes(value: Buffer): this {
    this.int32(value.length);
    return this.smallOrRaw(value);
  }

  nullableBytes(value: Buffer | null): this {
    return value === null ? this.int32(-1) : this.bytes(value);
  }

  compactBytes(value: Buffer): this {
    this.uvarint(value.length + 1);
    return this.smallOrRaw(value);
  }

  compactNullableBytes(value: Buffer | null): this {
    return value === null ? this.uvarint(0) : this.compactBytes(value);
  }

  /** Appends the caller's buffer itself (no copy): it must not be modified until the output is sent. */
  raw(value: Buffer): this {
    if (value.length === 0) return this;
    this.closePending();
    this.completedChunks.push(value);
    this.completedLength += value.length;
    return this;
  }

  /** Writes a placeholder int32 and returns a function that fills it in later (e.g. a length prefix). */
  reserveInt32(): (value: number) => void {
    this.ensure(4);
    const target = this.scratch;
    const at = this.position;
    target.writeInt32BE(0, at);
    this.position += 4;
    return (value: number) => {
      target.writeInt32BE(value, at);
    };
  }

  /**
   * Appends bytes without a length prefix: small ones are copied (cheaper than one more chunk
   * and one more iovec in writev), larger ones attached like raw().
   */
  append(value: Buffer): this {
    return this.smallOrRaw(value);
  }

  private smallOrRaw(value: Buffer): this {
    if (value.length <= 64) {
      this.ensure(value.length);
      value.copy(this.scratch, this.position);
      this.position += value.length;
      return this;
    }
    return this.raw(value);
  }

  private utf8(value: string, byteLength: number): this {
    if (byteLength === 0) return this;
    this.ensure(byteLength);
    this.scratch.write(value, this.position, byteLength, "utf8");
    this.position += byteLength;
    return this;
  }

  private closePending(): void {
    if (this.position > this.pendingStart) {
      this.completedChunks.push(this.scratch.subarray(this.pendingStart, this.position));
      this.completedLength += this.position - this.pendingStart;
      this.pendingStart = this.position;
    }
  }

  private ensure(byteCount: number): void {
    if (this.position + byteCount <= this.scratch.length) return;
    this.closePending();
    const grown = Math.min(this.scratch.length * 2, MAX_SCRATCH_SIZE);
    this.scratch = Buffer.allocUnsafe(Math.max(grown, byteCount));
    this.pendingStart = 0;
    this.position = 0;
  }
}

/**
 * What decoding one frame may build, in estimated bytes of JavaScript objects, shared by the
 * readers of its nested parts. Checking counts against the bytes left stops a forged count, but a
 * frame of a million two-byte items is honest and still decodes to a million objects: the
 * allowance bounds what a frame may cost to a multiple of its size, under a ceiling.
 */
export interface DecodeAllowance {
  left: number;
  readonly limit: number;
}

/** Per frame byte, what its decoded objects may cost: room for requests of many small items. */
const DECODED_BYTES_PER_FRAME_BYTE = 32;
/** Any frame may build this much, so small requests of tiny items are never refused. */
const DECODE_ALLOWANCE_FLOOR = 64 * 1024;
/** However large the frame, decoding it builds no more than this (records stay bytes and cost nothing). */
const DECODE_ALLOWANCE_CEILING = 64 * 1024 * 1024;

export function decodeAllowanceFor(frameBytes: number): DecodeAllowance {
  const limit = Math.min(DECODE_ALLOWANCE_CEILING, DECODE_ALLOWANCE_FLOOR + frameBytes * DECODED_BYTES_PER_FRAME_BYTE);
  return { left: limit, limit };
}

export class Reader {
  private position: number;

  constructor(
    private readonly buffer: Buffer,
    offset = 0,
    private readonly allowance?: DecodeAllowance,
  ) {
    this.position = offset;
  }

  /** A reader over `data`, a part of this reader's bytes, drawing on the same allowance. */
  nested(data: Buffer): Reader {
    return new Reader(data, 0, this.allowance);
  }

  /** Takes `bytes` (the estimated size of objects about to be built) from the allowance, if any. */
  charge(bytes: number): void {
    const allowance = this.allowance;
    if (allowance === undefined) return;
    allowance.left -= bytes;
    if (allowance.left < 0)
      throw new ProtocolDecodeError(`decoding this frame would build more than ${allowance.limit} bytes of objects`);
  }

  get offset(): number {
    return this.position;
  }

  get remaining(): number {
    return this.buffer.length - this.position;
  }

  int8(): number {
    this.need(1);
    return this.buffer.readInt8(this.position++);
  }

  int16(): number {
    this.need(2);
    const value = this.buffer.readInt16BE(this.position);
    this.position += 2;
    return value;
  }

  uint16(): number {
    this.need(2);
    const value = this.buffer.readUInt16BE(this.position);
    this.position += 2;
    return value;
  }

  int32(): number {
    this.need(4);
    const value = this.buffer.readInt32BE(this.position);
    this.position += 4;
    return value;
  }

  uint32(): number {
    this.need(4);
    const value = this.buffer.readUInt32BE(this.position);
    this.position += 4;
    return value;
  }

  int64(): bigint {
    this.need(8);
    const value = this.buffer.readBigInt64BE(this.position);
    this.position += 8;
    return value;
  }

  float64(): number {
    this.need(8);
    const value = this.buffer.readDoubleBE(this.position);
    this.position += 8;
    return value;
  }

  bool(): boolean {
    this.need(1);
    return this.buffer[this.position++] !== 0;
  }

  uvarint(): number {
    const buf = this.buffer;
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (this.position >= buf.length) throw new ProtocolDecodeError("varint runs past the end of the buffer");
      const byte = buf[this.position++]!;
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) {
        if (result > 0xffffffff) throw new ProtocolDecodeError("varint exceeds 32 bits");
        return result;
      }
    }
    throw new ProtocolDecodeError("varint longer than 5 bytes");
  }

  varint(): number {
    const raw = this.uvarint();
    return (raw >>> 1) ^ -(raw & 1);
  }

  varlong(): bigint {
    const buf = this.buffer;
    let small = 0;
    let shift = 0;
    // Up to 7 bytes (49 bits) fit a double exactly; only longer varlongs need bigint math.
    for (; shift < 49; shift += 7) {
      if (this.position >= buf.length) throw new ProtocolDecodeError("varlong runs past the end of the buffer");
      const byte = buf[this.position++]!;
      small += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) {
        const half = Math.floor(small / 2);
        return BigInt(small % 2 === 0 ? half : -half - 1);
      }
    }
    let big = BigInt(small);
    for (; shift < 70; shift += 7) {
      if (this.position >= buf.length) throw new ProtocolDecodeError("varlong runs past the end of the buffer");
      const byte = buf[this.position++]!;
      big |= BigInt(byte & 0x7f) << BigInt(shift);
      if ((byte & 0x80) === 0) {
        big = BigInt.asUintN(64, big);
        return (big >> 1n) ^ -(big & 1n);
      }
    }
    throw new ProtocolDecodeError("varlong longer than 10 bytes");
  }

  /** A copy, so it does not pin the whole request buffer. */
  uuid(): Buffer {
    return Buffer.from(this.raw(16));
  }

  string(): string {
    const length = this.int16();
    if (length < 0) throw new ProtocolDecodeError("null in a non-nullable string");
    return this.utf8(length);
  }

  nullableString(): string | null {
    const length = this.int16();
    if (length < 0) return null;
    return this.utf8(length);
  }

  compactString(): string {
    const lengthPlusOne = this.uvarint();
    if (lengthPlusOne === 0) throw new ProtocolDecodeError("null in a non-nullable compact string");
    return this.utf8(lengthPlusOne - 1);
  }

  compactNullableString(): string | null {
    const lengthPlusOne = this.uvarint();
    if (lengthPlusOne === 0) return null;
    return this.utf8(lengthPlusOne - 1);
  }

  /** A view into the underlying buffer (no copy). */
  bytes(): Buffer {
    const length = this.int32();
    if (length < 0) throw new ProtocolDecodeError("null in non-nullable bytes");
    return this.raw(length);
  }

  nullableBytes(): Buffer | null {
    const length = this.int32();
    if (length < 0) return null;
    return this.raw(length);
  }

  compactBytes(): Buffer {
    const lengthPlusOne = this.uvarint();
    if (lengthPlusOne === 0) throw new ProtocolDecodeError("null in non-nullable compact bytes");
    return this.raw(lengthPlusOne - 1);
  }

  compactNullableBytes(): Buffer | null {
    const lengthPlusOne = this.uvarint();
    if (lengthPlusOne === 0) return null;
    return this.raw(lengthPlusOne - 1);
  }

  /** A view into the underlying buffer (no copy). */
  raw(length: number): Buffer {
    this.need(length);
    const view = this.buffer.subarray(this.position, this.position + length);
    this.position += length;
    return view;
  }

  skip(length: number): void {
    this.need(length);
    this.position += length;
  }

  private utf8(length: number): string {
    this.need(length);
    const value = this.buffer.toString("utf8", this.position, this.position + length);
    this.position += length;
    return value;
  }

  private need(length: number): void {
    if (length < 0 || this.position + length > this.buffer.length) {
      throw new ProtocolDecodeError(
        `need ${length} bytes at offset ${this.position}, only ${this.buffer.length - this.position} left`,
      );
    }
  }
}

export interface TaggedField {
  tag: number;
  data: Buffer;
}

/** Tagged fields section (KIP-482): count, then per field tag, size and bytes; tags ascending. */
export function writeTaggedFields(writer: Writer, fields: readonly TaggedField[] = []): void {
  writer.uvarint(fields.length);
  const sorted = fields.length > 1 ? [...fields].sort((a, b) => a.tag - b.tag) : fields;
  for (const field of sorted) {
    writer.uvarint(field.tag).uvarint(field.data.length).raw(field.data);
  }
}

/** The field count of a tagged section, checked against the bytes left: a field takes at least two (tag, size). */
export function readTaggedFieldCount(reader: Reader): number {
  const count = reader.uvarint();
  if (count * 2 > reader.remaining) {
    throw new ProtocolDecodeError(`tagged section claims ${count} fields with ${reader.remaining} bytes left`);
  }
  return count;
}

/**
 * Reads a tagged fields section. `readKnown` gets a Reader limited to the field's bytes and
 * returns false for tags it does not know; those are skipped.
 */
export function readTaggedFields(reader: Reader, readKnown?: (tag: number, fieldReader: Reader) => boolean): void {
  const count = readTaggedFieldCount(reader);
  for (let i = 0; i < count; i++) {
    const tag = reader.uvarint();
    const size = reader.uvarint();
    const data = reader.raw(size);
    if (readKnown) readKnown(tag, reader.nested(data));
  }
}

export function skipTaggedFields(reader: Reader): void {
  readTaggedFields(reader);
}
