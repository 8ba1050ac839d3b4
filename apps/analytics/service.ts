// The analytics service: consumer group "analytics" on points.events, keeping the running totals
// points-api reports (per store, per store and hour, per user, global counters), each event
// counted once however often it is delivered.
import type { BatchOf, ConsumerServiceDefinition } from "../shared/consumer-service.ts";
import type { AppLog } from "../shared/log.ts";
import { EVENTS_TOPIC, pointsEventSchema, type PointsEvent } from "../shared/topics.ts";
import { countOutcomes } from "./count-outcomes.ts";
import { createAnalyticsRepository } from "./repository.ts";

/**
 * The batch's outcome events. A value that is not one (or whose appliedAt is no time, so it has no
 * hour bucket) is logged and skipped: it can never become countable, and failing the batch would
 * stop the partition for good.
 */
export function readOutcomeEvents(batch: BatchOf, log: AppLog): PointsEvent[] {
  const events: PointsEvent[] = [];
  for (const message of batch.messages) {
    let parsed: ReturnType<typeof pointsEventSchema.safeParse> | undefined;
    try {
      parsed = pointsEventSchema.safeParse(JSON.parse(message.value?.toString() ?? ""));
    } catch {
      parsed = undefined;
    }
    if (parsed?.success && !Number.isNaN(Date.parse(parsed.data.appliedAt))) events.push(parsed.data);
    else log.error(`skipping unreadable event at ${batch.topic}/${batch.partition} offset ${message.offset}`);
  }
  return events;
}

export const definition: ConsumerServiceDefinition = {
  name: "analytics",
  groupId: "analytics",
  topic: EVENTS_TOPIC,
  async handleBatch(batch, { db, log }) {
    const { counted, skipped } = await countOutcomes(readOutcomeEvents(batch, log), createAnalyticsRepository(db));
    const first = batch.messages[0]!.offset;
    const last = batch.messages[batch.messages.length - 1]!.offset;
    log.info(`partition ${batch.partition} offsets ${first}-${last}: counted ${counted} events${skipped > 0 ? `, skipped ${skipped} already counted` : ""}`);
  },
};
