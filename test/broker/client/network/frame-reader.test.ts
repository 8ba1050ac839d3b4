import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FrameReader, MAX_FRAME_SIZE } from "../../../../broker/client/network/frame-reader.ts";

/** A response frame: int32 size, then a correlation id and `bodyBytes` bytes of a pattern unique to it. */
function frame(correlationId: number, bodyBytes: number): Buffer {
  const bytes = Buffer.alloc(8 + bodyBytes);
  bytes.writeInt32BE(4 + bodyBytes, 0);
  bytes.writeInt32BE(correlationId, 4);
  for (let i = 0; i < bodyBytes; i++) bytes[8 + i] = (i * 7 + correlationId) & 0xff;
  return bytes;
}

function split(bytes: Buffer, pieceLength: number): Buffer[] {
  const pieces: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += pieceLength)
    pieces.push(bytes.subarray(offset, offset + pieceLength));
  return pieces;
}

function reader(): { frames: Buffer[]; corrupt: number[]; reader: FrameReader } {
  const frames: Buffer[] = [];
  const corrupt: number[] = [];
  return {
    frames,
    corrupt,
    reader: new FrameReader(
      (f) => frames.push(f),
      (size) => corrupt.push(size),
    ),
  };
}

describe("FrameReader", () => {
  it("when a frame arrives split in many chunks (its length prefix too), then it comes out whole, once, in one buffer of its own size", () => {
    const { frames, reader: r } = reader();
    const bytes = frame(7, 100_000);
    const pieces = [bytes.subarray(0, 1), bytes.subarray(1, 3), ...split(bytes.subarray(3), 997)];
    for (const [i, piece] of pieces.entries()) {
      assert.equal(frames.length, 0, `a frame came out after ${i} of ${pieces.length} chunks`);
      r.push(piece);
    }
    assert.equal(frames.length, 1);
    assert.deepEqual(frames[0], bytes.subarray(4));
    assert.equal(frames[0]!.buffer.byteLength, 100_004, "allocated once, at the announced size");
    assert.ok(
      !pieces.some((p) => p.buffer === frames[0]!.buffer),
      "the assembled frame is a buffer of its own, not a view of a chunk",
    );
  });

  it("when several frames sit in one chunk, then each comes out in order as a view of that chunk, without a copy", () => {
    const { frames, reader: r } = reader();
    const sent = [frame(1, 0), frame(2, 10), frame(3, 3000), frame(4, 1)];
    const chunk = Buffer.concat(sent);
    r.push(chunk);
    assert.deepEqual(
      frames,
      sent.map((f) => f.subarray(4)),
    );
    for (const f of frames) assert.equal(f.buffer, chunk.buffer);
  });

  it("when chunk boundaries fall anywhere across a run of frames, then the same frames come out", () => {
    const sent = [frame(1, 5), frame(2, 0), frame(3, 700), frame(4, 64), frame(5, 2)];
    const stream = Buffer.concat(sent);
    for (const pieceLength of [1, 2, 3, 4, 5, 9, 64, 65, 700, stream.length]) {
      const { frames, reader: r } = reader();
      for (const piece of split(stream, pieceLength)) r.push(piece);
      assert.deepEqual(
        frames,
        sent.map((f) => f.subarray(4)),
        `pieces of ${pieceLength} bytes`,
      );
    }
  });

  it("when a chunk ends one frame and starts the next, then the first is a view and the second is assembled", () => {
    const { frames, reader: r } = reader();
    const [first, second] = [frame(1, 20), frame(2, 50)];
    const chunk = Buffer.concat([first, second.subarray(0, 10)]);
    r.push(chunk);
    assert.equal(frames.length, 1);
    assert.equal(frames[0]!.buffer, chunk.buffer);
    r.push(second.subarray(10));
    assert.deepEqual(frames, [first.subarray(4), second.subarray(4)]);
  });

  it("when a length prefix is impossible, then the stream is reported corrupt once and nothing more is read until reset", () => {
    const { frames, corrupt, reader: r } = reader();
    const tooLarge = Buffer.alloc(4);
    tooLarge.writeInt32BE(MAX_FRAME_SIZE + 1);
    r.push(Buffer.concat([tooLarge, frame(1, 3)]));
    assert.deepEqual([frames.length, corrupt], [0, [MAX_FRAME_SIZE + 1]]);
    r.reset();
    r.push(frame(2, 3));
    assert.deepEqual(frames, [frame(2, 3).subarray(4)]);
    const negative = Buffer.alloc(4);
    negative.writeInt32BE(-1);
    r.push(negative);
    assert.deepEqual(corrupt, [MAX_FRAME_SIZE + 1, -1]);
  });
});
