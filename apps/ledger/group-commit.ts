// Group commit: the ledger consumes its partitions concurrently, and a batch that arrives while a
// transaction is running waits and is applied with the others that arrived meanwhile, in one
// transaction and one round of event sends. Under a steady stream of small batches, per-transaction
// costs (Prisma's round trips, SQLite's commit and fsync) were most of the ledger's work.
//
// Order is unaffected: a partition's next batch is fetched only after its previous one settled, so
// a group holds at most one batch per partition, each in offset order.
//
// Owner of mutable state: the returned function's closure (the waiting batches, the running flag).
export function groupCommit<T>(apply: (items: T[]) => Promise<void>): (items: T[]) => Promise<void> {
  let waiting: { items: T[]; settle: (error?: unknown) => void }[] = [];
  let running = false;

  const drain = async () => {
    running = true;
    while (waiting.length > 0) {
      const group = waiting;
      waiting = [];
      try {
        await apply(group.flatMap((g) => g.items));
        for (const g of group) g.settle();
      } catch (error) {
        for (const g of group) g.settle(error);
      }
    }
    running = false;
  };

  return (items) =>
    new Promise<void>((resolve, reject) => {
      waiting.push({ items, settle: (error) => (error === undefined ? resolve() : reject(error)) });
      if (!running) void drain();
    });
}
