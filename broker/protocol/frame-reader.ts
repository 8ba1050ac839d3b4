// Splits a Kafka byte stream into frames (int32 size, then that many bytes), for the broker's
// connections (requests) and the client's (responses) alike; the limits are the caller's.
// A frame that sits whole in one chunk is handed on as a view of that chunk, without a copy.
// One that spans chunks is copied once: into a buffer of its announced size when that size is at
// most `preallocateUpTo`; beyond that, the chunks are kept as they arrive and joined once the
// frame is complete, so memory follows the bytes that actually came, never a size a peer merely
// announced (a 4-byte prefix must not make the broker allocate up to its request limit).
//
// A reader of the socket may also read straight into that buffer (directTarget, filledDirectly),
// which saves the copy.
//
// Ownership: the reader owns the frame being assembled; frames it hands on belong to the receiver.

export interface FrameLimits {
  /** The smallest size prefix taken as a frame. */
  minSize: number;
  /** The largest size prefix taken as a frame; beyond it the stream is corrupt. */
  maxSize: number;
  /** A spanning frame up to this size gets its whole buffer up front; a larger one grows with its chunks. */
  preallocateUpTo: number;
}

export class FrameReader {
  /** The size prefix of the next frame, when it arrived split across chunks. */
  private readonly sizePrefix = Buffer.alloc(4);
  private sizePrefixFilled = 0;
  /** Size of the frame being assembled; -1 when none is. */
  private partialSize = -1;
  private partialFilled = 0;
  /** The preallocated buffer of the frame being assembled, or undefined when its chunks are kept. */
  private partialFrame: Buffer | undefined;
  private partialChunks: Buffer[] = [];

  constructor(
    private readonly limits: FrameLimits,
    /** Gets each frame without its size prefix. */
    private readonly onFrame: (frame: Buffer) => void,
    /** Called once for an impossible size prefix; nothing more is read until reset(). */
    private readonly onCorrupt: (announcedSize: number) => void,
  ) {}

  /** Forgets any partly read frame: the next byte pushed starts a size prefix. */
  reset(): void {
    this.sizePrefixFilled = 0;
    this.partialSize = -1;
    this.partialFilled = 0;
    this.partialFrame = undefined;
    this.partialChunks = [];
  }

  /** Whether the bytes pushed so far end inside a frame (or its size prefix). */
  get midFrame(): boolean {
    return this.sizePrefixFilled > 0 || this.partialSize >= 0;
  }

  /** Bytes held for a frame not yet complete (its size prefix included). */
  get bufferedBytes(): number {
    return this.sizePrefixFilled + this.partialFilled;
  }

  /**
   * The unfilled rest of the preallocated frame being assembled, for a socket to read straight
   * into (see filledDirectly); undefined when no such frame is in progress.
   */
  directTarget(): Buffer | undefined {
    const frame = this.partialFrame;
    return frame === undefined ? undefined : frame.subarray(this.partialFilled);
  }

  /** `bytes` were read straight into the buffer directTarget() gave; hands the frame on once whole. */
  filledDirectly(bytes: number): void {
    this.partialFilled += bytes;
    if (this.partialFilled < this.partialSize) return;
    const frame = this.partialFrame!;
    this.partialSize = -1;
    this.partialFilled = 0;
    this.partialFrame = undefined;
    this.onFrame(frame);
  }

  /**
   * Takes the next bytes of the stream. A `transient` chunk is about to be reused by the caller:
   * what the reader keeps or hands on from it is copied.
   */
  push(chunk: Buffer, transient = false): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.partialSize >= 0) {
        offset = this.continueFrame(chunk, offset, transient);
        continue;
      }
      let size: number;
      if (this.sizePrefixFilled === 0 && chunk.length - offset >= 4) {
        size = chunk.readInt32BE(offset);
        offset += 4;
      } else {
        const copied = chunk.copy(
          this.sizePrefix,
          this.sizePrefixFilled,
          offset,
          Math.min(chunk.length, offset + 4 - this.sizePrefixFilled),
        );
        this.sizePrefixFilled += copied;
        offset += copied;
        if (this.sizePrefixFilled < 4) return;
        this.sizePrefixFilled = 0;
        size = this.sizePrefix.readInt32BE(0);
      }
      if (size < this.limits.minSize || size > this.limits.maxSize) {
        this.reset();
        this.onCorrupt(size);
        return;
      }
      if (chunk.length - offset >= size) {
        const frame = chunk.subarray(offset, offset + size);
        this.onFrame(transient ? Buffer.from(frame) : frame);
        offset += size;
      } else {
        this.partialSize = size;
        this.partialFilled = 0;
        if (size <= this.limits.preallocateUpTo) this.partialFrame = Buffer.allocUnsafe(size);
      }
    }
  }

  /** Takes what `chunk` holds of the frame being assembled from `offset`; returns the offset after it. */
  private continueFrame(chunk: Buffer, offset: number, transient: boolean): number {
    const wanted = this.partialSize - this.partialFilled;
    const taken = Math.min(wanted, chunk.length - offset);
    if (this.partialFrame !== undefined) chunk.copy(this.partialFrame, this.partialFilled, offset, offset + taken);
    else {
      const part = chunk.subarray(offset, offset + taken);
      this.partialChunks.push(transient ? Buffer.from(part) : part);
    }
    this.partialFilled += taken;
    if (this.partialFilled < this.partialSize) return offset + taken;
    const frame = this.partialFrame ?? Buffer.concat(this.partialChunks, this.partialSize);
    this.partialSize = -1;
    this.partialFilled = 0;
    this.partialFrame = undefined;
    this.partialChunks = [];
    this.onFrame(frame);
    return offset + taken;
  }
}
