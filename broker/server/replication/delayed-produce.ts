// acks=all on replicated partitions (Kafka's DelayedProduce, parked in its produce purgatory): once
// the leader has appended, the answer for each partition waits until the high watermark passes
// what was appended — every ISR member has it — or leadership moves, or the request's timeout
// passes (REQUEST_TIMED_OUT). Nothing polls: a follower's fetch that advances the high watermark
// notifies the partition's listeners, and the waiting produce checks again then.
//
// Ownership: a waiting produce owns only its timer and its partition subscriptions, and gives both
// up when it answers; each partition's answer is written once, through its `answer` callback.
import { ErrorCode } from "../../protocol/errors.ts";
import type { FetchExpiry } from "../fetch/delayed-fetch.ts";
import type { PartitionState } from "./partition-state.ts";

export interface AwaitedAck {
  state: PartitionState;
  /** The high watermark this partition's append needs (its last offset + 1). */
  requiredOffset: bigint;
  /** Called once, with the partition's final error code. */
  answer(errorCode: number): void;
}

/**
 * Resolves once every partition has its answer. Partitions already satisfied are answered before
 * this returns; the promise is then already resolved.
 */
export function awaitAcks(acks: readonly AwaitedAck[], timeoutMs: number, timers: FetchExpiry): Promise<void> {
  const open = new Set(acks);
  const settleReady = (): boolean => {
    for (const ack of [...open]) {
      const check = ack.state.checkEnoughReplicasReachOffset(ack.requiredOffset);
      if (!check.done) continue;
      open.delete(ack);
      ack.answer(check.errorCode);
    }
    return open.size === 0;
  };
  if (settleReady()) return Promise.resolve();

  return new Promise<void>((resolve) => {
    const subscriptions: (() => void)[] = [];
    let cancelTimer = (): void => {};
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      cancelTimer();
      for (const unsubscribe of subscriptions) unsubscribe();
      resolve();
    };
    for (const state of new Set([...open].map((ack) => ack.state))) {
      subscriptions.push(
        state.onChange(() => {
          if (!finished && settleReady()) finish();
        }),
      );
    }
    cancelTimer = timers.start(timeoutMs, () => {
      if (finished) return;
      for (const ack of open) ack.answer(ErrorCode.REQUEST_TIMED_OUT);
      open.clear();
      finish();
    });
  });
}
