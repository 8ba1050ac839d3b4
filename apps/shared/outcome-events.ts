// Reading the ledger's outcome events off points.events, for every consumer service of them, and
// counting each eventId once (the ledger re-emits an outcome after a crash).
import type { BatchOf } from "./consumer-service.ts";
import type { AppLog } from "./log.ts";
import { type PointsEvent, pointsEventSchema } from "./topics.ts";

/** The outcome event in a message value, or undefined when it is none (or its appliedAt is no time). */
export function readOutcomeEvent(value: Buffer | null): PointsEvent | undefined {
  let parsed: ReturnType<typeof pointsEventSchema.safeParse>;
  try {
    parsed = pointsEventSchema.safeParse(JSON.parse(value?.toString() ?? ""));
  } catch {
    return undefined;
  }
  return parsed.success && !Number.isNaN(Date.parse(parsed.data.appliedAt)) ? parsed.data : undefined;
}

/**
 * The batch's outcome events, in offset order. A value that is not one is logged and skipped: it
 * can never become readable, and failing the batch would stop the partition for good.
 */
export function readOutcomeEvents(batch: BatchOf, log: AppLog): PointsEvent[] {
  const events: PointsEvent[] = [];
  for (const message of batch.messages) {
    const event = readOutcomeEvent(message.value);
    if (event) events.push(event);
    else log.error(`skipping unreadable event at ${batch.topic}/${batch.partition} offset ${message.offset}`);
  }
  return events;
}

/** The first event of each eventId, in order: a re-emitted outcome may sit in the same batch. */
export function firstOfEachEventId(events: PointsEvent[]): PointsEvent[] {
  const seen = new Set<string>();
  return events.filter((event) => !seen.has(event.eventId) && seen.add(event.eventId));
}
