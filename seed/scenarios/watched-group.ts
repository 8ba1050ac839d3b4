// What the rebalance scenarios (8-11) watch a consumer group through: members of our client in this
// process whose handlers and assignment events are written down with the time they happened, a
// steady flow of points commands to consume, and the group events of the brokers' admin listeners.
// A scenario reads these records afterwards to check what stopped and what went on.
//
// Ownership: a WatchedGroup owns its members' consumers, the log of records they handled and of
// their assignment changes; a Traffic owns its producer and the log of what it sent. Both are
// written only by the clients' own callbacks and read by the scenario.

import type { Consumer, ConsumerConfig, ConsumerPartitionsChangedEvent, Producer } from "../../broker/client/index.ts";
import type { ClusterEvent } from "../../broker/server/admin/cluster-events.ts";
import { eventually } from "./admin-views.ts";
import type { ScenarioSystem } from "./scenario.ts";
import { kafkaOn } from "./toolkit.ts";

/** A record a member's handler was called with, at the moment the call began. */
export interface HandledRecord {
  member: string;
  at: number;
  partition: number;
  offset: string;
  key: string;
}

/** A member's assignment changed (our client's PARTITIONS_ASSIGNED / PARTITIONS_REVOKED events). */
export interface OwnershipChange {
  member: string;
  at: number;
  kind: "assigned" | "revoked";
  generation: number;
  reason: string;
  partitions: number[];
}

export interface WatchedMember {
  name: string;
  consumer: Consumer;
  /** The partitions it owns now, sorted. */
  owned(): number[];
  /** The generation (classic) or member epoch (KIP-848) of its latest assignment; undefined before one. */
  generation(): number | undefined;
  /**
   * Its next handler call blocks (a call to a slow payment system) until `release`; `stuck` resolves
   * with that call's record once it has begun.
   */
  stall(): { stuck: Promise<HandledRecord>; release(): void };
  /** Stops and disconnects (a clean leave, or for a static member just a stop). */
  stop(): Promise<void>;
}

export interface WatchedGroupOptions {
  system: ScenarioSystem;
  groupId: string;
  topic: string;
  /** Settings every member gets, under each member's own. */
  consumer?: Partial<ConsumerConfig>;
}

/** Settings that make a small group react in well under a second; the broker's minimum session timeout permitting. */
export const quickMember: Partial<ConsumerConfig> = {
  sessionTimeout: 6000,
  rebalanceTimeout: 10_000,
  heartbeatInterval: 250,
  maxWaitTimeInMs: 100,
};

export class WatchedGroup {
  readonly handled: HandledRecord[] = [];
  readonly changes: OwnershipChange[] = [];
  /** Members whose run() failed to start, with why. */
  readonly failures: string[] = [];
  private readonly members = new Map<string, WatchedMember>();

  constructor(private readonly options: WatchedGroupOptions) {}

  member(name: string): WatchedMember {
    const member = this.members.get(name);
    if (!member) throw new Error(`no member ${name}`);
    return member;
  }

  /** Starts member `name` (it joins the group, from the earliest offsets); resolves before it has joined. */
  async start(name: string, config: Partial<ConsumerConfig> = {}): Promise<WatchedMember> {
    const { system, groupId, topic } = this.options;
    const consumer = kafkaOn(system, name).consumer({
      groupId,
      ...quickMember,
      ...this.options.consumer,
      ...config,
    } as ConsumerConfig);
    const owned = new Set<number>();
    let generation: number | undefined;
    let stall: { started(record: HandledRecord): void; released: Promise<void> } | undefined;
    const onChange = (kind: OwnershipChange["kind"]) => (event: ConsumerPartitionsChangedEvent) => {
      const partitions = event.payload.partitions.filter((t) => t.topic === topic).flatMap((t) => t.partitions);
      for (const partition of partitions) kind === "assigned" ? owned.add(partition) : owned.delete(partition);
      if (kind === "assigned") generation = event.payload.generationId;
      this.changes.push({
        member: name,
        at: event.timestamp,
        kind,
        generation: event.payload.generationId,
        reason: event.payload.reason,
        partitions: partitions.sort((a, b) => a - b),
      });
    };
    consumer.on(consumer.events.PARTITIONS_ASSIGNED, onChange("assigned"));
    consumer.on(consumer.events.PARTITIONS_REVOKED, onChange("revoked"));
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    // Not awaited: run() resolves after the first join, which a rebalance held up by a slow member delays.
    const running = consumer.run({
      eachMessage: async ({ partition, message }) => {
        const record: HandledRecord = {
          member: name,
          at: Date.now(),
          partition,
          offset: message.offset,
          key: message.key?.toString() ?? "",
        };
        this.handled.push(record);
        const current = stall;
        if (current) {
          stall = undefined;
          current.started(record);
          await current.released;
        }
      },
    });
    running.catch((error: unknown) => {
      this.failures.push(`${name}: ${(error as Error).message}`);
    });
    const member: WatchedMember = {
      name,
      consumer,
      owned: () => [...owned].sort((a, b) => a - b),
      generation: () => generation,
      stall() {
        let release!: () => void;
        let started!: (record: HandledRecord) => void;
        const released = new Promise<void>((resolve) => {
          release = resolve;
        });
        const stuck = new Promise<HandledRecord>((resolve) => {
          started = resolve;
        });
        stall = { started, released };
        return { stuck, release };
      },
      stop: () => consumer.disconnect(),
    };
    this.members.set(name, member);
    return member;
  }

  /** What `member` handled in [from, to], optionally only of `partitions`. */
  handledBy(member: string, from: number, to: number, partitions?: number[]): HandledRecord[] {
    return this.handled.filter(
      (r) => r.member === member && r.at >= from && r.at <= to && (!partitions || partitions.includes(r.partition)),
    );
  }

  /** The partitions owned by the members other than `name`, each once, sorted. */
  ownedByOthers(name: string): number[] {
    const owned = new Set<number>();
    for (const member of this.members.values()) if (member.name !== name) for (const p of member.owned()) owned.add(p);
    return [...owned].sort((a, b) => a - b);
  }

  /** Every member's partitions, as `name: [0,1]`; for details of a failed check. */
  describe(): string {
    return [...this.members.values()].map((m) => `${m.name}: [${m.owned().join(",")}]`).join(", ");
  }

  /** Stops every member still running; never throws. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.members.values()].map((m) => m.stop().catch(() => undefined)));
  }
}

/** What `joinWhileSlow` saw: when each part of the churn happened. */
export interface SlowJoin {
  /** The record whose handler call was slow. */
  stuck: HandledRecord;
  /** When the newcomer started to join. */
  joinedAt: number;
  /** When the slow call was let go. */
  releasedAt: number;
  /** Whether `releaseWhen` came to hold (else the call was let go after `timeoutMs`). */
  conditionMet: boolean;
}

/**
 * The churn of scenarios 10 and 11: `slow`'s handler hangs on its next record, then `newcomer` joins
 * the group; the hung call returns once `releaseWhen(joinedAt)` holds (or after `timeoutMs`, then
 * `conditionMet` is false). It does not wait for the rebalance to finish.
 */
export async function joinWhileSlow(
  group: WatchedGroup,
  slow: WatchedMember,
  newcomer: { name: string; config?: Partial<ConsumerConfig> },
  releaseWhen: (joinedAt: number) => boolean,
  timeoutMs = 10_000,
): Promise<SlowJoin> {
  const { stuck, release } = slow.stall();
  try {
    const stuckRecord = await stuck;
    const joinedAt = Date.now();
    await group.start(newcomer.name, newcomer.config);
    const conditionMet = await eventually(() => releaseWhen(joinedAt), timeoutMs);
    return { stuck: stuckRecord, joinedAt, releasedAt: Date.now(), conditionMet };
  } finally {
    release();
  }
}

/** A command the traffic sent, where it landed. */
export interface SentCommand {
  at: number;
  key: string;
  partition: number;
  offset: string;
}

/**
 * A steady flow of points commands (a charge every `everyMs` for one of `users` users, in turn), so
 * that a pause in consuming shows as records left waiting.
 */
export class Traffic {
  readonly sent: SentCommand[] = [];
  private running = true;
  private readonly producer: Producer;
  private loop: Promise<void> = Promise.resolve();

  constructor(
    system: ScenarioSystem,
    private readonly topic: string,
    private readonly users = 24,
    private readonly everyMs = 20,
  ) {
    this.producer = kafkaOn(system, "pos-terminal").producer();
  }

  async start(): Promise<void> {
    await this.producer.connect();
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    for (let n = 0; this.running; n += 1) {
      const key = userId((n % this.users) + 1);
      const value = JSON.stringify({ type: "charge", userId: key, amount: 100 + (n % 7) * 50, storeId: "store-1" });
      try {
        const [result] = await this.producer.send({ topic: this.topic, messages: [{ key, value }] });
        if (result)
          this.sent.push({ at: Date.now(), key, partition: result.partition, offset: result.baseOffset ?? "" });
      } catch {
        // A send that failed is simply not in the log; the flow goes on.
      }
      await new Promise((resolve) => setTimeout(resolve, this.everyMs));
    }
  }

  /** Sent in [from, to], optionally only to `partitions`. */
  sentBetween(from: number, to: number, partitions?: number[]): SentCommand[] {
    return this.sent.filter((s) => s.at >= from && s.at <= to && (!partitions || partitions.includes(s.partition)));
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await this.producer.disconnect().catch(() => undefined);
  }
}

/** The demo's user ids: user-0001, user-0002, … */
export function userId(n: number): string {
  return `user-${String(n).padStart(4, "0")}`;
}

/** The group events a broker's admin listener keeps (GET /v1/events/history), of `group` when given. */
export async function groupEvents(adminUrl: string, group?: string): Promise<ClusterEvent[]> {
  const response = await fetch(new URL("/v1/events/history", adminUrl));
  if (!response.ok) throw new Error(`${adminUrl}/v1/events/history answered ${response.status}`);
  const events = (await response.json()) as ClusterEvent[];
  return group === undefined ? events : events.filter((e) => e.group === group);
}

/** The group events of every broker's admin listener (a group's coordinator is one of them), oldest first. */
export async function allGroupEvents(adminUrls: string[], group: string): Promise<ClusterEvent[]> {
  const lists = await Promise.all(adminUrls.map((url) => groupEvents(url, group).catch(() => [])));
  return lists.flat().sort((a, b) => a.time - b.time);
}

/** `[0,1,2]` for a sentence. */
export function list(partitions: number[]): string {
  return `[${partitions.join(", ")}]`;
}
