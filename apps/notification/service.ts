// The notification service: consumer group "notification" on points.events, one notification per
// outcome event (applied or rejected), written once however often the event is delivered.
import type { ConsumerServiceDefinition } from "../shared/consumer-service.ts";
import { readOutcomeEvents } from "../shared/outcome-events.ts";
import { EVENTS_TOPIC } from "../shared/topics.ts";
import { notifyOutcomes } from "./notify-outcomes.ts";
import { createNotificationRepository } from "./repository.ts";

export const definition: ConsumerServiceDefinition = {
  name: "notification",
  groupId: "notification",
  topic: EVENTS_TOPIC,
  async handleBatch(batch, { db, log }) {
    const created = await notifyOutcomes(readOutcomeEvents(batch, log), createNotificationRepository(db));
    for (const notification of created) log.info(`${notification.userId}: ${notification.message}`);
  },
};
