// The points pipeline end to end: commands accepted (by the HTTP API, or by the broker when
// produced directly) until the ledger committed them, on a fresh system per configuration, with 6
// and 24 partitions and 1 and 3 ledger instances. Two runs each: as fast as it goes (the most
// commands/s it sustains; latency there is mostly queueing), then paced at 70 % of that rate for
// the latency percentiles of a sustained load. Every run is verified (a keyed run must show no
// anomaly). The lab's own measure (issued → applied) is recorded alongside.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { runOnFreshSystem } from "../seed/lab/lab.ts";
import { generateWorkload } from "../seed/load/workload.ts";
import { writeResults } from "./lib.ts";

export interface PointsSuiteOptions {
  quick: boolean;
}

type Percentiles = { p50: number; p95: number; p99: number };

interface PointsRow {
  driver: "http" | "direct";
  partitions: number;
  ledgers: number;
  commands: number;
  /** Unpaced, accepted → committed: the most it sustains. */
  commandsPerSec: number;
  latencyAtMaxMs: Percentiles;
  /** Paced at 70 % of commandsPerSec; accepted → committed. */
  pacedRate: number;
  pacedCommandsPerSec: number;
  latencyMs: Percentiles;
  /** The same runs as the lab measures them: issued (request sent) → applied (the entry's appliedAt). */
  issuedToApplied: { commandsPerSec: number; latencyAtMaxMs: Percentiles; latencyMs: Percentiles };
  anomalies: number;
}

const PACED_SECONDS = 10;

export async function runPointsSuite({ quick }: PointsSuiteOptions): Promise<PointsRow[]> {
  const rows: PointsRow[] = [];
  const workDir = mkdtempSync(path.join(tmpdir(), "bench-points-"));
  try {
    for (const driver of ["http", "direct"] as const) {
      const commands = driver === "http" ? (quick ? 5_000 : 40_000) : quick ? 20_000 : 300_000;
      const workload = generateWorkload({ users: driver === "http" ? 1_000 : 10_000, commands, seed: 1 });
      for (const partitions of [6, 24]) {
        for (const ledgers of [1, 3]) {
          const label = `${driver} ${partitions}p ${ledgers} ledger${ledgers > 1 ? "s" : ""}`;
          console.log(`[points] ${label}: ${commands} commands`);
          const run = (commandsOf: typeof workload, rate: number | undefined, suffix: string) =>
            runOnFreshSystem(
              `${label}${suffix}`,
              { partitions, keyed: true, ledgerEnv: {}, ledgerInstances: ledgers },
              commandsOf,
              {
                driver,
                rate,
                concurrency: driver === "http" ? 64 : 8,
                measureCommits: true,
                log: (line) => console.log(`[points] ${line}`),
              },
              path.join(workDir, `${label}${suffix}`.replaceAll(" ", "-")),
            );
          const max = await run(workload, undefined, "");
          const maxCommitted = max.committed!;
          const pacedRate = Math.max(1, Math.round(maxCommitted.throughputPerSec * 0.7));
          const pacedWorkload = generateWorkload({
            users: workload.users.length,
            commands: Math.min(commands, pacedRate * PACED_SECONDS),
            seed: 2,
          });
          const paced = await run(pacedWorkload, pacedRate, " paced");
          const anomalies = [max, paced].flatMap((r) => Object.values(r.anomalies)).reduce((n, v) => n + v, 0);
          const row: PointsRow = {
            driver,
            partitions,
            ledgers,
            commands,
            commandsPerSec: maxCommitted.throughputPerSec,
            latencyAtMaxMs: maxCommitted.latencyMs,
            pacedRate,
            pacedCommandsPerSec: paced.committed!.throughputPerSec,
            latencyMs: paced.committed!.latencyMs,
            issuedToApplied: {
              commandsPerSec: max.throughputPerSec,
              latencyAtMaxMs: max.latencyMs,
              latencyMs: paced.latencyMs,
            },
            anomalies,
          };
          rows.push(row);
          console.log(
            `[points] ${label}: at most ${row.commandsPerSec} commands/s (accepted → committed); paced at ${pacedRate}/s: p50 ${row.latencyMs.p50} / p95 ${row.latencyMs.p95} / p99 ${row.latencyMs.p99} ms; anomalies ${anomalies}`,
          );
        }
      }
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  console.log("\naccepted → committed; the paced run's latency, then the lab's issued → applied at the same pace");
  console.log(
    "| driver | partitions | ledgers | max commands/s | paced at /s | p50 ms | p95 ms | p99 ms | issued → applied p50/p95/p99 ms | anomalies |\n|---|---|---|---|---|---|---|---|---|---|",
  );
  for (const r of rows) {
    const lab = r.issuedToApplied.latencyMs;
    console.log(
      `| ${r.driver} | ${r.partitions} | ${r.ledgers} | ${r.commandsPerSec} | ${r.pacedRate} | ${r.latencyMs.p50} | ${r.latencyMs.p95} | ${r.latencyMs.p99} | ${lab.p50}/${lab.p95}/${lab.p99} | ${r.anomalies} |`,
    );
  }
  writeResults("points.json", { suite: "points", quick, measuredAt: new Date().toISOString(), rows });
  return rows;
}
