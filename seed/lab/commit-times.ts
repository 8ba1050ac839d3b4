// When the ledger committed each command, as seen from outside: the ledger sends a command's
// outcome event to points.events right after the transaction that applied it commits, and the
// producer stamps the record when it is sent. A record's timestamp is therefore the commit plus
// at most the wait for the previous group's events — a slight overestimate, never an
// underestimate. (A LedgerEntry's appliedAt is stamped before its transaction, so it cannot say.)

import { EVENTS_TOPIC } from "../../apps/shared/topics.ts";
import { createKafka } from "../../broker/client/factory.ts";
import { logLevel } from "../../broker/client/index.ts";

/**
 * The first outcome event's timestamp (ms) of each of `commandIds`, read from points.events from
 * the beginning; gives up on the missing ones once no new one arrived for `quietMs`.
 */
export async function readCommitTimes(
  brokers: string[],
  commandIds: ReadonlySet<string>,
  { quietMs = 10_000 } = {},
): Promise<Map<string, number>> {
  const kafka = await createKafka({ clientId: "lab-commit-times", brokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({
    groupId: `lab-commit-times-${process.pid}-${Date.now()}`,
    maxBytesPerPartition: 4 << 20,
  });
  const committedAt = new Map<string, number>();
  let lastNew = Date.now();
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [EVENTS_TOPIC], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          if (message.value === null) continue;
          const { eventId } = JSON.parse(message.value.toString("utf8")) as { eventId?: string };
          // A re-emitted event (after a redelivery) says when it was sent again, not when committed.
          if (eventId === undefined || !commandIds.has(eventId) || committedAt.has(eventId)) continue;
          committedAt.set(eventId, Number(message.timestamp));
          lastNew = Date.now();
        }
      },
    });
    while (committedAt.size < commandIds.size && Date.now() - lastNew < quietMs)
      await new Promise((resolve) => setTimeout(resolve, 50));
  } finally {
    await consumer.disconnect();
  }
  return committedAt;
}
