// The bytes of requests read but not yet answered, across every connection of a broker: Kafka's
// queued.max.request.bytes. A connection reserves a request's size before handing it on and
// releases it once the answer is out; while the pool is full it stops reading and waits its turn,
// so a flood of large requests on many connections cannot take the host's memory. A request that
// finds the pool empty is always let in, however large, so one request of socket.request.max.bytes
// can never wait forever.
//
// Ownership: one pool per broker, shared by its connections, used on the event loop only.

export class RequestMemoryPool {
  private used = 0;
  private waiting: Array<() => void> = [];

  /** `capacity` in bytes; zero or less leaves the pool unbounded (Kafka's -1). */
  constructor(private readonly capacity: number) {}

  get usedBytes(): number {
    return this.used;
  }

  tryReserve(bytes: number): boolean {
    if (this.capacity > 0 && this.used > 0 && this.used + bytes > this.capacity) return false;
    this.used += bytes;
    return true;
  }

  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
    if (this.waiting.length === 0) return;
    // Everyone waiting gets a try, in the order they came; whoever still finds no room asks again.
    const woken = this.waiting;
    this.waiting = [];
    for (const wake of woken) wake();
  }

  /** Calls `wake` once after the next release; the returned function takes the wish back. */
  whenReleased(wake: () => void): () => void {
    this.waiting.push(wake);
    return () => {
      const at = this.waiting.indexOf(wake);
      if (at >= 0) this.waiting.splice(at, 1);
    };
  }
}
