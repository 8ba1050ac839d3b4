// Serves a Server-Sent Events stream on an HTTP response: the headers, one `event:`/`id:`/`data:`
// block per message, and a comment every 15 s so proxies and idle timers keep the connection open.
// The caller learns of the client leaving through onClose.
//
// Ownership: an SseStream owns its response and its keep-alive timer.
import type { Response } from "express";

const KEEP_ALIVE_MS = 15_000;

export class SseStream {
  private readonly keepAlive: NodeJS.Timeout;
  private closed = false;
  private readonly closeListeners: Array<() => void> = [];

  constructor(private readonly res: Response) {
    res.status(200);
    res.setHeader("content-type", "text/event-stream; charset=utf-8");
    res.setHeader("cache-control", "no-cache, no-transform");
    res.setHeader("connection", "keep-alive");
    // Tells a buffering proxy (nginx) to pass each event on at once.
    res.setHeader("x-accel-buffering", "no");
    res.flushHeaders();
    res.write(": stream open\n\n");
    this.keepAlive = setInterval(() => this.res.write(": keep-alive\n\n"), KEEP_ALIVE_MS);
    this.keepAlive.unref();
    res.on("close", () => this.close());
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Sends one event; `data` goes as JSON on one line. */
  send(event: string, data: unknown, id?: string | number): void {
    if (this.closed) return;
    const idLine = id === undefined ? "" : `id: ${id}\n`;
    this.res.write(`event: ${event}\n${idLine}data: ${JSON.stringify(data)}\n\n`);
  }

  onClose(listener: () => void): void {
    if (this.closed) listener();
    else this.closeListeners.push(listener);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.keepAlive);
    this.res.end();
    for (const listener of this.closeListeners.splice(0)) listener();
  }
}
