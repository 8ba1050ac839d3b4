// The ledger's transactional mode (LEDGER_TRANSACTIONS=on): after a group's SQLite commit, its
// outcome events and the offsets of the batches it consumed go out in ONE Kafka transaction — the
// events to points.events, the offsets to the ledger's group (sendOffsets) — and commit together.
// Read_committed consumers downstream (notification and analytics: both clients read committed by
// default) never see an event of a batch whose offsets did not commit; a crash before the commit
// aborts both (the coordinator aborts a transaction its producer abandoned once its timeout
// passes), the batch is redelivered, found applied in SQLite (the dedupe stays: the database and
// Kafka are two systems) and its stored outcomes are sent again in a new transaction.
//
// Owner of mutable state: none; the producer is the service's, and group-commit.ts runs one
// emit at a time, so one transaction is open at most.

import { ConfigError } from "../shared/config.ts";
import type { ServiceContext } from "../shared/consumer-service.ts";
import { EVENTS_TOPIC, type PointsEvent } from "../shared/topics.ts";
import { MAX_SEND_BYTES, sendSizedGroups } from "./publish-outcomes.ts";

type Producer = ReturnType<ServiceContext["kafka"]["producer"]>;

/** Where a consumed batch ends: the offset the group resumes from once it is committed. */
export interface ConsumedOffset {
  topic: string;
  partition: number;
  /** The batch's last offset + 1, as Kafka commits. */
  nextOffset: bigint;
}

/** LEDGER_TRANSACTIONS: "on" or "off" (the default: measured in the bench, see the README). */
export function transactionsFrom(env: NodeJS.ProcessEnv): boolean {
  const raw = env.LEDGER_TRANSACTIONS;
  if (raw === undefined || raw === "" || raw === "off") return false;
  if (raw === "on") return true;
  throw new ConfigError(`LEDGER_TRANSACTIONS must be on or off (got "${raw}")`);
}

/**
 * The transactional id: stable across restarts of one member, so a restarted ledger fences its
 * former self (its open transaction is aborted at once, not at its timeout). Static members use
 * their instance id; others their process, as they have no identity that outlives it.
 */
export function ledgerTransactionalId(instanceId: string | undefined, pid: number = process.pid): string {
  return instanceId ? `ledger-${instanceId}` : `ledger-pid-${pid}`;
}

/** The latest offset per partition of `consumed`, as sendOffsets takes them. */
export function offsetsByTopic(
  consumed: readonly ConsumedOffset[],
): { topic: string; partitions: { partition: number; offset: string }[] }[] {
  const latest = new Map<string, Map<number, bigint>>();
  for (const { topic, partition, nextOffset } of consumed) {
    let partitions = latest.get(topic);
    if (!partitions) latest.set(topic, (partitions = new Map()));
    const known = partitions.get(partition);
    if (known === undefined || nextOffset > known) partitions.set(partition, nextOffset);
  }
  return [...latest].map(([topic, partitions]) => ({
    topic,
    partitions: [...partitions].map(([partition, offset]) => ({ partition, offset: String(offset) })),
  }));
}

/**
 * Sends `outcomes` and commits `consumed` for `groupId` in one transaction; aborts it (and
 * rethrows) when any step fails, so the batch is redelivered rather than half published.
 */
export async function publishInTransaction(
  producer: Producer,
  groupId: string,
  outcomes: PointsEvent[],
  consumed: readonly ConsumedOffset[],
  maxBytes = MAX_SEND_BYTES,
): Promise<void> {
  const transaction = await producer.transaction();
  try {
    for (const messages of sendSizedGroups(
      outcomes.map((event) => ({ key: event.userId, value: JSON.stringify(event) })),
      maxBytes,
    )) {
      await transaction.send({ topic: EVENTS_TOPIC, messages });
    }
    if (consumed.length > 0)
      await transaction.sendOffsets({ consumerGroupId: groupId, topics: offsetsByTopic(consumed) });
    await transaction.commit();
  } catch (error) {
    if (transaction.isActive()) await transaction.abort().catch(() => undefined);
    throw error;
  }
}
