// The ledger's rules, without I/O: given one partition's batch of commands (in offset order), the
// balances of the accounts they touch and the entries already stored for their commandIds, decide
// every command's outcome. Holds no state; apply-batch.ts reads the inputs and writes the plan in
// one transaction, so the plan is exactly what the database will say afterwards.
import {
  type CommandType,
  type OutcomeStatus,
  type PointsCommand,
  type PointsEvent,
  rejectionReasons,
} from "../shared/topics.ts";

export interface CommandSource {
  topic: string;
  partition: number;
  offset: bigint;
}

export interface SourcedCommand {
  command: PointsCommand;
  source: CommandSource;
}

/** One processed command, as a LedgerEntry row stores it (without its autoincrement id). */
export interface LedgerEntryRecord {
  commandId: string;
  userId: string;
  type: CommandType;
  amount: number;
  status: OutcomeStatus;
  balanceAfter: number;
  /** Why it was rejected; for an applied command, the reason it carried (e.g. "opening balance"). */
  reason: string | null;
  storeId: string;
  terminalId: string;
  orderId: string | null;
  topic: string;
  partition: number;
  offset: bigint;
  issuedAt: Date;
  appliedAt: Date;
}

/** An account's balance after the batch; written only for users with at least one applied command. */
export interface AccountWrite {
  userId: string;
  balance: number;
  /** Applied commands of this user in the batch: the account's version grows by this much. */
  appliedCount: number;
}

export interface BatchPlan {
  /** Entries to insert: one per command not processed before, in batch order. */
  newEntries: LedgerEntryRecord[];
  accountWrites: AccountWrite[];
  /** One outcome event per distinct commandId of the batch, in batch order (re-emitted ones included). */
  outcomes: PointsEvent[];
  /** Commands whose commandId was already stored before this batch: their stored outcome is re-emitted. */
  alreadyProcessed: number;
  /** Repeats of a commandId seen earlier in the same batch: nothing is applied or emitted for them. */
  repeatedInBatch: number;
}

export interface BatchState {
  /** Current balances of existing accounts (a user absent here has no account yet: balance 0). */
  balances: ReadonlyMap<string, number>;
  /** Entries already stored for commandIds of the batch. */
  processed: ReadonlyMap<string, LedgerEntryRecord>;
}

/** Applies the batch's commands in order; a deduction larger than the balance is rejected, so no balance goes negative. */
export function planBatch(commands: readonly SourcedCommand[], state: BatchState, appliedAt: Date): BatchPlan {
  const balances = new Map<string, number>();
  const appliedCounts = new Map<string, number>();
  const seen = new Set<string>();
  const issuedAtOf = lastParsed();
  const plan: BatchPlan = { newEntries: [], accountWrites: [], outcomes: [], alreadyProcessed: 0, repeatedInBatch: 0 };

  for (const { command, source } of commands) {
    if (seen.has(command.commandId)) {
      plan.repeatedInBatch++;
      continue;
    }
    seen.add(command.commandId);
    const stored = state.processed.get(command.commandId);
    if (stored) {
      plan.alreadyProcessed++;
      plan.outcomes.push(outcomeEventOf(stored));
      continue;
    }

    const balance = balances.get(command.userId) ?? state.balances.get(command.userId) ?? 0;
    const rejected = command.type === "deduct" && command.amount > balance;
    const balanceAfter = rejected
      ? balance
      : command.type === "charge"
        ? balance + command.amount
        : balance - command.amount;
    if (!rejected) {
      balances.set(command.userId, balanceAfter);
      appliedCounts.set(command.userId, (appliedCounts.get(command.userId) ?? 0) + 1);
    }
    const entry: LedgerEntryRecord = {
      commandId: command.commandId,
      userId: command.userId,
      type: command.type,
      amount: command.amount,
      status: rejected ? "rejected" : "applied",
      balanceAfter,
      reason: rejected ? rejectionReasons.insufficientBalance : (command.reason ?? null),
      storeId: command.storeId,
      terminalId: command.terminalId,
      orderId: command.orderId ?? null,
      topic: source.topic,
      partition: source.partition,
      offset: source.offset,
      issuedAt: issuedAtOf(command.issuedAt),
      appliedAt,
    };
    plan.newEntries.push(entry);
    plan.outcomes.push(outcomeEventOf(entry));
  }

  for (const [userId, balance] of balances)
    plan.accountWrites.push({ userId, balance, appliedCount: appliedCounts.get(userId)! });
  return plan;
}

/**
 * Parses times, parsing again only when the text changes: the commands of a batch often share their
 * issuedAt (a producer's send, a busy millisecond), and a Date parse is a good part of a command's
 * cost at the ledger's rates. Entries may share the Date: nothing mutates them.
 */
function lastParsed(): (text: string) => Date {
  let last = "";
  let parsed = new Date(Number.NaN);
  return (text) => {
    if (text !== last) {
      last = text;
      parsed = new Date(text);
    }
    return parsed;
  };
}

/** toISOString, formatting again only when the time changes (a batch's entries share their appliedAt). */
export function lastFormatted(format: (date: Date) => string = (date) => date.toISOString()): (date: Date) => string {
  let time = Number.NaN;
  let text = "";
  return (date) => {
    const t = date.getTime();
    if (t !== time || text === "") {
      time = t;
      text = format(date);
    }
    return text;
  };
}

// Memos of the last time formatted (not state a caller could see: the same Date gives the same text).
const issuedText = lastFormatted();
const appliedText = lastFormatted();

/**
 * The event a stored entry stands for. Built from the entry alone, so a re-emission after a crash
 * is the same event (same eventId, same content) as the first emission.
 */
export function outcomeEventOf(entry: LedgerEntryRecord): PointsEvent {
  // Built key by key rather than with conditional spreads (a temporary object per optional field,
  // per command); the keys keep the order the events always had, so the JSON is the same.
  const event = {
    eventId: entry.commandId,
    commandId: entry.commandId,
    type: entry.type,
    status: entry.status,
    userId: entry.userId,
    amount: entry.amount,
    balanceAfter: entry.balanceAfter,
  } as PointsEvent;
  if (entry.reason !== null) event.reason = entry.reason;
  event.storeId = entry.storeId;
  event.terminalId = entry.terminalId;
  if (entry.orderId !== null) event.orderId = entry.orderId;
  event.issuedAt = issuedText(entry.issuedAt);
  event.appliedAt = appliedText(entry.appliedAt);
  event.source = { topic: entry.topic, partition: entry.partition, offset: entry.offset.toString() };
  return event;
}
