// Proposals a leader has appended and not yet seen committed (Kafka's append purgatory): each
// waits for the high watermark to pass its last offset, for its leadership to end, or for the
// time its proposer gave, whichever comes first.
//
// Ownership: owned by one RaftNode and used only from its serial path; each proposal owns its timer.

import type { Scheduler, Timer } from "../server/groups/scheduler.ts";

/** A write went to a node that does not lead the quorum; `leaderId` is the leader it knows of, if any. */
export class NotLeaderError extends Error {
  readonly retriable = true;
  readonly leaderId: number | null;
  readonly epoch: number;

  constructor(leaderId: number | null, epoch: number, message?: string) {
    super(message ?? `not the quorum leader (leader ${leaderId ?? "unknown"} in epoch ${epoch})`);
    this.leaderId = leaderId;
    this.epoch = epoch;
  }
}

/** A proposal was not committed in the time given: no majority of voters has it (yet). It may still commit. */
export class CommitTimeoutError extends Error {
  readonly retriable = true;
}

interface Pending {
  lastOffset: bigint;
  resolve: (lastOffset: bigint) => void;
  reject: (error: Error) => void;
  timer: Timer | null;
}

export class PendingProposals {
  readonly #scheduler: Scheduler;
  #pending: Pending[] = [];

  constructor(scheduler: Scheduler) {
    this.#scheduler = scheduler;
  }

  /** Resolves with `lastOffset` once committed; rejects with CommitTimeoutError after `timeoutMs` if given. */
  add(lastOffset: bigint, timeoutMs: number | undefined, voters: number): Promise<bigint> {
    return new Promise<bigint>((resolve, reject) => {
      const pending: Pending = { lastOffset, resolve, reject, timer: null };
      if (timeoutMs !== undefined) {
        pending.timer = this.#scheduler.setTimer(timeoutMs, () => {
          const at = this.#pending.indexOf(pending);
          if (at < 0) return;
          this.#pending.splice(at, 1);
          reject(
            new CommitTimeoutError(
              `offset ${lastOffset} not committed within ${timeoutMs} ms: no majority of the ${voters} voters has it`,
            ),
          );
        });
      }
      this.#pending.push(pending);
    });
  }

  /** Resolves the proposals whose last offset is below `highWatermark`. */
  committedBelow(highWatermark: bigint): void {
    const waiting: Pending[] = [];
    for (const pending of this.#pending) {
      if (pending.lastOffset < highWatermark) {
        pending.timer?.cancel();
        pending.resolve(pending.lastOffset);
      } else {
        waiting.push(pending);
      }
    }
    this.#pending = waiting;
  }

  failAll(error: Error): void {
    const failed = this.#pending;
    this.#pending = [];
    for (const pending of failed) {
      pending.timer?.cancel();
      pending.reject(error);
    }
  }
}
