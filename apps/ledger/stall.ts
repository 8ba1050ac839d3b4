// A stall on demand, for the console's fault controls and the tests: SIGUSR1 makes the ledger's
// next batch wait LEDGER_STALL_MS (by default its max poll interval + 5 s) before it is applied, as
// a hung database or a long GC pause would. With a max poll interval the member then leaves its
// group, another member takes its partitions over, and when the stalled batch is finally applied
// its commands are found already processed (or are applied first, then found by the new owner):
// nothing is lost or applied twice.
//
// Owner of mutable state: a Stall (whether one is armed, and for how long).
import { optionalIntFrom } from "../shared/config.ts";
import type { AppLog } from "../shared/log.ts";

/** What the stall adds to the max poll interval, so that the interval surely passes. */
export const STALL_BEYOND_MAX_POLL_MS = 5_000;

/** LEDGER_STALL_MS, or the max poll interval + 5 s when unset. */
export function stallMsFrom(env: NodeJS.ProcessEnv, maxPollIntervalMs: number): number {
  return optionalIntFrom(env, "LEDGER_STALL_MS", 0) ?? maxPollIntervalMs + STALL_BEYOND_MAX_POLL_MS;
}

export class Stall {
  private armed = false;

  constructor(
    readonly ms: number,
    private readonly log: AppLog,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  /** The next batch (one, whichever partition's comes first) waits; asking again meanwhile changes nothing. */
  arm(cause: string): void {
    if (this.armed) return;
    this.armed = true;
    this.log.info(`stall: next batch waits ${this.ms} ms (${cause})`);
  }

  /** Called before each batch is applied: waits if armed, then disarms. */
  async beforeBatch(): Promise<void> {
    if (!this.armed) return;
    this.armed = false;
    await this.sleep(this.ms);
  }

  /** Arms on each `signal` until the returned function is called. */
  armOnSignal(signal: NodeJS.Signals = "SIGUSR1"): () => void {
    const listener = (): void => this.arm(signal);
    process.on(signal, listener);
    return () => {
      process.off(signal, listener);
    };
  }
}
