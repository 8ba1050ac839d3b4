// The readers of the metadata log (Kafka's RaftClient.Listener and ListenerContext): committed
// data batches and leader changes.
// - Committed batches: each listener has its own position, starts at the beginning of the log (the
//   replay on start) and then gets every batch below the commit point once, in order. Control
//   batches are skipped.
// - Leader changes: every new (leader, epoch) once. A node's own leadership is told only when it is
//   usable: its first entry committed and every committed listener past the epoch's start, so a
//   listener reacting to leadership has seen the whole committed log before it.
// A listener that throws is logged and the others go on: one bad reader must not stop Raft.
//
// Ownership: owned by one RaftNode and called from its serial path. A listener may call back into
// the node (propose, say) while being called: publishing is guarded against re-entry and runs
// again until every listener is caught up.

import type { Logger } from "../server/logger.ts";
import { type CommittedBatch, committedBatchOf } from "./raft-batches.ts";
import type { RaftLog } from "./raft-log.ts";
import type { LeaderAndEpoch } from "./raft-messages.ts";

export type CommittedListener = (batch: CommittedBatch) => void;
export type LeaderChangeListener = (leader: LeaderAndEpoch) => void;

interface Subscription {
  listener: CommittedListener;
  nextOffset: bigint;
}

export class RaftListeners {
  readonly #log: RaftLog;
  readonly #logger: Logger;
  readonly #subscriptions: Subscription[] = [];
  readonly #leaderListeners: LeaderChangeListener[] = [];
  #announced: LeaderAndEpoch = { leaderId: null, epoch: -1 };
  #publishing = false;
  #again = false;
  /** The highest commit point published so far. */
  #committedOffset = 0n;

  constructor(log: RaftLog, logger: Logger) {
    this.#log = log;
    this.#logger = logger;
  }

  /** Adds a reader of committed batches from the start of the log; returns how to remove it. */
  onCommitted(listener: CommittedListener): () => void {
    const subscription = { listener, nextOffset: this.#log.startOffset };
    this.#subscriptions.push(subscription);
    return () => remove(this.#subscriptions, subscription);
  }

  onLeaderChange(listener: LeaderChangeListener): () => void {
    this.#leaderListeners.push(listener);
    return () => remove(this.#leaderListeners, listener);
  }

  /** Whether every committed reader has been given everything below `offset`. */
  caughtUpTo(offset: bigint): boolean {
    return this.#subscriptions.every((subscription) => subscription.nextOffset >= offset);
  }

  /** Gives every reader the batches below `committedOffset` it has not had yet. */
  publish(committedOffset: bigint): void {
    if (committedOffset > this.#committedOffset) this.#committedOffset = committedOffset;
    if (this.#publishing) {
      this.#again = true;
      return;
    }
    this.#publishing = true;
    try {
      do {
        this.#again = false;
        for (const subscription of [...this.#subscriptions]) this.#catchUp(subscription, this.#committedOffset);
      } while (this.#again);
    } finally {
      this.#publishing = false;
    }
  }

  /** Tells the leader listeners `leader` unless it is what they were told last. */
  announce(leader: LeaderAndEpoch): void {
    if (leader.leaderId === this.#announced.leaderId && leader.epoch === this.#announced.epoch) return;
    this.#announced = { ...leader };
    for (const listener of [...this.#leaderListeners]) {
      try {
        listener({ ...leader });
      } catch (error) {
        this.#logger.error("a leader-change listener failed", { error: errorText(error) });
      }
    }
  }

  #catchUp(subscription: Subscription, committedOffset: bigint): void {
    // Read first, then call: a listener may append to the log, which must not happen mid-scan.
    const stored = this.#log.batchesBelow(subscription.nextOffset, committedOffset);
    for (const batch of stored) {
      if (!this.#subscriptions.includes(subscription)) return;
      subscription.nextOffset = batch.lastOffset + 1n;
      const committed = committedBatchOf(batch.bytes);
      if (committed === null) continue;
      try {
        subscription.listener(committed);
      } catch (error) {
        this.#logger.error("a committed-batch listener failed", {
          baseOffset: committed.baseOffset,
          error: errorText(error),
        });
      }
    }
  }
}

function remove<T>(list: T[], item: T): void {
  const at = list.indexOf(item);
  if (at >= 0) list.splice(at, 1);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
