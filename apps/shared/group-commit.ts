// Group commit: the services consume their partitions concurrently, and batches handed over in
// the same turn of the event loop (one fetch's partitions) or while a transaction is running are
// committed together, in one transaction. Under a steady stream of small batches, per-transaction
// costs (SQLite's commit and fsync, an offset commit each) were most of a service's work. A group
// starts when the loop has nothing else to run (setImmediate), never on a timer: a lone batch on a
// quiet system waits for nothing.
//
// Each group's outcome events are emitted after its commit, while the next group already commits
// (the database would otherwise sit idle through every produce round trip); emits run one after
// another in commit order, and a batch settles once its own group's events are out. If an emit
// fails, the groups queued behind it fail too (their events are not sent out of order); they are
// all redelivered, found applied, and their stored outcomes emitted again.
//
// Order is unaffected: a partition's next batch is fetched only after its previous one settled, so
// a group holds at most one batch per partition, each in offset order.
//
// Owner of mutable state: the returned function's closure (the waiting batches, the pipeline).
export function groupCommit<T, C>(
  commit: (items: T[]) => Promise<C>,
  emit: (committed: C) => Promise<void>,
): (items: T[]) => Promise<void> {
  let waiting: { items: T[]; settle: (error?: unknown) => void }[] = [];
  /** From the first waiting batch until the last group is committed: a drain is scheduled or running. */
  let committing = false;
  let emits: Promise<void> = Promise.resolve();
  let groupsEmitting = 0;
  let emitFailure: { error: unknown } | undefined;

  const settleAll = (group: typeof waiting, error?: unknown) => {
    for (const g of group) g.settle(error);
  };

  const drain = async () => {
    while (waiting.length > 0) {
      const group = waiting;
      waiting = [];
      let committed: C;
      try {
        committed = await commit(group.flatMap((g) => g.items));
      } catch (error) {
        settleAll(group, error);
        continue;
      }
      groupsEmitting++;
      emits = emits.then(async () => {
        try {
          if (emitFailure) throw emitFailure.error;
          await emit(committed);
          settleAll(group);
        } catch (error) {
          emitFailure ??= { error };
          settleAll(group, error);
        } finally {
          // Once nothing queued behind a failure is left, the next group starts afresh.
          if (--groupsEmitting === 0) emitFailure = undefined;
        }
      });
    }
    committing = false;
  };

  return (items) =>
    new Promise<void>((resolve, reject) => {
      waiting.push({ items, settle: (error) => (error === undefined ? resolve() : reject(error)) });
      if (committing) return;
      committing = true;
      setImmediate(() => void drain());
    });
}
