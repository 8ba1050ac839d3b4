// Read-only view of the notification service's Notification table.
import type { Db } from "../../shared/db/client.ts";

/** A notification as the API serves it; the notification service writes NewNotification rows. */
export interface NotificationView {
  id: number;
  eventId: string;
  message: string;
  createdAt: string;
}

export function createNotificationsRepository(db: Db) {
  return {
    /** Newest first; rows created in the same millisecond keep their insertion order (id). */
    async latestOfUser(userId: string, limit: number): Promise<NotificationView[]> {
      const rows = await db.notification.findMany({
        where: { userId },
        orderBy: [{ createdAt: "desc" }, { id: "desc" }],
        take: limit,
      });
      return rows.map((n) => ({
        id: n.id,
        eventId: n.eventId,
        message: n.message,
        createdAt: n.createdAt.toISOString(),
      }));
    },
  };
}

export type NotificationsRepository = ReturnType<typeof createNotificationsRepository>;
