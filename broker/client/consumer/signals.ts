// The consumer's small concurrency tools: a one-shot Signal (a round ending, a stop, a wake-up),
// waiting for a time or a signal, racing a request against a signal, and Slots, which let at most
// partitionsConsumedConcurrently batches reach the app at once.
//
// Ownership: a Signal owns its listeners, a Slots its free count and queue of waiting tasks. Which
// signals exist and when they fire is decided by their users (the fetcher and the runner).

/**
 * A one-shot event. Waiters register and unregister a callback rather than chain on a promise,
 * so a session that lasts for millions of fetches does not pile up reactions on it.
 */
export class Signal {
  fired = false;
  private readonly listeners = new Set<() => void>();

  fire(): void {
    if (this.fired) return;
    this.fired = true;
    for (const listener of this.listeners) listener();
    this.listeners.clear();
  }

  /** Calls `listener` once fired (at once if already); returns the way to unregister it. */
  onFire(listener: () => void): () => void {
    if (this.fired) {
      listener();
      return () => undefined;
    }
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }
}

/** Resolves after `ms`, or as soon as one of the signals fires. */
export function waitFor(ms: number, ...signals: Signal[]): Promise<void> {
  // A signal that has fired already would call `done` from onFire, before `offs` exists.
  if (signals.some((signal) => signal.fired)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      for (const off of offs) off();
      resolve();
    };
    const timer = setTimeout(done, ms);
    const offs = signals.map((signal) => signal.onFire(done));
  });
}

/** The request's answer, or undefined if the signal fires first (the answer is then ignored). */
export function untilFired<T>(request: Promise<T>, signal: Signal): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    const off = signal.onFire(() => resolve(undefined));
    request.then(
      (value) => {
        off();
        resolve(value);
      },
      (error: unknown) => {
        off();
        reject(error);
      },
    );
  });
}

/** At most `size` tasks at a time, the others queued in order. */
export class Slots {
  private readonly waiting: Array<() => void> = [];

  constructor(private free: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}
