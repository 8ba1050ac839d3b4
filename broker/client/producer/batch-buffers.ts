// Buffers for uncompressed record batches, used again once the broker has answered their batch:
// the next batch's records are then written into memory still in the cache instead of fresh
// pages, which cost more than encoding the records does.
//
// Ownership: a free buffer is the pool's; a taken one is its batch's until the sender gives it
// back, which it does only for a batch the broker answered (the request was then wholly written
// and read), never for one that failed or may be resent.

/** Smaller batches come from Buffer.allocUnsafe's own pool, and do not pay for a large buffer. */
const SMALLEST_SHARE = 8;

export class BatchBuffers {
  private readonly free: Buffer[] = [];

  constructor(
    /** Bytes of each buffer: batches larger than that get a buffer of their own. */
    readonly capacity: number,
    /** Free buffers kept at most; more are left to the garbage collector. */
    private readonly maxKept = 16,
  ) {}

  /** A buffer for a batch of `size` bytes, or undefined when the batch is better off without. */
  take(size: number): Buffer | undefined {
    if (size > this.capacity || size * SMALLEST_SHARE < this.capacity) return undefined;
    return this.free.pop() ?? Buffer.allocUnsafeSlow(this.capacity);
  }

  /** Gives back a buffer take() returned, once nothing reads it any more. */
  give(buffer: Buffer): void {
    if (this.free.length < this.maxKept) this.free.push(buffer);
  }
}
