// Test doubles for the group coordinator — hand-driven time and an in-memory `__consumer_offsets` —
// and the steps many group tests start with.

import assert from "node:assert/strict";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import type { EventJournal } from "../../../../broker/server/admin/cluster-events.ts";
import type { GroupCoordinatorConfig } from "../../../../broker/server/groups/config.ts";
import { GroupCoordinator } from "../../../../broker/server/groups/coordinator.ts";
import { GroupMember } from "../../../../broker/server/groups/group.ts";
import {
  OffsetsAppendError,
  type OffsetsLog,
  type OffsetsLogRecord,
} from "../../../../broker/server/groups/group-metadata-manager.ts";
import type { Scheduler, Timer } from "../../../../broker/server/groups/scheduler.ts";
import type { JoinGroupRequest, JoinGroupResult } from "../../../../broker/server/groups/types.ts";

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
  /** When set, appends fail as a replicated partition refuses them, with this Kafka error code. */
  failAppendsWith: number | null = null;
  /** When true, loading waits for releaseLoads (a new leader whose replica is not all committed yet). */
  holdLoads = false;
  private heldLoads: ((loadable: boolean) => void)[] = [];

  awaitLoadable(_partition: number): Promise<boolean> {
    if (!this.holdLoads) return Promise.resolve(true);
    return new Promise((resolve) => this.heldLoads.push(resolve));
  }

  /** Answers the held loads: true lets them load, false says leadership was lost meanwhile. */
  releaseLoads(loadable = true): void {
    for (const release of this.heldLoads.splice(0)) release(loadable);
  }

  get waitingLoads(): number {
    return this.heldLoads.length;
  }

  /** A transactional append's records carry their producer id, as the partition reads them back. */
  async append(partition: number, records: OffsetsLogRecord[], producer?: { producerId: bigint }): Promise<void> {
    if (this.failAppends) throw new Error("disk on fire");
    if (this.failAppendsWith !== null) throw new OffsetsAppendError(this.failAppendsWith, "refused by the partition");
    const log = this.partitions.get(partition) ?? [];
    log.push(...(producer === undefined ? records : records.map((r) => ({ ...r, producerId: producer.producerId }))));
    this.partitions.set(partition, log);
  }

  /** A transaction marker of `producerId` on `partition`, as a coordinator's WriteTxnMarkers leaves it. */
  appendMarker(partition: number, producerId: bigint, commit: boolean): void {
    const log = this.partitions.get(partition) ?? [];
    log.push({ key: Buffer.from([0, 0, 0, commit ? 1 : 0]), value: null, producerId, marker: { commit } });
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

/** A member `memberId` as the coordinator makes one from consumerJoin(overrides). */
export function consumerMember(memberId: string, overrides: Partial<JoinGroupRequest> = {}): GroupMember {
  const { groupInstanceId, clientId, clientHost, sessionTimeoutMs, rebalanceTimeoutMs, protocolType, protocols } =
    consumerJoin(overrides);
  return new GroupMember({
    memberId,
    groupInstanceId,
    clientId,
    clientHost,
    sessionTimeoutMs,
    rebalanceTimeoutMs,
    protocolType,
    protocols,
  });
}

/** A loaded coordinator on hand-driven time; session timeouts down to 1 s are allowed unless `config` says otherwise. */
export async function startCoordinator(
  options: {
    log?: MemoryOffsetsLog;
    config?: Partial<GroupCoordinatorConfig>;
    partitionExists?: (topic: string, partition: number) => boolean;
    events?: EventJournal;
  } = {},
) {
  const scheduler = new ManualScheduler();
  const log = options.log ?? new MemoryOffsetsLog();
  const coordinator = new GroupCoordinator({
    offsetsLog: log,
    scheduler,
    config: { groupMinSessionTimeoutMs: 1_000, ...options.config },
    ...(options.partitionExists === undefined ? {} : { partitionExists: options.partitionExists }),
    ...(options.events === undefined ? {} : { events: options.events }),
  });
  await coordinator.load();
  return { coordinator, scheduler, log };
}

/** JoinGroup v4+: the first join hands out an id, the second one (returned, maybe parked) uses it. */
export async function joinWithNewId(coordinator: GroupCoordinator, overrides: Partial<JoinGroupRequest> = {}) {
  const first = await coordinator.join(consumerJoin(overrides));
  assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
  return track(coordinator.join(consumerJoin({ ...overrides, memberId: first.memberId })));
}

export async function joinedAnswer(pending: { done: boolean; value: JoinGroupResult }): Promise<JoinGroupResult> {
  await settle();
  assert.equal(pending.done, true, "JoinGroup should have been answered");
  return pending.value;
}

/** Brings a group to Stable with one member and returns that member's id. */
export async function stableSingleMemberGroup(
  coordinator: GroupCoordinator,
  overrides: Partial<JoinGroupRequest> = {},
) {
  const joined = await joinedAnswer(await joinWithNewId(coordinator, overrides));
  const synced = await coordinator.sync({
    groupId: overrides.groupId ?? "orders",
    generationId: joined.generationId,
    memberId: joined.memberId,
    assignments: [{ memberId: joined.memberId, assignment: Buffer.from("all") }],
  });
  assert.equal(synced.errorCode, ErrorCode.NONE);
  return joined;
}
