// The one serial path of a RaftNode, in the manner of Kafka's single poll thread: every entry point
// (a timer, a request, an answer, a proposal) runs through run(), synchronously to its end, and
// the outermost one ends with a poll that does what became due and sets the one timer for the
// next deadline. An entry point running inside another (a listener that proposes, a held fetch
// answered mid-transition) leaves the poll to the outermost one, so a poll never starts in the
// middle of a transition.
//
// Ownership: owned by one RaftNode; it owns the node's poll timer.

import type { Scheduler, Timer } from "../server/groups/scheduler.ts";

/** Does what is due at `now`; returns when to be called again (Infinity: only when something happens). */
export type Poll = (now: number) => number;

/** Polls a re-entered poll may repeat before it waits for its timer (a bound, not a rhythm). */
const MAX_POLL_ROUNDS = 10;

export class SerialPath {
  readonly #scheduler: Scheduler;
  readonly #poll: Poll;
  #depth = 0;
  #pollRequested = false;
  #stopped = true;
  #timer: Timer | null = null;
  #timerAt = Number.POSITIVE_INFINITY;

  constructor(scheduler: Scheduler, poll: Poll) {
    this.#scheduler = scheduler;
    this.#poll = poll;
  }

  /** From now on the outermost entry point polls. */
  start(): void {
    this.#stopped = false;
  }

  /** No more polls nor timer. */
  stop(): void {
    this.#stopped = true;
    this.#cancelTimer();
  }

  run<T>(action: () => T): T {
    this.#depth++;
    let result: T;
    try {
      result = action();
    } finally {
      this.#depth--;
    }
    if (this.#depth === 0) this.#pollNow();
    else this.#pollRequested = true;
    return result;
  }

  #pollNow(): void {
    if (this.#stopped) return;
    this.#depth++;
    try {
      let rounds = 0;
      do {
        this.#pollRequested = false;
        this.#schedule(this.#poll(this.#scheduler.now()));
      } while (this.#pollRequested && !this.#stopped && ++rounds < MAX_POLL_ROUNDS);
    } finally {
      this.#depth--;
    }
  }

  #schedule(at: number): void {
    if (this.#stopped) return;
    if (at === this.#timerAt && this.#timer !== null) return;
    this.#cancelTimer();
    if (!Number.isFinite(at)) return;
    this.#timerAt = at;
    this.#timer = this.#scheduler.setTimer(Math.max(0, at - this.#scheduler.now()), () => {
      this.#timer = null;
      this.#timerAt = Number.POSITIVE_INFINITY;
      this.run(() => undefined);
    });
  }

  #cancelTimer(): void {
    this.#timer?.cancel();
    this.#timer = null;
    this.#timerAt = Number.POSITIVE_INFINITY;
  }
}
