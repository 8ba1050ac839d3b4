// What happened in the cluster and its groups, with when and why: the events a broker records for the
// console's event stream and rebalance timeline (its admin listener serves them as Server-Sent
// Events). A bounded history is kept so a page opened late still sees the last few minutes.
//
// Ownership: one EventJournal per broker process owns its ring of events and its subscribers;
// `record` is synchronous and never throws into the code that reports (a failing subscriber is
// dropped), so the group coordinator and the replica manager can call it from their own queues.

export type ClusterEventKind =
  // classic and KIP-848 groups (recorded by the group's coordinator)
  | "member-joined"
  | "member-left"
  | "member-removed"
  | "static-member-rejoined"
  | "rebalance-started"
  | "rebalance-completed"
  | "partitions-assigned"
  | "partitions-revoked"
  // partitions and the cluster (recorded by every broker from the metadata log it applies)
  | "leader-changed"
  | "isr-shrank"
  | "isr-expanded"
  | "broker-registered"
  | "broker-fenced"
  | "broker-unfenced"
  | "controller-changed";

export interface ClusterEvent {
  /** `<broker>-<sequence>`: unique within one broker process's journal, increasing. */
  id: string;
  /** Milliseconds since the epoch. */
  time: number;
  /** Node id of the broker that recorded it. */
  broker: number;
  kind: ClusterEventKind;
  /**
   * Why, in words a learner reads: "session timeout (10000 ms without a heartbeat)", "member
   * joined: console-1", "broker 2 fenced", "LeaveGroup: consumer poll timeout has expired".
   */
  cause: string;
  /**
   * Several brokers see the same cluster fact (each applies the same metadata record): they give it
   * the same key, so a reader of several streams shows it once. Group events have none.
   */
  dedupKey?: string;
  group?: string;
  /** "classic" or "consumer" (KIP-848). */
  protocol?: string;
  memberId?: string;
  clientId?: string;
  instanceId?: string;
  /** Classic: the generation; KIP-848: the group epoch (rebalance) or member epoch (assignment). */
  generation?: number;
  /** Partitions per topic: a member's assignment, or what was assigned/revoked. */
  assignment?: Record<string, number[]>;
  /** rebalance-completed: every member and what it owns from then on. */
  members?: Array<{ memberId: string; clientId: string; instanceId?: string; assignment: Record<string, number[]> }>;
  topic?: string;
  partition?: number;
  leader?: number;
  leaderEpoch?: number;
  isr?: number[];
  /** The broker a broker-* or controller-changed event is about. */
  subjectBroker?: number;
}

export type ClusterEventInput = Omit<ClusterEvent, "id" | "time" | "broker"> & { time?: number };

export interface EventJournalOptions {
  broker: number;
  /** How many events are kept (default 5000). */
  capacity?: number;
  /** Events older than this are dropped from the history (default 15 minutes). */
  maxAgeMs?: number;
  now?: () => number;
}

export class EventJournal {
  private readonly events: ClusterEvent[] = [];
  private readonly subscribers = new Set<(event: ClusterEvent) => void>();
  private sequence = 0;
  private readonly capacity: number;
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor(private readonly options: EventJournalOptions) {
    this.capacity = options.capacity ?? 5000;
    this.maxAgeMs = options.maxAgeMs ?? 15 * 60_000;
    this.now = options.now ?? Date.now;
  }

  record(input: ClusterEventInput): ClusterEvent {
    const event: ClusterEvent = {
      ...input,
      id: `${this.options.broker}-${++this.sequence}`,
      time: input.time ?? this.now(),
      broker: this.options.broker,
    };
    this.events.push(event);
    this.trim();
    for (const subscriber of this.subscribers) {
      try {
        subscriber(event);
      } catch {
        this.subscribers.delete(subscriber);
      }
    }
    return event;
  }

  /** The kept history, oldest first; `afterId` (an id of this journal) leaves out what came before it. */
  history(afterId?: string): ClusterEvent[] {
    this.trim();
    if (afterId === undefined) return [...this.events];
    const after = Number(afterId.slice(afterId.lastIndexOf("-") + 1));
    return Number.isFinite(after) ? this.events.filter((e) => sequenceOf(e) > after) : [...this.events];
  }

  /** Calls `listener` with every event recorded from now on; returns the unsubscribe. */
  subscribe(listener: (event: ClusterEvent) => void): () => void {
    this.subscribers.add(listener);
    return () => this.subscribers.delete(listener);
  }

  private trim(): void {
    const oldest = this.now() - this.maxAgeMs;
    let drop = Math.max(0, this.events.length - this.capacity);
    while (drop < this.events.length && this.events[drop]!.time < oldest) drop++;
    if (drop > 0) this.events.splice(0, drop);
  }
}

function sequenceOf(event: ClusterEvent): number {
  return Number(event.id.slice(event.id.lastIndexOf("-") + 1));
}
