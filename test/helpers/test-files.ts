// The test files `npm test` runs, in the order it starts them: the longest first, then the rest by
// path. The runner starts files in the order given, a few at a time (--test-concurrency); a file of
// two minutes started last ran alone at the end of the run while the cores idled (19 % idle over a
// whole run, the rebalance lab starting at file 480 of 513). Longest first keeps the cores busy to
// the end. The list is of measured durations (summed top-level test times, one full run, in
// seconds); a file missing from it only starts later, and a listed file that is gone fails
// test/helpers/test-files.test.ts.
// Usage: node --import tsx test/helpers/test-files.ts  → one path per line, relative to the repository.
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

/** Files of 20 s or more in a full run, longest first. */
export const LONGEST_FIRST: readonly string[] = [
  "test/seed/lab/rebalance/rebalance-lab.test.ts", // 137 s
  "test/acceptance/console.test.ts", // 103 s
  "test/apps/start.test.ts", // 67 s
  "test/acceptance/cluster-faults.test.ts", // 46 s
  "test/acceptance/wire-fuzz.test.ts", // 33 s
  "test/apps/points-demo.test.ts", // 33 s
  "test/broker/client/consumer/poll-timeout.test.ts", // 31 s
  "test/acceptance/cluster-restart.test.ts", // 31 s
  "test/acceptance/cluster-coordinator.test.ts", // 31 s
  "test/apps/ledger/ledger-recovery.test.ts", // 30 s
  "test/acceptance/cluster-isr.test.ts", // 29 s
  "test/broker/client/admin/offsets.test.ts", // 28 s
  "test/acceptance/cluster-transactions.test.ts", // 27 s
  "test/seed/fault/ledger-crash-loop.test.ts", // 27 s
  "test/seed/lab/lab.test.ts", // 26 s
  "test/seed/lab/scaling/scaling-lab.test.ts", // 24 s
  "test/apps/shared/cli.test.ts", // 24 s
  "test/acceptance/cluster-points-failover.test.ts", // 23 s
  "test/apps/cluster.test.ts", // 23 s
  "test/conformance/admin.test.ts", // 23 s
  "test/acceptance/cluster-consumer-protocol.test.ts", // 22 s
  "test/acceptance/cluster-controller-failover.test.ts", // 22 s
];

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

/** Every *.test.ts under test/, relative to the repository, in run order. */
export function testFiles(root = repoRoot): string[] {
  const found = readdirSync(join(root, "test"), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".test.ts"))
    .map((entry) => relative(root, join(entry.parentPath ?? entry.path, entry.name)))
    .sort();
  const rest = new Set(found);
  const first = LONGEST_FIRST.filter((file) => rest.delete(file));
  return [...first, ...rest];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(testFiles().join("\n"));
