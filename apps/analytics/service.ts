// The analytics service: consumer group "analytics" on points.events, keeping the running totals
// points-api reports (per store, per store and hour, per user, global counters), each event
// counted once however often it is delivered.
import type { ConsumerServiceDefinition } from "../shared/consumer-service.ts";
import { readOutcomeEvents } from "../shared/outcome-events.ts";
import { EVENTS_TOPIC } from "../shared/topics.ts";
import { countOutcomes } from "./count-outcomes.ts";
import { createAnalyticsRepository } from "./repository.ts";

export const definition: ConsumerServiceDefinition = {
  name: "analytics",
  groupId: "analytics",
  topic: EVENTS_TOPIC,
  async handleBatch(batch, { db, log }) {
    const { counted, skipped } = await countOutcomes(readOutcomeEvents(batch, log), createAnalyticsRepository(db));
    const first = batch.messages[0]!.offset;
    const last = batch.messages[batch.messages.length - 1]!.offset;
    log.info(
      `partition ${batch.partition} offsets ${first}-${last}: counted ${counted} events${skipped > 0 ? `, skipped ${skipped} already counted` : ""}`,
    );
  },
};
