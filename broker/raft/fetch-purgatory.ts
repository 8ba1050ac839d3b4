// Follower fetches the leader holds while it has nothing new for them (Kafka's fetch purgatory for
// the Raft log): a fetch that finds no records waits until the leader's log grows past its offset,
// the high watermark moves, the leader's role ends, or its max wait passes, whichever comes first.
// Each wait ends by answering afresh from the state of that moment.
//
// Ownership: owned by one RaftNode and used only from its serial path; each parked fetch owns its
// timer.

import type { Scheduler, Timer } from "../server/groups/scheduler.ts";

interface ParkedFetch<Response> {
  fetchOffset: bigint;
  answer: () => Response;
  resolve: (response: Response) => void;
  timer: Timer;
}

export class FetchPurgatory<Response> {
  readonly #parked = new Set<ParkedFetch<Response>>();
  readonly #scheduler: Scheduler;

  constructor(scheduler: Scheduler) {
    this.#scheduler = scheduler;
  }

  get size(): number {
    return this.#parked.size;
  }

  /** Holds a fetch from `fetchOffset` for up to `maxWaitMs`; `answer` builds its response when it completes. */
  park(fetchOffset: bigint, maxWaitMs: number, answer: () => Response): Promise<Response> {
    return new Promise<Response>((resolve) => {
      const parked: ParkedFetch<Response> = {
        fetchOffset,
        answer,
        resolve,
        timer: this.#scheduler.setTimer(maxWaitMs, () => this.#complete(parked)),
      };
      this.#parked.add(parked);
    });
  }

  /** Completes the fetches the log has news for: those from below `endOffset`. */
  completeBelow(endOffset: bigint): void {
    for (const parked of [...this.#parked]) if (parked.fetchOffset < endOffset) this.#complete(parked);
  }

  completeAll(): void {
    for (const parked of [...this.#parked]) this.#complete(parked);
  }

  #complete(parked: ParkedFetch<Response>): void {
    if (!this.#parked.delete(parked)) return;
    parked.timer.cancel();
    parked.resolve(parked.answer());
  }
}
