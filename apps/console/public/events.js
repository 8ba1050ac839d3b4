// The console's one subscription to /api/events (Server-Sent Events: the kept history first, then
// live). Ownership: this module owns the events received so far, oldest first, without duplicates
// (a reconnect replays the history), and tells its listeners once per burst of new events.

import { clock, esc } from "./api.js";

const MAX_EVENTS = 5000;
const events = [];
const seen = new Set();
const listeners = new Set();
let connected = false;
let notifyScheduled = false;

/** A broker's event ids restart with the broker process, so the time and kind go into the identity. */
const identity = (event) => `${event.id}|${event.time}|${event.kind}`;

function add(event) {
  const key = identity(event);
  if (seen.has(key)) return;
  seen.add(key);
  // The merged stream is nearly in time order; keep it exactly so for the timeline.
  let at = events.length;
  while (at > 0 && events[at - 1].time > event.time) at--;
  events.splice(at, 0, event);
  if (events.length > MAX_EVENTS) seen.delete(identity(events.shift()));
  if (!notifyScheduled) {
    notifyScheduled = true;
    queueMicrotask(() => {
      notifyScheduled = false;
      for (const listener of listeners) listener(events);
    });
  }
}

export function connectEvents(onState) {
  const source = new EventSource("/api/events");
  source.addEventListener("cluster", (message) => {
    try {
      add(JSON.parse(message.data));
    } catch {
      // a line that is not JSON is not an event
    }
  });
  source.addEventListener("open", () => {
    connected = true;
    onState(true);
  });
  source.addEventListener("error", () => {
    connected = false;
    onState(false);
  });
}

export const allEvents = () => events;
export const eventsConnected = () => connected;

/** Calls `listener(events)` after new events arrive (batched); returns the unsubscribe. */
export function onEvents(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

const GROUP_KINDS = new Set([
  "member-joined",
  "member-left",
  "member-removed",
  "static-member-rejoined",
  "rebalance-started",
  "rebalance-completed",
  "partitions-assigned",
  "partitions-revoked",
]);
export const isGroupEvent = (event) => GROUP_KINDS.has(event.kind);
/** About a partition of __consumer_offsets (or another internal topic): many, and rarely what one looks for. */
export const isInternalTopicEvent = (event) => typeof event.topic === "string" && event.topic.startsWith("__");

/** What an event is about, in a few words: "ledger · ledger-1 (…a1b2c3)", "points.commands-3", "broker 2". */
export function subjectOf(event) {
  if (event.group) {
    const who = event.clientId ?? event.instanceId ?? "";
    const id = event.memberId ? `…${String(event.memberId).slice(-6)}` : "";
    return [event.group, [who, id].filter(Boolean).join(" ")].filter(Boolean).join(" · ");
  }
  if (event.topic !== undefined) return `${event.topic}-${event.partition ?? ""}`;
  if (event.subjectBroker !== undefined) return `broker ${event.subjectBroker}`;
  return "";
}

/** One event as a list item (time, kind, what it is about, cause), with data-kind/group/member for filters and tests. */
export function eventItem(event) {
  return `<li data-kind="${esc(event.kind)}" data-group="${esc(event.group ?? "")}" data-member="${esc(event.memberId ?? "")}">
    <time class="mono">${esc(clock(event.time))}</time>
    <span class="kind kind-${esc(event.kind)}">${esc(event.kind)}</span>
    <span class="subject">${esc(subjectOf(event))}</span>
    <span class="cause">${esc(event.cause)}</span>
  </li>`;
}
