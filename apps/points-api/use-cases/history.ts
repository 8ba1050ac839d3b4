// What happened to a user's points (ledger entries, notifications) and across all users.
import { AppError } from "../../shared/errors.ts";
import type { LedgerEntryView, LedgerRepository } from "../repositories/ledger.ts";
import type { NotificationsRepository, NotificationView } from "../repositories/notifications.ts";
import type { UsersRepository } from "../repositories/users.ts";

export type UserLedgerEntryView = Omit<LedgerEntryView, "userId">;

export function createHistoryUseCases({
  users,
  ledger,
  notifications,
}: {
  users: UsersRepository;
  ledger: LedgerRepository;
  notifications: NotificationsRepository;
}) {
  async function requireUser(userId: string): Promise<void> {
    if (!(await users.exists(userId))) throw AppError.notFound(`user ${userId} not found`);
  }

  return {
    /** The user's latest `limit` entries, in the order the ledger applied them. */
    async ledgerOf(userId: string, limit: number): Promise<{ entries: UserLedgerEntryView[] }> {
      await requireUser(userId);
      const entries = await ledger.latestOfUser(userId, limit);
      return { entries: entries.map(({ userId: _userId, ...entry }) => entry) };
    },

    async notificationsOf(userId: string, limit: number): Promise<{ notifications: NotificationView[] }> {
      await requireUser(userId);
      return { notifications: await notifications.latestOfUser(userId, limit) };
    },

    /** Newest first. */
    async recentEntries(limit: number): Promise<{ entries: LedgerEntryView[] }> {
      return { entries: await ledger.latest(limit) };
    },
  };
}

export type HistoryUseCases = ReturnType<typeof createHistoryUseCases>;
