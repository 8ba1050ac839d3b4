// Use case: apply a batch of commands (one partition's, or a group commit's several partitions',
// each in offset order) in one transaction: read the entries already stored for its commandIds and
// the balances of its users, decide every outcome (plan-batch.ts), write the new entries and the
// accounts. Commands already processed are not applied again; their stored outcome comes back in
// the plan, so it can be emitted again. Holds no state; the repository owns the tables.
import {
  type AccountWrite,
  type BatchPlan,
  type LedgerEntryRecord,
  planBatch,
  type SourcedCommand,
} from "./plan-batch.ts";

/** What one batch's transaction reads and writes; every call is one statement, whatever the batch's size. */
export interface LedgerBatchStore {
  /** Entries already stored for these commandIds, by commandId. */
  findEntries(commandIds: Iterable<string>): Promise<Map<string, LedgerEntryRecord>>;
  /** Balances of the accounts that exist among these users, by userId. */
  findBalances(userIds: Iterable<string>): Promise<Map<string, number>>;
  /** Inserts the entries; every one was applied (or rejected) at `appliedAt`. */
  insertEntries(entries: LedgerEntryRecord[], appliedAt: Date): Promise<void>;
  /** Creates missing accounts and sets the others' balance; an account's version grows by its applied count. */
  writeAccounts(writes: AccountWrite[], updatedAt: Date): Promise<void>;
}

export interface LedgerRepository {
  /**
   * Runs `work` in one transaction that holds the database's write lock from its start, so what it
   * reads is the state it writes on: all its writes commit together or not at all.
   */
  inTransaction<T>(work: (store: LedgerBatchStore) => Promise<T>): Promise<T>;
}

/** Applies the commands in one transaction and returns what was decided (and is now stored). */
export function applyBatch(
  commands: readonly SourcedCommand[],
  appliedAt: Date,
  repository: LedgerRepository,
): Promise<BatchPlan> {
  return repository.inTransaction(async (store) => {
    // Sets, not arrays made distinct: at tens of thousands of commands a batch, the copies showed.
    const commandIds = new Set<string>();
    const userIds = new Set<string>();
    for (const { command } of commands) {
      commandIds.add(command.commandId);
      userIds.add(command.userId);
    }
    const processed = await store.findEntries(commandIds);
    const balances = await store.findBalances(userIds);
    const plan = planBatch(commands, { processed, balances }, appliedAt);
    await store.insertEntries(plan.newEntries, appliedAt);
    await store.writeAccounts(plan.accountWrites, appliedAt);
    return plan;
  });
}
