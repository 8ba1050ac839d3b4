// Read-only view of the ledger's LedgerEntry table (the ledger service owns and writes it).
import type { Db, LedgerEntryModel as LedgerEntry } from "../../shared/db/client.ts";
import type { CommandType, OutcomeStatus } from "../../shared/topics.ts";

export interface LedgerEntryRecord {
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

function toRecord(entry: LedgerEntry): LedgerEntryRecord {
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
    async findByCommandId(commandId: string): Promise<LedgerEntryRecord | null> {
      const entry = await db.ledgerEntry.findUnique({ where: { commandId } });
      return entry ? toRecord(entry) : null;
    },

    /** The user's latest `limit` entries, in applied order (oldest first). */
    async latestOfUser(userId: string, limit: number): Promise<LedgerEntryRecord[]> {
      const entries = await db.ledgerEntry.findMany({ where: { userId }, orderBy: { id: "desc" }, take: limit });
      return entries.reverse().map(toRecord);
    },

    /** The latest `limit` entries of all users, newest first. */
    async latest(limit: number): Promise<LedgerEntryRecord[]> {
      const entries = await db.ledgerEntry.findMany({ orderBy: { id: "desc" }, take: limit });
      return entries.map(toRecord);
    },
  };
}

export type LedgerRepository = ReturnType<typeof createLedgerRepository>;
