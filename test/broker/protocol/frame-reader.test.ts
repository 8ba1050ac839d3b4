import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type FrameLimits, FrameReader } from "../../../broker/protocol/frame-reader.ts";

/** The client's limits: frames of at least a correlation id, at most 1 GiB, assembled at their announced size. */
const MAX_FRAME_SIZE = 1 << 30;
const clientLimits: FrameLimits = { minSize: 4, maxSize: MAX_FRAME_SIZE, preallocateUpTo: MAX_FRAME_SIZE };

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

function reader(limits: FrameLimits = clientLimits): { frames: Buffer[]; corrupt: number[]; reader: FrameReader } {
  const frames: Buffer[] = [];
  const corrupt: number[] = [];
  return {
    frames,
    corrupt,
    reader: new FrameReader(
      limits,
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

  it("when a frame larger than preallocateUpTo spans chunks, then memory is taken as its bytes arrive and it comes out whole", () => {
    const { frames, reader: r } = reader({ minSize: 0, maxSize: 1 << 20, preallocateUpTo: 1024 });
    const bytes = frame(9, 50_000);
    const pieces = [bytes.subarray(0, 4), ...split(bytes.subarray(4), 4096)];
    r.push(pieces[0]!);
    assert.equal(r.bufferedBytes, 0, "an announced size alone takes no memory");
    r.push(pieces[1]!);
    assert.equal(r.bufferedBytes, 4096);
    for (const piece of pieces.slice(2)) r.push(piece);
    assert.deepEqual(frames, [bytes.subarray(4)]);
  });

  it("when a peer announces the largest frame allowed and sends nothing more, then nothing of that size is allocated", () => {
    const {
      frames,
      corrupt,
      reader: r,
    } = reader({ minSize: 0, maxSize: 100 * 1024 * 1024, preallocateUpTo: 64 * 1024 });
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(100 * 1024 * 1024);
    r.push(prefix);
    assert.deepEqual([frames.length, corrupt.length, r.bufferedBytes], [0, 0, 0]);
  });

  it("when the minimum size is 0, then empty frames come out and only negative sizes are corrupt", () => {
    const { frames, corrupt, reader: r } = reader({ minSize: 0, maxSize: 100, preallocateUpTo: 100 });
    r.push(Buffer.from([0, 0, 0, 0, 0, 0, 0, 1, 0x2a]));
    assert.deepEqual(frames, [Buffer.alloc(0), Buffer.from([0x2a])]);
    r.push(Buffer.from([0xff, 0xff, 0xff, 0xfe]));
    assert.deepEqual(corrupt, [-2]);
  });
});
