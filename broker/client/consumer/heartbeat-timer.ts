// A group member's heartbeats on a timer of their own (so a slow eachMessage does not by itself
// expire the session): one heartbeat at a time, the next scheduled once the previous has settled,
// at the interval asked for at that moment (a KIP-848 coordinator may change it).
//
// Ownership: a HeartbeatTimer owns its timer and the chain it belongs to. stop() ends the chain: a
// heartbeat already on its way finishes but schedules no next one.
export class HeartbeatTimer {
  #timer: NodeJS.Timeout | undefined;
  #chain = 0;

  constructor(
    private readonly beat: () => Promise<void>,
    private readonly intervalMs: () => number,
  ) {}

  start(): void {
    this.stop();
    const chain = ++this.#chain;
    const tick = (): void => {
      this.#timer = setTimeout(() => {
        void this.beat().finally(() => {
          if (chain === this.#chain) tick();
        });
      }, this.intervalMs());
    };
    tick();
  }

  stop(): void {
    this.#chain++;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
