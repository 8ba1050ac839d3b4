// Use case: fold the ledger's outcome events into running totals (per store, per store and hour,
// per user, and global counters), counting each eventId exactly once. A batch is summed in memory
// first, so writing it costs a fixed number of statements however many events it holds.
import type { AnalyticsCounterName } from "../shared/analytics-counters.ts";
import { firstOfEachEventId } from "../shared/outcome-events.ts";
import type { PointsEvent } from "../shared/topics.ts";

export interface StoreTotalsDelta {
  storeId: string;
  chargedPoints: number;
  deductedPoints: number;
  chargeCount: number;
  deductCount: number;
  rejectedCount: number;
}

export interface HourlyDelta {
  storeId: string;
  /** UTC start of the hour the ledger applied (or rejected) the command. */
  hour: Date;
  chargedPoints: number;
  deductedPoints: number;
  eventCount: number;
}

export interface UserTotalsDelta {
  userId: string;
  chargedPoints: number;
  deductedPoints: number;
  eventCount: number;
}

export interface OutcomeAggregates {
  stores: StoreTotalsDelta[];
  hourly: HourlyDelta[];
  users: UserTotalsDelta[];
  counters: Record<AnalyticsCounterName, number>;
}

export interface AnalyticsBatchWriter {
  /** Records the eventIds as counted; returns the ones that were not counted before. */
  claimEventIds(eventIds: string[]): Promise<Set<string>>;
  addAggregates(aggregates: OutcomeAggregates): Promise<void>;
}

export interface AnalyticsRepository {
  /** Runs `work` in one transaction: its claims and additions commit together or not at all. */
  inTransaction<T>(work: (writer: AnalyticsBatchWriter) => Promise<T>): Promise<T>;
}

export function hourOf(isoTime: string): Date {
  const hour = new Date(isoTime);
  hour.setUTCMinutes(0, 0, 0);
  return hour;
}

function entryOf<T>(map: Map<string, T>, key: string, create: () => T): T {
  let entry = map.get(key);
  if (entry === undefined) map.set(key, (entry = create()));
  return entry;
}

/** Sums the events into per-key deltas; every event counts, so pass each eventId once. */
export function aggregateOutcomes(events: PointsEvent[]): OutcomeAggregates {
  const stores = new Map<string, StoreTotalsDelta>();
  const hourly = new Map<string, HourlyDelta>();
  const users = new Map<string, UserTotalsDelta>();
  const counters: Record<AnalyticsCounterName, number> = {
    charges: 0,
    deductions: 0,
    rejections: 0,
    chargedPoints: 0,
    deductedPoints: 0,
  };

  for (const event of events) {
    const store = entryOf(stores, event.storeId, () => ({
      storeId: event.storeId,
      chargedPoints: 0,
      deductedPoints: 0,
      chargeCount: 0,
      deductCount: 0,
      rejectedCount: 0,
    }));
    const hour = hourOf(event.appliedAt);
    const bucket = entryOf(hourly, `${event.storeId}\u0000${hour.toISOString()}`, () => ({
      storeId: event.storeId,
      hour,
      chargedPoints: 0,
      deductedPoints: 0,
      eventCount: 0,
    }));
    const user = entryOf(users, event.userId, () => ({
      userId: event.userId,
      chargedPoints: 0,
      deductedPoints: 0,
      eventCount: 0,
    }));
    bucket.eventCount += 1;
    user.eventCount += 1;

    if (event.status === "rejected") {
      store.rejectedCount += 1;
      counters.rejections += 1;
    } else if (event.type === "charge") {
      store.chargedPoints += event.amount;
      store.chargeCount += 1;
      bucket.chargedPoints += event.amount;
      user.chargedPoints += event.amount;
      counters.charges += 1;
      counters.chargedPoints += event.amount;
    } else {
      store.deductedPoints += event.amount;
      store.deductCount += 1;
      bucket.deductedPoints += event.amount;
      user.deductedPoints += event.amount;
      counters.deductions += 1;
      counters.deductedPoints += event.amount;
    }
  }
  return { stores: [...stores.values()], hourly: [...hourly.values()], users: [...users.values()], counters };
}

export interface CountResult {
  /** Events added to the totals by this batch. */
  counted: number;
  /** Events of the batch that were counted before (redelivered, re-emitted or repeated in it). */
  skipped: number;
}

/** Counts one batch: claims its eventIds and adds the new events' sums in one transaction. */
export async function countOutcomes(events: PointsEvent[], repository: AnalyticsRepository): Promise<CountResult> {
  const unique = firstOfEachEventId(events);
  if (unique.length === 0) return { counted: 0, skipped: events.length };
  return repository.inTransaction(async (writer) => {
    const claimed = await writer.claimEventIds(unique.map((event) => event.eventId));
    const fresh = unique.filter((event) => claimed.has(event.eventId));
    if (fresh.length > 0) await writer.addAggregates(aggregateOutcomes(fresh));
    return { counted: fresh.length, skipped: events.length - fresh.length };
  });
}
