// The points pipeline end to end: commands issued (through the HTTP API, or produced directly),
// applied by the ledger and committed, on a fresh system per configuration. Sustained commands/s
// (issued → applied) and latency percentiles, with 6 and 24 partitions and 1 and 3 ledger
// instances; every run is verified (no anomaly may appear in a keyed run).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { runOnFreshSystem } from "../seed/lab/lab.ts";
import { generateWorkload } from "../seed/load/workload.ts";
import { writeResults } from "./lib.ts";

export interface PointsSuiteOptions {
  quick: boolean;
}

interface PointsRow {
  driver: "http" | "direct";
  partitions: number;
  ledgers: number;
  commands: number;
  commandsPerSec: number;
  latencyMs: { p50: number; p95: number; p99: number };
  anomalies: number;
}

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
          const result = await runOnFreshSystem(
            label,
            { partitions, keyed: true, ledgerEnv: {}, ledgerInstances: ledgers },
            workload,
            { driver, concurrency: driver === "http" ? 64 : 8, log: (line) => console.log(`[points] ${line}`) },
            path.join(workDir, label.replaceAll(" ", "-")),
          );
          const anomalies = Object.values(result.anomalies).reduce((n, v) => n + v, 0);
          const row: PointsRow = { driver, partitions, ledgers, commands, commandsPerSec: result.throughputPerSec, latencyMs: result.latencyMs, anomalies };
          rows.push(row);
          console.log(`[points] ${label}: ${row.commandsPerSec} commands/s, p50 ${row.latencyMs.p50} / p95 ${row.latencyMs.p95} / p99 ${row.latencyMs.p99} ms, anomalies ${anomalies}`);
        }
      }
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  console.log("\n| driver | partitions | ledgers | commands | commands/s | p50 ms | p95 ms | p99 ms | anomalies |\n|---|---|---|---|---|---|---|---|---|");
  for (const r of rows) console.log(`| ${r.driver} | ${r.partitions} | ${r.ledgers} | ${r.commands} | ${r.commandsPerSec} | ${r.latencyMs.p50} | ${r.latencyMs.p95} | ${r.latencyMs.p99} | ${r.anomalies} |`);
  writeResults("points.json", { suite: "points", quick, measuredAt: new Date().toISOString(), rows });
  return rows;
}
