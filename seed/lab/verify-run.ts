// Verifying a load run against the ledger's tables: waits until every issued command has an entry
// (or nothing changes for a while), then compares per user, entries and stored balances. Shared by `npm run load` and
// `npm run verify`.
import { createDb } from "../../apps/shared/db/client.ts";
import { ownerDatabaseUrl } from "../../apps/shared/db/service-databases.ts";
import type { IssueRecord } from "../load/drivers.ts";
import type { IssuedCommand } from "../load/workload.ts";
import { type AppliedEntry, type Verification, verify } from "./verify.ts";

export interface LoadRun {
  seed: number;
  users: number;
  commands: IssuedCommand[];
  issued: IssueRecord[];
  /** Balances of the workload's users before the run: the replay starts there. */
  openingBalances: Record<string, number>;
}

export interface RunVerification extends Verification {
  latencyMs: { p50: number; p95: number; p99: number };
  throughputPerSec: number;
}

/** The nearest-rank percentile `p` (0-100) of ascending `sorted`; 0 when there is none. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export type Timing = Pick<RunVerification, "latencyMs" | "throughputPerSec">;

/**
 * Throughput and latency of the commands issued after the first `warmup` fraction (a cold start —
 * JIT, connections, the API's first lookup of each user — is not the rate the system sustains):
 * from each command's start (by default when it was issued) to when it ended (`endedAt`, by
 * commandId: applied, say, or committed); commands that never ended are left out.
 */
export function timing(
  issued: IssueRecord[],
  endedAt: ReadonlyMap<string, number>,
  warmup: number,
  startOf: (record: IssueRecord) => number = (record) => record.issuedAt,
): Timing {
  const byIssue = [...issued].sort((a, b) => a.issuedAt - b.issuedAt);
  const measured = byIssue.slice(Math.min(byIssue.length - 1, Math.floor(byIssue.length * warmup)));
  const latencies: number[] = [];
  let first = Infinity;
  let last = 0;
  for (const record of measured) {
    const end = endedAt.get(record.commandId);
    if (end === undefined) continue;
    const start = startOf(record);
    latencies.push(Math.max(0, end - start));
    first = Math.min(first, start);
    last = Math.max(last, end);
  }
  latencies.sort((a, b) => a - b);
  return {
    latencyMs: { p50: percentile(latencies, 50), p95: percentile(latencies, 95), p99: percentile(latencies, 99) },
    throughputPerSec: last > first ? Math.round((latencies.length * 1000) / (last - first)) : 0,
  };
}

/** The first tenth of a run's commands is its warm-up, left out of throughput and latency. */
export const WARMUP_FRACTION = 0.1;

export async function verifyAgainstLedger(
  databaseUrl: string,
  run: LoadRun,
  { quietMs = 30_000, warmup = WARMUP_FRACTION } = {},
): Promise<RunVerification> {
  const db = createDb(ownerDatabaseUrl(databaseUrl, "ledger"));
  try {
    const ids = run.commands.map((c) => c.commandId);
    // The id lists go in as one JSON parameter: SQLite limits bound parameters, not JSON's length.
    const idsJson = JSON.stringify(ids);
    const countApplied = async () => {
      const [row] = await db.$queryRawUnsafe<{ n: bigint | number }[]>(
        `SELECT count(*) AS n FROM "LedgerEntry" WHERE "commandId" IN (SELECT value FROM json_each(?))`,
        idsJson,
      );
      return Number(row?.n ?? 0);
    };
    let count = -1;
    let lastChange = Date.now();
    while (Date.now() - lastChange < quietMs) {
      const now = await countApplied();
      if (now !== count) lastChange = Date.now();
      count = now;
      if (count >= ids.length) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const users = [...new Set(run.commands.map((c) => c.userId))];
    const rows = (
      await db.$queryRawUnsafe<
        { commandId: string; userId: string; status: string; balanceAfter: number | bigint; appliedAt: Date | string }[]
      >(
        `SELECT "commandId", "userId", "status", "balanceAfter", "appliedAt" FROM "LedgerEntry" WHERE "userId" IN (SELECT value FROM json_each(?)) ORDER BY "id"`,
        JSON.stringify(users),
      )
    ).map((r) => ({ ...r, balanceAfter: Number(r.balanceAfter), appliedAt: new Date(r.appliedAt) }));
    // Entries from before the run (other seeds) are history, not this run's doing.
    const issuedIds = new Set(ids);
    const ours = rows.filter((r) => issuedIds.has(r.commandId));
    const applied: AppliedEntry[] = ours.map((r) => ({
      commandId: r.commandId,
      userId: r.userId,
      status: r.status as AppliedEntry["status"],
      balanceAfter: r.balanceAfter,
    }));
    const accounts = await db.$queryRawUnsafe<{ userId: string; balance: number | bigint }[]>(
      `SELECT "userId", "balance" FROM "Account" WHERE "userId" IN (SELECT value FROM json_each(?))`,
      JSON.stringify(users),
    );
    const verification = verify(
      run.commands,
      applied,
      new Map(Object.entries(run.openingBalances)),
      new Map(accounts.map((a) => [a.userId, Number(a.balance)])),
    );

    return {
      ...verification,
      ...timing(run.issued, new Map(ours.map((r) => [r.commandId, r.appliedAt.getTime()])), warmup),
    };
  } finally {
    await db.$disconnect();
  }
}

export function printVerification(result: RunVerification, write: (line: string) => void = console.log): void {
  const a = result.anomalies;
  write(`verified ${result.applied} entries for ${result.commands} commands of ${result.users} users`);
  write(
    `  after the first ${WARMUP_FRACTION * 100} % (warm-up): ${result.throughputPerSec} commands/s, latency p50 ${result.latencyMs.p50} / p95 ${result.latencyMs.p95} / p99 ${result.latencyMs.p99} ms`,
  );
  const rows: [string, number][] = [
    ["out of order", a.outOfOrder],
    ["wrong rejections", a.wrongRejections],
    ["wrong acceptances", a.wrongAcceptances],
    ["balance drift (users)", a.balanceDrift],
    ["duplicates", a.duplicates],
    ["lost", a.lost],
    ["negative balances", a.negativeBalances],
    ["account drift (users)", a.accountDrift],
  ];
  for (const [label, value] of rows) write(`  ${label.padEnd(22)} ${String(value).padStart(8)}`);
  for (const [kind, examples] of Object.entries(result.examples))
    for (const example of examples ?? []) write(`  e.g. ${kind}: ${example}`);
}
