// Splits a broker's byte stream into response frames (int32 size, then that many bytes). A frame
// that sits whole in one chunk is handed on as a view of that chunk, without a copy; one that
// spans chunks is copied once, chunk by chunk, into a buffer allocated at the size its length
// prefix announces (never concatenated again and again as the chunks pile up).
//
// Ownership: the reader owns the frame being assembled; frames it hands on belong to the receiver.

/** A length prefix beyond this is a corrupt stream, not a frame to allocate. */
export const MAX_FRAME_SIZE = 1 << 30;
/** Every response starts with its correlation id. */
const MIN_FRAME_SIZE = 4;

export class FrameReader {
  /** The length prefix of the next frame, when it arrived split across chunks. */
  private readonly sizePrefix = Buffer.alloc(4);
  private sizePrefixFilled = 0;
  private partialFrame: Buffer | undefined;
  private partialFrameFilled = 0;

  constructor(
    /** Gets each frame without its length prefix. */
    private readonly onFrame: (frame: Buffer) => void,
    /** Called once for an impossible length prefix; nothing more is read until reset(). */
    private readonly onCorrupt: (announcedSize: number) => void,
  ) {}

  /** Forgets any partly read frame: the next byte pushed starts a length prefix. */
  reset(): void {
    this.sizePrefixFilled = 0;
    this.partialFrame = undefined;
    this.partialFrameFilled = 0;
  }

  push(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.partialFrame) {
        const frame = this.partialFrame;
        const copied = chunk.copy(frame, this.partialFrameFilled, offset);
        this.partialFrameFilled += copied;
        offset += copied;
        if (this.partialFrameFilled < frame.length) return;
        this.partialFrame = undefined;
        this.onFrame(frame);
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
      if (size < MIN_FRAME_SIZE || size > MAX_FRAME_SIZE) {
        this.reset();
        this.onCorrupt(size);
        return;
      }
      if (chunk.length - offset >= size) {
        this.onFrame(chunk.subarray(offset, offset + size));
        offset += size;
      } else {
        this.partialFrame = Buffer.allocUnsafe(size);
        this.partialFrameFilled = 0;
      }
    }
  }
}
