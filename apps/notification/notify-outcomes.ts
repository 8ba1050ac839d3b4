// Use case: turn the ledger's outcome events into one notification per event for the user. The
// texts are what the points-api shows a customer, so they name the store, not its id, when known.
import { firstOfEachEventId } from "../shared/outcome-events.ts";
import type { PointsEvent } from "../shared/topics.ts";

export interface NewNotification {
  eventId: string;
  userId: string;
  message: string;
}

export interface NotificationRepository {
  /** Names of the given stores that exist; a missing one is simply absent. */
  storeNames(storeIds: string[]): Promise<Map<string, string>>;
  /** Stores the notifications whose eventId has none yet, in one transaction; returns those. */
  saveNew(notifications: NewNotification[]): Promise<NewNotification[]>;
}

export function notificationMessage(event: PointsEvent, storeName: string = event.storeId): string {
  if (event.status === "rejected") {
    const what = event.type === "charge" ? "charge" : "deduction";
    return `${what} of ${event.amount} rejected: balance ${event.balanceAfter}`;
  }
  return event.type === "charge"
    ? `${event.amount} points earned at ${storeName}`
    : `${event.amount} points redeemed at ${storeName}`;
}

/** Builds and stores the notifications of one batch; returns the ones that are new. */
export async function notifyOutcomes(
  events: PointsEvent[],
  repository: NotificationRepository,
): Promise<NewNotification[]> {
  const unique = firstOfEachEventId(events);
  if (unique.length === 0) return [];
  const names = await repository.storeNames([...new Set(unique.map((event) => event.storeId))]);
  return repository.saveNew(
    unique.map((event) => ({
      eventId: event.eventId,
      userId: event.userId,
      message: notificationMessage(event, names.get(event.storeId)),
    })),
  );
}
