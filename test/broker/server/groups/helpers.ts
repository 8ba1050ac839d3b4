// Test doubles for the group coordinator: hand-driven time and an in-memory `__consumer_offsets`.

import type { OffsetsLog, OffsetsLogRecord } from "../../../../broker/server/groups/offsets.ts";
import type { Scheduler, Timer } from "../../../../broker/server/groups/scheduler.ts";
import type { JoinGroupRequest } from "../../../../broker/server/groups/types.ts";

interface ScheduledTimer {
  dueAt: number;
  order: number;
  onFire: () => void;
  cancelled: boolean;
}

/** Lets queued promise chains run to completion (they only use microtasks). */
export async function settle(): Promise<void> {
  for (let round = 0; round < 3; round += 1) await new Promise<void>((resolve) => setImmediate(resolve));
}

export class ManualScheduler implements Scheduler {
  private nowMs: number;
  private nextOrder = 0;
  private timers: ScheduledTimer[] = [];

  constructor(startMs = 1_700_000_000_000) {
    this.nowMs = startMs;
  }

  now(): number {
    return this.nowMs;
  }

  setTimer(delayMs: number, onFire: () => void): Timer {
    const timer: ScheduledTimer = {
      dueAt: this.nowMs + Math.max(0, delayMs),
      order: this.nextOrder++,
      onFire,
      cancelled: false,
    };
    this.timers.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  activeTimerCount(): number {
    return this.timers.filter((timer) => !timer.cancelled).length;
  }

  /** Moves time forward, firing due timers in order and letting the work they queue finish. */
  async advance(ms: number): Promise<void> {
    const target = this.nowMs + ms;
    for (;;) {
      await settle();
      this.timers = this.timers.filter((timer) => !timer.cancelled);
      const due = this.timers
        .filter((timer) => timer.dueAt <= target)
        .sort((left, right) => left.dueAt - right.dueAt || left.order - right.order)[0];
      if (due === undefined) break;
      this.nowMs = due.dueAt;
      due.cancelled = true;
      due.onFire();
    }
    this.nowMs = target;
    await settle();
  }
}

export class MemoryOffsetsLog implements OffsetsLog {
  readonly partitions = new Map<number, OffsetsLogRecord[]>();
  failAppends = false;

  async append(partition: number, records: OffsetsLogRecord[]): Promise<void> {
    if (this.failAppends) throw new Error("disk on fire");
    const log = this.partitions.get(partition) ?? [];
    log.push(...records);
    this.partitions.set(partition, log);
  }

  read(partition: number): Iterable<OffsetsLogRecord> {
    return this.partitions.get(partition) ?? [];
  }

  allRecords(): OffsetsLogRecord[] {
    return [...this.partitions.values()].flat();
  }
}

/** Observes a promise without awaiting it, to assert that a response is (not yet) given. */
export function track<Result>(promise: Promise<Result>): { readonly done: boolean; readonly value: Result } {
  const state: { done: boolean; value: Result | undefined } = { done: false, value: undefined };
  void promise.then((value) => {
    state.done = true;
    state.value = value;
  });
  return {
    get done() {
      return state.done;
    },
    get value() {
      if (!state.done) throw new Error("response not given yet");
      return state.value as Result;
    },
  };
}

export function consumerJoin(overrides: Partial<JoinGroupRequest> = {}): JoinGroupRequest {
  return {
    groupId: "orders",
    memberId: "",
    groupInstanceId: null,
    clientId: "till-1",
    clientHost: "/127.0.0.1",
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 30_000,
    protocolType: "consumer",
    protocols: [{ name: "RoundRobinAssigner", metadata: Buffer.from("subscription") }],
    requireKnownMemberId: true,
    ...overrides,
  };
}
