// One client connection: splits the TCP stream into size-prefixed frames (the protocol's
// FrameReader), hands each frame to the request handler and writes the responses strictly in
// request order, because clients pipeline requests and match responses by position as much as by
// correlation id.
//
// Ownership: a Connection owns its socket, its frame reader and its queue of pending responses.
// A malformed or oversized frame ends this connection only; the broker keeps serving the others.
import type { Socket } from "node:net";
import { FrameReader } from "../protocol/frame-reader.ts";

/** What a handled request produces: the frame's chunks, or null when no response is due (acks=0). */
export type ResponseFrame = Buffer[] | null;

export type FrameHandler = (frame: Buffer, connection: Connection) => ResponseFrame | Promise<ResponseFrame>;

export interface ConnectionLog {
  warn(message: string, fields?: Record<string, unknown>): void;
}

/** Thrown by a frame handler to end the connection (bad bytes, unknown API). */
export class DropConnection extends Error {}

/**
 * A request that spans socket chunks gets its whole buffer up front only up to this size; beyond
 * it, memory grows with the bytes that arrive, so announcing socket.request.max.bytes in a 4-byte
 * prefix costs the broker nothing.
 */
const PREALLOCATE_REQUEST_BYTES = 64 * 1024;

interface PendingResponse {
  frame: ResponseFrame | undefined;
}

export class Connection {
  private readonly frames: FrameReader;
  private readonly pending: PendingResponse[] = [];
  private closed = false;
  readonly remote: string;

  constructor(
    private readonly socket: Socket,
    private readonly handle: FrameHandler,
    private readonly maxRequestBytes: number,
    private readonly log: ConnectionLog,
  ) {
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    this.frames = new FrameReader(
      { minSize: 0, maxSize: maxRequestBytes, preallocateUpTo: PREALLOCATE_REQUEST_BYTES },
      (frame) => {
        if (!this.closed) this.dispatch(frame);
      },
      (size) => {
        this.log.warn("closing connection: frame size out of bounds", {
          remote: this.remote,
          size,
          max: this.maxRequestBytes,
        });
        this.close();
      },
    );
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => {
      if (!this.closed) this.frames.push(chunk);
    });
    socket.on("drain", () => socket.resume());
    socket.on("error", () => this.close());
    socket.on("close", () => {
      this.closed = true;
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get clientHost(): string {
    return this.socket.remoteAddress ?? "";
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
  }

  private dispatch(frame: Buffer): void {
    const slot: PendingResponse = { frame: undefined };
    this.pending.push(slot);
    let result: ResponseFrame | Promise<ResponseFrame>;
    try {
      result = this.handle(frame, this);
    } catch (err) {
      this.fail(err);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (frameOut) => this.complete(slot, frameOut),
        (err) => this.fail(err),
      );
    } else {
      this.complete(slot, result);
    }
  }

  private complete(slot: PendingResponse, frame: ResponseFrame): void {
    slot.frame = frame;
    while (this.pending.length > 0 && this.pending[0]!.frame !== undefined) {
      const ready = this.pending.shift()!;
      if (ready.frame && !this.closed) this.write(ready.frame);
    }
  }

  private write(chunks: Buffer[]): void {
    let flushed = true;
    if (chunks.length === 1) {
      flushed = this.socket.write(chunks[0]!);
    } else {
      this.socket.cork();
      for (const chunk of chunks) flushed = this.socket.write(chunk);
      this.socket.uncork();
    }
    // Stop reading requests while the client is not reading its responses.
    if (!flushed) this.socket.pause();
  }

  private fail(err: unknown): void {
    const reason = err instanceof Error ? err.message : String(err);
    this.log.warn("closing connection: bad request", { remote: this.remote, reason });
    this.close();
  }
}
