// One client connection: splits the TCP stream into size-prefixed frames (the protocol's
// FrameReader), hands each frame to the request handler and writes the responses strictly in
// request order, because clients pipeline requests and match responses by position as much as by
// correlation id.
//
// What one connection may hold is bounded: a frame by socket.request.max.bytes, the requests it
// has in flight by maxInFlightRequests, their bytes by the broker's shared RequestMemoryPool
// (queued.max.request.bytes). At a limit it stops reading its socket, so the client's further
// requests wait in TCP buffers instead of the broker's memory, and reads again once answers went
// out. A client that does not read its answers stops being read too. A connection with nothing in
// flight and no traffic for connections.max.idle.ms is closed. Requests that wait (a long-polling
// fetch) learn when their connection closes (whenClosed), so they stop holding its memory and
// their bytes in the pool for answers that would go nowhere.
//
// Ownership: a Connection owns its socket, its frame reader, its queue of frames not yet handed on
// and its queue of pending responses.
import type { Socket } from "node:net";
import { FrameReader } from "../protocol/frame-reader.ts";
import { RequestMemoryPool } from "./request-memory-pool.ts";

/** What a handled request produces: the frame's chunks, or null when no response is due (acks=0). */
export type ResponseFrame = Buffer[] | null;

export type FrameHandler = (frame: Buffer, connection: Connection) => ResponseFrame | Promise<ResponseFrame>;

export interface ConnectionLog {
  debug(message: string, fields?: Record<string, unknown>): void;
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

/** How long a connection ended by closeAfterResponses waits for its last answer to be read. */
const END_GRACE_MS = 5000;

export interface ConnectionLimits {
  /**
   * Requests handed on and not yet answered. Kafka reads one request per connection at a time; a
   * Node broker answers pipelined requests side by side, up to this many.
   */
  maxInFlightRequests: number;
  /** Closes a connection with nothing in flight after this long without traffic; 0 never. */
  idleTimeoutMs: number;
  /** The broker-wide budget of request bytes read and not yet answered. */
  memoryPool: RequestMemoryPool;
}

export const defaultConnectionLimits = (): ConnectionLimits => ({
  maxInFlightRequests: 100,
  idleTimeoutMs: 0,
  memoryPool: new RequestMemoryPool(0),
});

interface PendingResponse {
  frame: ResponseFrame | undefined;
  requestBytes: number;
}

export class Connection {
  private readonly frames: FrameReader;
  /** Frames read but not yet handed on, because a limit was reached. */
  private readonly unhandled: Buffer[] = [];
  private readonly pending: PendingResponse[] = [];
  private readonly limits: ConnectionLimits;
  private closed = false;
  /** Set by closeAfterResponses: nothing more is handed on, and the socket ends once answers are out. */
  private closing = false;
  /** The client is not reading its answers (the socket's write buffer is full). */
  private writeBlocked = false;
  private cancelPoolWait: (() => void) | undefined;
  private readonly closeListeners = new Set<() => void>();
  readonly remote: string;

  constructor(
    private readonly socket: Socket,
    private readonly handle: FrameHandler,
    private readonly maxRequestBytes: number,
    private readonly log: ConnectionLog,
    limits: Partial<ConnectionLimits> = {},
  ) {
    this.limits = { ...defaultConnectionLimits(), ...limits };
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    this.frames = new FrameReader(
      { minSize: 0, maxSize: maxRequestBytes, preallocateUpTo: PREALLOCATE_REQUEST_BYTES },
      (frame) => {
        if (this.closed || this.closing) return;
        this.unhandled.push(frame);
        this.handOn();
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
    socket.on("drain", () => {
      this.writeBlocked = false;
      this.updateReading();
    });
    socket.on("error", () => this.close());
    socket.on("close", () => this.onClosed());
    if (this.limits.idleTimeoutMs > 0) {
      socket.setTimeout(this.limits.idleTimeoutMs);
      socket.on("timeout", () => this.onIdle());
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get clientHost(): string {
    return this.socket.remoteAddress ?? "";
  }

  /** Requests read but held back by a limit, not yet handed on. */
  get heldBackRequests(): number {
    return this.unhandled.length;
  }

  /** Requests handed on whose answers have not been written yet. */
  get inFlightRequests(): number {
    return this.pending.length;
  }

  /**
   * Calls `listener` once when the connection closes (at once if it has); the returned function
   * takes it back. A request that waits uses it to give up when its answer can no longer be sent.
   */
  whenClosed(listener: () => void): () => void {
    if (this.closed) {
      listener();
      return () => {};
    }
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  close(): void {
    if (this.closed) return;
    this.socket.destroy();
    this.onClosed();
  }

  /**
   * Reads nothing more; once every request handed on is answered, ends the socket gracefully, so
   * the last answer (a failed authentication's) reaches the client before the connection goes.
   */
  closeAfterResponses(): void {
    if (this.closed || this.closing) return;
    this.closing = true;
    this.unhandled.length = 0;
    this.socket.pause();
  }

  private endGracefully(): void {
    const socket = this.socket;
    this.onClosed();
    // A client that stops reading would hold the half-closed socket open; it gets a grace period.
    const deadline = setTimeout(() => socket.destroy(), END_GRACE_MS).unref();
    socket.once("close", () => clearTimeout(deadline));
    socket.end(() => socket.destroy());
  }

  /**
   * Answers still being worked on release their bytes to the pool when they complete; those that
   * wait are told (whenClosed), so they complete now rather than at their own deadline.
   */
  private onClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.cancelPoolWait?.();
    this.cancelPoolWait = undefined;
    this.unhandled.length = 0;
    const listeners = [...this.closeListeners];
    this.closeListeners.clear();
    for (const listener of listeners) listener();
  }

  /** Hands on queued frames while the limits allow, then reads on or pauses accordingly. */
  private handOn(): void {
    while (
      !this.closed &&
      !this.closing &&
      this.unhandled.length > 0 &&
      this.pending.length < this.limits.maxInFlightRequests
    ) {
      const frame = this.unhandled[0]!;
      if (!this.limits.memoryPool.tryReserve(frame.length)) {
        this.cancelPoolWait ??= this.limits.memoryPool.whenReleased(() => {
          this.cancelPoolWait = undefined;
          this.handOn();
        });
        break;
      }
      this.unhandled.shift();
      this.dispatch(frame);
    }
    this.updateReading();
  }

  private updateReading(): void {
    if (this.closed || this.closing) return;
    if (this.writeBlocked || this.unhandled.length > 0) this.socket.pause();
    else this.socket.resume();
  }

  private dispatch(frame: Buffer): void {
    const slot: PendingResponse = { frame: undefined, requestBytes: frame.length };
    this.pending.push(slot);
    let result: ResponseFrame | Promise<ResponseFrame>;
    try {
      result = this.handle(frame, this);
    } catch (err) {
      this.fail(err);
      this.complete(slot, null);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (frameOut) => this.complete(slot, frameOut),
        (err) => {
          this.fail(err);
          this.complete(slot, null);
        },
      );
    } else {
      this.complete(slot, result);
    }
  }

  private complete(slot: PendingResponse, frame: ResponseFrame): void {
    slot.frame = frame;
    let released = 0;
    while (this.pending.length > 0 && this.pending[0]!.frame !== undefined) {
      const ready = this.pending.shift()!;
      released += ready.requestBytes;
      if (ready.frame && !this.closed) this.write(ready.frame);
    }
    if (released > 0) this.limits.memoryPool.release(released);
    if (this.closing && this.pending.length === 0 && !this.closed) {
      this.endGracefully();
      return;
    }
    this.handOn();
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
    if (!flushed) this.writeBlocked = true;
  }

  private onIdle(): void {
    // A long-polling fetch or a produce waiting for its replicas is no idleness of the client's.
    if (this.pending.length > 0 || this.unhandled.length > 0) return;
    this.log.debug("closing idle connection (connections.max.idle.ms)", {
      remote: this.remote,
      idleMs: this.limits.idleTimeoutMs,
    });
    this.close();
  }

  private fail(err: unknown): void {
    const reason = err instanceof Error ? err.message : String(err);
    this.log.warn("closing connection: bad request", { remote: this.remote, reason });
    this.close();
  }
}
