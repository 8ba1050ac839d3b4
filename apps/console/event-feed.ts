// The console's event feed: every broker's /v1/events stream merged into one. Each broker's stream
// is read for as long as the console runs, reconnecting after a drop with Last-Event-ID (unless
// the broker restarted meanwhile: its new journal numbers from 1 again); a cluster fact several
// brokers report (same dedupKey) is kept once, and so is an event read twice across a reconnect.
// The console adds its own "fault" events. A bounded history, oldest first, lets a page opened late
// see the last few minutes; subscribers get each event as it is accepted, with the feed's own
// sequence number (the SSE id a reconnecting page sends back).
//
// Ownership: the EventFeed owns its history, its seen-keys window, its subscribers and one reading
// loop per broker.
import type { ClusterEvent, ClusterEventKind } from "../../broker/server/admin/cluster-events.ts";
import { type ConsoleBroker, getJson } from "./admin-poller.ts";
import { readSse } from "./sse-reader.ts";

/** A broker's event, or one of the console's own ("fault": something the console did on purpose). */
export type FeedEvent = Omit<ClusterEvent, "kind"> & { kind: ClusterEventKind | "fault" };

export interface SequencedEvent {
  seq: number;
  event: FeedEvent;
}

export interface EventFeedOptions {
  /** How many events are kept (default 5000). */
  capacity?: number;
  /** Events older than this are dropped (default 15 minutes). */
  maxAgeMs?: number;
  /** Wait before reconnecting to a broker (default 1000 ms). */
  retryMs?: number;
  now?: () => number;
}

/** The console's own events carry this as their broker. */
export const CONSOLE_BROKER = -1;
const SEEN_KEYS = 20_000;

export class EventFeed {
  private readonly events: SequencedEvent[] = [];
  private readonly seen = new Set<string>();
  private readonly subscribers = new Set<(entry: SequencedEvent) => void>();
  private readonly aborts = new Set<AbortController>();
  private sequence = 0;
  private ownSequence = 0;
  private running = false;
  private readonly capacity: number;
  private readonly maxAgeMs: number;
  private readonly retryMs: number;
  private readonly now: () => number;

  constructor(
    private readonly brokers: readonly ConsoleBroker[],
    options: EventFeedOptions = {},
  ) {
    this.capacity = options.capacity ?? 5000;
    this.maxAgeMs = options.maxAgeMs ?? 15 * 60_000;
    this.retryMs = options.retryMs ?? 1000;
    this.now = options.now ?? Date.now;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    for (const broker of this.brokers) if (broker.admin !== null) void this.follow(broker.admin);
  }

  stop(): void {
    this.running = false;
    for (const abort of this.aborts) abort.abort();
    this.aborts.clear();
    this.subscribers.clear();
  }

  /** Records one of the console's own events ("kill -9 broker 1 from the console"). */
  record(kind: FeedEvent["kind"], cause: string, fields: Partial<FeedEvent> = {}): FeedEvent {
    const event: FeedEvent = {
      ...fields,
      id: `console-${++this.ownSequence}`,
      time: this.now(),
      broker: CONSOLE_BROKER,
      kind,
      cause,
    };
    this.accept(event);
    return event;
  }

  /** The kept history, oldest first; `afterSeq` leaves out what a reconnecting reader has had. */
  history(afterSeq = 0): SequencedEvent[] {
    this.trim();
    return this.events.filter((e) => e.seq > afterSeq);
  }

  subscribe(listener: (entry: SequencedEvent) => void): () => void {
    this.subscribers.add(listener);
    return () => this.subscribers.delete(listener);
  }

  /** Keeps `event` unless it was had already; tells the subscribers. */
  accept(event: FeedEvent): boolean {
    const key = event.dedupKey ?? `${event.broker}/${event.id}@${event.time}`;
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    if (this.seen.size > SEEN_KEYS) this.seen.delete(this.seen.values().next().value!);
    const entry = { seq: ++this.sequence, event };
    // Histories read from several brokers at once arrive interleaved: keep them in time order.
    let at = this.events.length;
    while (at > 0 && this.events[at - 1]!.event.time > event.time) at--;
    this.events.splice(at, 0, entry);
    this.trim();
    for (const subscriber of this.subscribers) {
      try {
        subscriber(entry);
      } catch {
        this.subscribers.delete(subscriber);
      }
    }
    return true;
  }

  private trim(): void {
    const oldest = this.now() - this.maxAgeMs;
    let drop = Math.max(0, this.events.length - this.capacity);
    while (drop < this.events.length && this.events[drop]!.event.time < oldest) drop++;
    if (drop > 0) this.events.splice(0, drop);
  }

  /** Reads one broker's stream until the feed stops, reconnecting after every drop. */
  private async follow(admin: string): Promise<void> {
    let lastId: string | undefined;
    let incarnation: number | undefined;
    while (this.running) {
      const abort = new AbortController();
      this.aborts.add(abort);
      try {
        const info = await getJson<{ startedAt: number }>(`${admin}/v1/broker`, 2_000);
        if (info === null) throw new Error("admin listener not answering");
        if (info.startedAt !== incarnation) lastId = undefined;
        incarnation = info.startedAt;
        const response = await fetch(`${admin}/v1/events`, {
          headers: { accept: "text/event-stream", ...(lastId === undefined ? {} : { "last-event-id": lastId }) },
          signal: abort.signal,
        });
        if (!response.ok || response.body === null) throw new Error(`/v1/events answered ${response.status}`);
        await readSse(response.body, (message) => {
          if (message.id !== undefined) lastId = message.id;
          try {
            const event = JSON.parse(message.data) as ClusterEvent;
            if (typeof event.kind === "string" && typeof event.time === "number") this.accept(event);
          } catch {
            // Not an event of ours: skip it.
          }
        });
      } catch {
        // Down, paused or restarting: try again shortly.
      } finally {
        this.aborts.delete(abort);
      }
      if (this.running) await new Promise((resolve) => setTimeout(resolve, this.retryMs));
    }
  }
}
