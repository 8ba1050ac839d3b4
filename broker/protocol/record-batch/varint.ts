// Zigzag varints of the record format on plain numbers, for the record encoder: the size a value
// takes and writing it at a position of a buffer. Varlongs (timestamp deltas) are doubles: exact
// while their zigzag (twice the magnitude) stays within 2^53, so for |value| up to 2^52 (a
// timestamp delta of 142,000 years); int32-sized ones take the int32 path, as their encoding is
// the same.

export function zigzag32(value: number): number {
  return ((value << 1) ^ (value >> 31)) >>> 0;
}

/** Bytes of an unsigned varint of a value in [0, 2^32). */
export function uvarintSize(value: number): number {
  return value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : value < 0x10000000 ? 4 : 5;
}

/** Bytes of the zigzag varint of an int32. */
export function varintSize(value: number): number {
  return uvarintSize(zigzag32(value));
}

/** Zigzag of a safe integer beyond int32, in doubles. */
function zigzagWide(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

function isInt32(value: number): boolean {
  return value >= -0x80000000 && value <= 0x7fffffff;
}

/** Bytes of the zigzag varlong of a safe integer. */
export function varlongSize(value: number): number {
  if (isInt32(value)) return varintSize(value);
  let zigzag = zigzagWide(value);
  let size = 1;
  while (zigzag >= 0x80) {
    zigzag = Math.floor(zigzag / 128);
    size++;
  }
  return size;
}

/** Writes an unsigned varint at `position`; returns the position after it. */
export function writeUvarint(buf: Buffer, position: number, value: number): number {
  while (value >= 0x80) {
    buf[position++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  buf[position++] = value;
  return position;
}

export function writeVarint(buf: Buffer, position: number, value: number): number {
  return writeUvarint(buf, position, zigzag32(value));
}

export function writeVarlong(buf: Buffer, position: number, value: number): number {
  if (isInt32(value)) return writeVarint(buf, position, value);
  let zigzag = zigzagWide(value);
  while (zigzag >= 0x80) {
    buf[position++] = (zigzag % 128) | 0x80;
    zigzag = Math.floor(zigzag / 128);
  }
  buf[position++] = zigzag;
  return position;
}
