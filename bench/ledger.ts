// The ledger alone: how fast one ledger applies commands that are already in points.commands. On a
// fresh system (a bundled broker, 6 partitions), N commands are produced directly first; then one
// ledger starts and is timed until its group's committed offsets reach the end of every partition
// (its SQLite commit, then its outcome events, then the offsets: the last step of a command).
// Every run is verified against a sequential replay (the lab's verifier): it must show no anomaly.
// Beside each rate: the CPU the ledger and the broker processes spent per command over the timed
// window (/proc/<pid>/stat, 10 ms ticks), the ledger's commands per transaction, and the floor
// (ledger-floor.ts): the same workload through the ledger's SQLite statements alone, in transactions
// of that size, giving the most commands/s SQLite allows on one core of this machine.
// Each run is done twice: the ledger as it runs by default (events produced, then offsets committed)
// and in its transactional mode (LEDGER_TRANSACTIONS=on: events and offsets in one Kafka transaction).
//
// BENCH_LEDGER_CPU_PROF=<dir> runs the ledger with --cpu-prof, its profile written there on exit.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { serviceReadyLine, serviceScript } from "../apps/services.ts";
import { createDb } from "../apps/shared/db/client.ts";
import { ownerDatabaseUrl } from "../apps/shared/db/service-databases.ts";
import { COMMANDS_TOPIC } from "../apps/shared/topics.ts";
import { createKafka } from "../broker/client/factory.ts";
import { logLevel } from "../broker/client/index.ts";
import { processCpuTicks } from "../seed/fault/processes.ts";
import { startFreshSystem } from "../seed/lab/lab.ts";
import { verifyAgainstLedger } from "../seed/lab/verify-run.ts";
import { driveDirect } from "../seed/load/drivers.ts";
import { generateWorkload } from "../seed/load/workload.ts";
import { measureLedgerFloor } from "./ledger-floor.ts";
import { log, writeResults } from "./lib.ts";

export interface LedgerSuiteOptions {
  commands: number;
  partitions: number;
  users: number;
  runs: number;
  quick: boolean;
}

export function ledgerSuiteDefaults(quick: boolean): LedgerSuiteOptions {
  return { commands: quick ? 50_000 : 200_000, partitions: 6, users: 10_000, runs: quick ? 1 : 2, quick };
}

/** The ledger's two ways of publishing: plain (events, then an offset commit) or one Kafka transaction. */
const MODES = ["off", "on"] as const;

interface LedgerRow {
  run: number;
  /** LEDGER_TRANSACTIONS: events and offsets in one Kafka transaction ("on") or not. */
  transactions: (typeof MODES)[number];
  commands: number;
  partitions: number;
  /** Ledger ready (consuming) → every partition's committed offset at its end. */
  commandsPerSec: number;
  seconds: number;
  /** Process spawn → all committed: start-up (tsx, Prisma, the group join) included. */
  commandsPerSecFromSpawn: number;
  /** First entry's appliedAt → last's: the rate of the transactions themselves. */
  appliedSpanCommandsPerSec: number;
  /** utime+stime of the ledger process over ready → committed, per command. */
  ledgerCpuUsPerCommand: number;
  brokerCpuUsPerCommand: number;
  /** Commands per database transaction (entries ÷ distinct appliedAt). */
  commandsPerTransaction: number;
  /** The ledger's SQLite work alone, same batch size (ledger-floor.ts). */
  floorSqliteCpuUsPerCommand: number;
  /** 10^6 / floorSqliteCpuUsPerCommand: what SQLite alone allows on one core. */
  floorCommandsPerSecOneCore: number;
  anomalies: number;
}

const SUITE = "ledger";

export async function runLedgerSuite(options: LedgerSuiteOptions): Promise<LedgerRow[]> {
  const rows: LedgerRow[] = [];
  const workDir = mkdtempSync(path.join(tmpdir(), "bench-ledger-"));
  const profileDir = process.env.BENCH_LEDGER_CPU_PROF;
  try {
    const workload = generateWorkload({ users: options.users, commands: options.commands, seed: 1 });
    for (let run = 1; run <= options.runs; run++)
      for (const transactions of MODES) {
        const label = `ledger run ${run}${transactions === "on" ? " (transactions)" : ""}`;
        const system = await startFreshSystem(
          label,
          { partitions: options.partitions, users: workload.users },
          path.join(workDir, `run-${run}-${transactions}`),
          (line) => log(SUITE, line),
        );
        try {
          const issued = await driveDirect(system.brokers, workload.commands, { concurrency: 8, keyed: true });
          const kafka = await createKafka({
            clientId: "bench-ledger",
            brokers: system.brokers,
            logLevel: logLevel.NOTHING,
          });
          const admin = kafka.admin();
          await admin.connect();
          try {
            const ends = new Map((await admin.fetchTopicOffsets(COMMANDS_TOPIC)).map((p) => [p.partition, p.high]));
            const produced = [...ends.values()].reduce((n, high) => n + Number(high), 0);
            if (produced !== options.commands) throw new Error(`produced ${produced} of ${options.commands} commands`);
            log(SUITE, `${label}: ${produced} commands in ${options.partitions} partitions; starting the ledger`);

            const spawnedAt = performance.now();
            const ledgerLabel = `${label}/ledger`;
            await system.supervisor.start({
              label: ledgerLabel,
              script: serviceScript("ledger"),
              nodeArgs: profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [],
              env: { ...system.serviceEnv, LEDGER_TRANSACTIONS: transactions },
              readyLine: serviceReadyLine,
              show: system.show,
              restart: false,
            });
            const readyAt = performance.now();
            const pids = new Map(system.supervisor.children().map((c) => [c.label, c.pid]));
            const ledgerPid = pids.get(ledgerLabel)!;
            const brokerPid = pids.get(`${label}/broker`)!;
            const ticksAtReady = [processCpuTicks(ledgerPid), processCpuTicks(brokerPid)];
            // Polled often: a run lasts a few seconds, and the poll's step is the measure's error.
            for (;;) {
              const [topic] = await admin.fetchOffsets({ groupId: "ledger", topics: [COMMANDS_TOPIC] });
              const behind = (topic?.partitions ?? []).filter((p) => p.offset !== ends.get(p.partition));
              if (topic && topic.partitions.length === ends.size && behind.length === 0) break;
              await new Promise((resolve) => setTimeout(resolve, 20));
            }
            const doneAt = performance.now();
            const ticksAtDone = [processCpuTicks(ledgerPid), processCpuTicks(brokerPid)];
            const cpuUsPerCommand = (i: number) =>
              Number((((ticksAtDone[i]! - ticksAtReady[i]!) * 10_000) / options.commands).toFixed(1));

            const verified = await verifyAgainstLedger(system.config.databaseUrl, {
              seed: workload.seed,
              users: workload.users.length,
              commands: workload.commands,
              issued,
              openingBalances: {},
            });
            const anomalies = Object.values(verified.anomalies).reduce((n, v) => n + v, 0);
            const span = await appliedSpan(system.config.databaseUrl);
            const commandsPerTransaction = options.commands / Math.max(1, span.transactions);
            const floor = await measureLedgerFloor(workload.commands, options.partitions, commandsPerTransaction);
            const seconds = (doneAt - readyAt) / 1000;
            const row: LedgerRow = {
              run,
              transactions,
              commands: options.commands,
              partitions: options.partitions,
              commandsPerSec: Math.round(options.commands / seconds),
              seconds: Number(seconds.toFixed(3)),
              commandsPerSecFromSpawn: Math.round((options.commands * 1000) / (doneAt - spawnedAt)),
              appliedSpanCommandsPerSec: span.ms > 0 ? Math.round((options.commands * 1000) / span.ms) : 0,
              ledgerCpuUsPerCommand: cpuUsPerCommand(0),
              brokerCpuUsPerCommand: cpuUsPerCommand(1),
              commandsPerTransaction: Math.round(commandsPerTransaction),
              floorSqliteCpuUsPerCommand: floor.sqliteCpuUsPerCommand,
              floorCommandsPerSecOneCore: floor.commandsPerSecOneCore,
              anomalies,
            };
            rows.push(row);
            log(
              SUITE,
              `${label}: ${row.commandsPerSec} commands/s (ready → committed, ${row.seconds} s); ${row.commandsPerSecFromSpawn}/s from spawn; ${row.appliedSpanCommandsPerSec}/s over the appliedAt span; CPU µs/command: ledger ${row.ledgerCpuUsPerCommand}, broker ${row.brokerCpuUsPerCommand}; ${row.commandsPerTransaction} commands/transaction; floor: SQLite alone ${row.floorSqliteCpuUsPerCommand} µs/command = ${row.floorCommandsPerSecOneCore}/s on one core; anomalies ${anomalies}`,
            );
          } finally {
            await admin.disconnect();
          }
        } finally {
          await system.supervisor.stopAll();
        }
      }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  console.log(
    "\n| run | transactions | commands | partitions | commands/s (ready → committed) | s | from spawn /s | appliedAt span /s | ledger CPU µs/cmd | broker CPU µs/cmd | cmds/txn | floor: SQLite µs/cmd | floor: SQLite alone /s (1 core) | anomalies |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
  );
  for (const r of rows)
    console.log(
      `| ${r.run} | ${r.transactions} | ${r.commands} | ${r.partitions} | ${r.commandsPerSec} | ${r.seconds} | ${r.commandsPerSecFromSpawn} | ${r.appliedSpanCommandsPerSec} | ${r.ledgerCpuUsPerCommand} | ${r.brokerCpuUsPerCommand} | ${r.commandsPerTransaction} | ${r.floorSqliteCpuUsPerCommand} | ${r.floorCommandsPerSecOneCore} | ${r.anomalies} |`,
    );
  writeResults("ledger.json", { suite: SUITE, quick: options.quick, measuredAt: new Date().toISOString(), rows });
  if (rows.some((r) => r.anomalies > 0)) throw new Error("the ledger bench found anomalies");
  return rows;
}

/**
 * Milliseconds from the first entry's appliedAt to the last's, and the transactions: a transaction's
 * entries share their appliedAt (two in the same millisecond count as one, so it is a lower bound).
 */
async function appliedSpan(databaseUrl: string): Promise<{ ms: number; transactions: number }> {
  const db = createDb(ownerDatabaseUrl(databaseUrl, "ledger"));
  try {
    const [row] = await db.$queryRawUnsafe<
      { first: string | Date | null; last: string | Date | null; transactions: bigint | number }[]
    >(
      `SELECT min("appliedAt") AS first, max("appliedAt") AS last, count(DISTINCT "appliedAt") AS transactions FROM "LedgerEntry"`,
    );
    if (!row?.first || !row.last) return { ms: 0, transactions: 0 };
    return {
      ms: new Date(row.last).getTime() - new Date(row.first).getTime(),
      transactions: Number(row.transactions),
    };
  } finally {
    await db.$disconnect();
  }
}
