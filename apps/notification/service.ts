// The notification service: consumer group "notification" on points.events, one notification per
// outcome event (applied or rejected), written once however often the event is delivered.
import Database from "better-sqlite3";
import type { ConsumerServiceDefinition } from "../shared/consumer-service.ts";
import { databaseFilePath } from "../shared/db/client.ts";
import { readOutcomeEvents } from "../shared/outcome-events.ts";
import { EVENTS_TOPIC } from "../shared/topics.ts";
import { type NotificationRepository, notifyOutcomes } from "./notify-outcomes.ts";
import { createNotificationRepository } from "./repository.ts";

/** The service's own connection (repository.ts says why), open from setup to teardown. */
let opened: { sqlite: Database.Database; repository: NotificationRepository } | undefined;

export const definition: ConsumerServiceDefinition = {
  name: "notification",
  groupId: "notification",
  topic: EVENTS_TOPIC,
  async setup({ config }) {
    // Several services share the file (each writing only its own tables): wait for the write lock
    // instead of failing with SQLITE_BUSY, as their Prisma clients do.
    const sqlite = new Database(databaseFilePath(config.databaseUrl), { timeout: 15_000 });
    opened = { sqlite, repository: createNotificationRepository(sqlite) };
  },
  async handleBatches(batches, { log }) {
    if (opened === undefined) throw new Error("notification: handleBatches before setup");
    const events = batches.flatMap((batch) => readOutcomeEvents(batch, log));
    const created = await notifyOutcomes(events, opened.repository);
    for (const notification of created) log.info(`${notification.userId}: ${notification.message}`);
  },
  async teardown() {
    opened?.sqlite.close();
    opened = undefined;
  },
};
