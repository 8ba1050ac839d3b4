// The notification service: consumer group "notification" on points.events, one notification per
// outcome event (applied or rejected), written once however often the event is delivered.
import type { BatchOf, ConsumerServiceDefinition } from "../shared/consumer-service.ts";
import type { AppLog } from "../shared/log.ts";
import { EVENTS_TOPIC, pointsEventSchema, type PointsEvent } from "../shared/topics.ts";
import { notifyOutcomes } from "./notify-outcomes.ts";
import { createNotificationRepository } from "./repository.ts";

/**
 * The batch's outcome events. A value that is not one is logged and skipped: it can never become
 * readable, and failing the batch would stop the partition for good.
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
    if (parsed?.success) events.push(parsed.data);
    else log.error(`skipping unreadable event at ${batch.topic}/${batch.partition} offset ${message.offset}`);
  }
  return events;
}

export const definition: ConsumerServiceDefinition = {
  name: "notification",
  groupId: "notification",
  topic: EVENTS_TOPIC,
  async handleBatch(batch, { db, log }) {
    const created = await notifyOutcomes(readOutcomeEvents(batch, log), createNotificationRepository(db));
    for (const notification of created) log.info(`${notification.userId}: ${notification.message}`);
  },
};
