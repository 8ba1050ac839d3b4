// Transactions on one better-sqlite3 connection, one at a time in the order asked: a connection
// holds one transaction, and the services' batches (one per partition) arrive concurrently. Each
// starts with BEGIN IMMEDIATE, so the write lock comes first and what it reads is the state it
// writes on; the work's calls are synchronous underneath, so the lock is held for its CPU time only.
// A failure rolls back and fails that transaction alone; the next one starts afresh.
//
// Ownership: the returned function's closure owns the queue of transactions.
import type BetterSqlite3 from "better-sqlite3";

export function serialTransactions(db: BetterSqlite3.Database): <T>(work: () => Promise<T>) => Promise<T> {
  const begin = db.prepare("BEGIN IMMEDIATE");
  const commit = db.prepare("COMMIT");
  const rollback = db.prepare("ROLLBACK");
  let previous: Promise<unknown> = Promise.resolve();
  return (work) => {
    const run = previous.then(async () => {
      begin.run();
      try {
        const result = await work();
        commit.run();
        return result;
      } catch (error) {
        if (db.inTransaction) rollback.run();
        throw error;
      }
    });
    previous = run.catch(() => {});
    return run;
  };
}
