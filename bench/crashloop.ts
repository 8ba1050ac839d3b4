// The ledger crash loop at length: 50 kill -9 of the ledger (10 with --quick) while points-api
// takes commands at a steady rate, each followed by a restart (seed/fault/ledger-crash-loop.ts, whose
// 5-kill version runs in CI), then the ordering lab's verifier. Reports how long the ledger took to
// come back and to apply again, and every anomaly count (all must be 0); a run with any fails.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type CrashLoopResult, type KillRecord, runCrashLoop } from "../seed/fault/ledger-crash-loop.ts";
import { anomalyCount } from "../seed/lab/rebalance/rebalance-report.ts";
import { int, log, percentile, printTable, round, writeResults } from "./lib.ts";

export interface CrashLoopSuiteOptions {
  quick: boolean;
  kills: number;
  /** Commands per second. */
  rate: number;
}

export const crashLoopDefaults = (quick: boolean, kills?: number, rate?: number): CrashLoopSuiteOptions => ({
  quick,
  kills: kills ?? (quick ? 10 : 50),
  rate: rate ?? 150,
});

const USERS = 1_000;
const PARTITIONS = 6;
const MAX_DELAY_MS = 3_000;
const SEED = 50;

function spread(values: number[]): { p50: number; p95: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), max: sorted.at(-1) ?? 0 };
}

function summary(result: CrashLoopResult) {
  const kinds = (kind: KillRecord["kind"]) => result.kills.filter((k) => k.kind === kind).length;
  return {
    kills: result.kills.length,
    killsWhileApplying: kinds("applying"),
    killsWhileStarting: kinds("starting"),
    killsWithAcceptedUnapplied: result.kills.filter((k) => k.acceptedAtKill > k.appliedAtKill).length,
    accepted: result.accepted,
    applied: result.verification.applied,
    seconds: round(result.seconds, 1),
    lifeMs: spread(result.kills.map((k) => k.lifeMs)),
    restartMs: spread(result.kills.map((k) => k.restartMs)),
    resumeMs: spread(result.kills.flatMap((k) => (k.resumeMs === null ? [] : [k.resumeMs]))),
    anomalies: result.verification.anomalies,
    examples: result.verification.examples,
  };
}

export async function runCrashLoopSuite(options: CrashLoopSuiteOptions): Promise<void> {
  log(
    "crashloop",
    `${options.kills} kill -9 of the ledger at ${options.rate} commands/s over HTTP, ${USERS} users, ${PARTITIONS} partitions`,
  );
  const result = await runCrashLoop({
    kills: options.kills,
    rate: options.rate,
    users: USERS,
    seed: SEED,
    partitions: PARTITIONS,
    maxDelayMs: MAX_DELAY_MS,
    workDir: mkdtempSync(path.join(tmpdir(), "bench-crashloop-")),
    log: (line) => log("crashloop", line),
  });
  const figures = summary(result);
  const ms = (s: { p50: number; p95: number; max: number }) => `${int(s.p50)} / ${int(s.p95)} / ${int(s.max)}`;
  console.log();
  printTable(
    ["crash loop", "value"],
    [
      [
        "kills (while applying / at start)",
        `${figures.kills} (${figures.killsWhileApplying} / ${figures.killsWhileStarting})`,
      ],
      ["kills with accepted commands not yet applied", int(figures.killsWithAcceptedUnapplied)],
      ["commands accepted / ledger entries", `${int(figures.accepted)} / ${int(figures.applied)}`],
      ["life before the kill p50 / p95 / max ms", ms(figures.lifeMs)],
      ["kill → ready again p50 / p95 / max ms", ms(figures.restartMs)],
      ["kill → applying again p50 / p95 / max ms", ms(figures.resumeMs)],
      ...Object.entries(figures.anomalies).map(([kind, count]) => [kind, int(count)]),
      ["run seconds", String(figures.seconds)],
    ],
  );
  const file = writeResults("crashloop.json", {
    suite: "crashloop",
    quick: options.quick,
    settings: { rate: options.rate, users: USERS, partitions: PARTITIONS, maxDelayMs: MAX_DELAY_MS, seed: SEED },
    ...figures,
    killLog: result.kills,
  });
  log("crashloop", `results in ${file}`);
  const anomalies = anomalyCount(figures.anomalies);
  if (anomalies > 0)
    throw new Error(
      `crash loop: ${anomalies} anomalies after ${figures.kills} kills: ${JSON.stringify(figures.examples)}`,
    );
}
