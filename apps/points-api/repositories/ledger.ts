// Read-only view of the ledger's LedgerEntry table (the ledger service owns and writes it).
// Its rows come out as views, as the API serves them (times and offsets as strings, no null
// fields); the ledger's own LedgerEntryRecord (apps/ledger/plan-batch.ts) is the row it writes.
import type { Db, LedgerEntryModel as LedgerEntry } from "../../shared/db/client.ts";
import type { CommandType, OutcomeStatus } from "../../shared/topics.ts";

/** A ledger entry as the API serves it. */
export interface LedgerEntryView {
  commandId: string;
  userId: string;
  type: CommandType;
  amount: number;
  status: OutcomeStatus;
  balanceAfter: number;
  reason?: string;
  storeId: string;
  terminalId: string;
  orderId?: string;
  partition: number;
  offset: string;
  issuedAt: string;
  appliedAt: string;
}

function toView(entry: LedgerEntry): LedgerEntryView {
  return {
    commandId: entry.commandId,
    userId: entry.userId,
    type: entry.type as CommandType,
    amount: entry.amount,
    status: entry.status as OutcomeStatus,
    balanceAfter: entry.balanceAfter,
    ...(entry.reason === null ? {} : { reason: entry.reason }),
    storeId: entry.storeId,
    terminalId: entry.terminalId,
    ...(entry.orderId === null ? {} : { orderId: entry.orderId }),
    partition: entry.partition,
    offset: entry.offset.toString(),
    issuedAt: entry.issuedAt.toISOString(),
    appliedAt: entry.appliedAt.toISOString(),
  };
}

export function createLedgerRepository(db: Db) {
  return {
    async findByCommandId(commandId: string): Promise<LedgerEntryView | null> {
      const entry = await db.ledgerEntry.findUnique({ where: { commandId } });
      return entry ? toView(entry) : null;
    },

    /** The user's latest `limit` entries, in applied order (oldest first). */
    async latestOfUser(userId: string, limit: number): Promise<LedgerEntryView[]> {
      const entries = await db.ledgerEntry.findMany({ where: { userId }, orderBy: { id: "desc" }, take: limit });
      return entries.reverse().map(toView);
    },

    /** The latest `limit` entries of all users, newest first. */
    async latest(limit: number): Promise<LedgerEntryView[]> {
      const entries = await db.ledgerEntry.findMany({ orderBy: { id: "desc" }, take: limit });
      return entries.map(toView);
    },
  };
}

export type LedgerRepository = ReturnType<typeof createLedgerRepository>;
