// The analytics service: consumer group "analytics" on points.events, keeping the running totals
// points-api reports (per store, per store and hour, per user, global counters), each event
// counted once however often it is delivered.
import Database from "better-sqlite3";
import type { ConsumerServiceDefinition } from "../shared/consumer-service.ts";
import { databaseFilePath } from "../shared/db/client.ts";
import { ownerDatabaseUrl } from "../shared/db/service-databases.ts";
import { readOutcomeEvents } from "../shared/outcome-events.ts";
import { EVENTS_TOPIC } from "../shared/topics.ts";
import { type AnalyticsRepository, countOutcomes } from "./count-outcomes.ts";
import { createAnalyticsRepository } from "./repository.ts";

/** The writes' own connection (repository.ts says why), open from setup to teardown. */
let opened: { sqlite: Database.Database; repository: AnalyticsRepository } | undefined;

export const definition: ConsumerServiceDefinition = {
  name: "analytics",
  groupId: "analytics",
  topic: EVENTS_TOPIC,
  async setup({ config }) {
    // Its own file (service-databases.ts), which points-api reads: wait a moment for a lock instead
    // of failing with SQLITE_BUSY.
    const sqlite = new Database(databaseFilePath(ownerDatabaseUrl(config.databaseUrl, "analytics")), {
      timeout: 15_000,
    });
    opened = { sqlite, repository: createAnalyticsRepository(sqlite) };
  },
  async handleBatches(batches, { log }) {
    if (opened === undefined) throw new Error("analytics: handleBatches before setup");
    const events = batches.flatMap((batch) => readOutcomeEvents(batch, log));
    const { counted, skipped } = await countOutcomes(events, opened.repository);
    const ranges = batches.map(
      ({ partition, messages }) => `partition ${partition} offsets ${messages[0]!.offset}-${messages.at(-1)!.offset}`,
    );
    log.info(
      `${ranges.join(", ")}: counted ${counted} events${skipped > 0 ? `, skipped ${skipped} already counted` : ""}`,
    );
  },
  async teardown() {
    opened?.sqlite.close();
    opened = undefined;
  },
};
