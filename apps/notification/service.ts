// The notification service: consumer group "notification" on points.events, one notification per
// outcome event (applied or rejected), written once however often the event is delivered.
import Database from "better-sqlite3";
import type { ConsumerServiceDefinition } from "../shared/consumer-service.ts";
import { databaseFilePath } from "../shared/db/client.ts";
import { ownerDatabaseUrl } from "../shared/db/service-databases.ts";
import { readOutcomeEvents } from "../shared/outcome-events.ts";
import { EVENTS_TOPIC } from "../shared/topics.ts";
import { type NotificationRepository, notifyOutcomes } from "./notify-outcomes.ts";
import { createNotificationRepository } from "./repository.ts";

/** The service's own connections (repository.ts says why), open from setup to teardown. */
let opened: { sqlite: Database.Database; stores: Database.Database; repository: NotificationRepository } | undefined;

export const definition: ConsumerServiceDefinition = {
  name: "notification",
  groupId: "notification",
  topic: EVENTS_TOPIC,
  async setup({ config }) {
    // Its own file (service-databases.ts), which points-api reads: wait a moment for a lock instead
    // of failing with SQLITE_BUSY. Store names come from points-api's file (only read here).
    const sqlite = new Database(databaseFilePath(ownerDatabaseUrl(config.databaseUrl, "notification")), {
      timeout: 15_000,
    });
    const stores = new Database(databaseFilePath(ownerDatabaseUrl(config.databaseUrl, "points-api")), {
      timeout: 15_000,
    });
    opened = { sqlite, stores, repository: createNotificationRepository(sqlite, { stores }) };
  },
  async handleBatches(batches, { log }) {
    if (opened === undefined) throw new Error("notification: handleBatches before setup");
    const events = batches.flatMap((batch) => readOutcomeEvents(batch, log));
    const created = await notifyOutcomes(events, opened.repository);
    for (const notification of created) log.info(`${notification.userId}: ${notification.message}`);
  },
  async teardown() {
    opened?.sqlite.close();
    opened?.stores.close();
    opened = undefined;
  },
};
