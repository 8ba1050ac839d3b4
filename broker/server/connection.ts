// One client connection: splits the TCP stream into size-prefixed frames, hands each frame to the
// request handler and writes the responses strictly in request order, because clients pipeline
// requests and match responses by position as much as by correlation id.
//
// Ownership: a Connection owns its socket, its read buffer and its queue of pending responses.
// A malformed or oversized frame ends this connection only; the broker keeps serving the others.
import type { Socket } from "node:net";

/** What a handled request produces: the frame's chunks, or null when no response is due (acks=0). */
export type ResponseFrame = Buffer[] | null;

export type FrameHandler = (frame: Buffer, connection: Connection) => ResponseFrame | Promise<ResponseFrame>;

export interface ConnectionLog {
  warn(message: string, fields?: Record<string, unknown>): void;
}

/** Thrown by a frame handler to end the connection (bad bytes, unknown API). */
export class DropConnection extends Error {}

interface PendingResponse {
  frame: ResponseFrame | undefined;
}

export class Connection {
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
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
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
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

  private onData(chunk: Buffer): void {
    this.buffered.push(chunk);
    this.bufferedBytes += chunk.length;
    while (!this.closed && this.bufferedBytes >= 4) {
      const size = this.peekInt32();
      if (size < 0 || size > this.maxRequestBytes) {
        this.log.warn("closing connection: frame size out of bounds", {
          remote: this.remote,
          size,
          max: this.maxRequestBytes,
        });
        this.close();
        return;
      }
      if (this.bufferedBytes < 4 + size) return;
      const frame = this.take(4 + size).subarray(4);
      this.dispatch(frame);
    }
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

  private peekInt32(): number {
    const first = this.buffered[0]!;
    if (first.length >= 4) return first.readInt32BE(0);
    return Buffer.concat(this.buffered).readInt32BE(0);
  }

  private take(length: number): Buffer {
    let out: Buffer;
    const first = this.buffered[0]!;
    if (first.length >= length) {
      out = first.subarray(0, length);
      if (first.length === length) this.buffered.shift();
      else this.buffered[0] = first.subarray(length);
    } else {
      const all = Buffer.concat(this.buffered, this.bufferedBytes);
      out = all.subarray(0, length);
      this.buffered = all.length > length ? [all.subarray(length)] : [];
    }
    this.bufferedBytes -= length;
    return out;
  }
}
