// The ordering lab: the same seeded workload run in each mode on a fresh system of its own (a
// bundled broker, the ledger, and the points-api when driven over HTTP), then the ledger's result
// verified against a sequential replay, with throughput and latency measured alongside.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { serviceReadyLine, serviceScript } from "../../apps/services.ts";
import { type AppConfig, loadConfig } from "../../apps/shared/config.ts";
import { ensureTopics } from "../../apps/shared/consumer-service.ts";
import { readTerminalKeys } from "../../apps/shared/terminal-keys.ts";
import { COMMANDS_TOPIC, EVENTS_TOPIC } from "../../apps/shared/topics.ts";
import { Supervisor } from "../../apps/supervisor.ts";
import { createKafka } from "../../broker/client/factory.ts";
import { logLevel } from "../../broker/client/index.ts";
import { demoStores } from "../demo-data.ts";
import { driveDirect, driveHttp, type IssueRecord } from "../load/drivers.ts";
import { createProgress } from "../load/progress.ts";
import { generateWorkload, type Workload } from "../load/workload.ts";
import { writeDirectory } from "../seed-demo.ts";
import { readCommitTimes } from "./commit-times.ts";
import { type LabReport, type ModeResult, renderReportHtml } from "./report.ts";
import { type RunVerification, type Timing, timing, verifyAgainstLedger, WARMUP_FRACTION } from "./verify-run.ts";

export const labModes = ["keyed", "unkeyed", "parallel-unsafe", "single-partition"] as const;
export type LabMode = (typeof labModes)[number];

/** A system under test: how commands are keyed and partitioned, and how the ledger runs. */
export interface SystemSetup {
  partitions: number;
  keyed: boolean;
  /** Environment for the ledger processes. */
  ledgerEnv: Record<string, string>;
  /** Members of the ledger group (default 1). */
  ledgerInstances?: number;
}

interface ModeSetup extends SystemSetup {
  description: string;
}

export const modeSetups: Record<LabMode, ModeSetup> = {
  keyed: {
    description:
      "Commands keyed by userId (the demo's design): one user's commands share a partition, whose order the ledger keeps.",
    partitions: 6,
    keyed: true,
    ledgerEnv: {},
  },
  unkeyed: {
    description:
      "No key: commands spread over the partitions, so one user's commands are applied in whatever order the partitions happen to be consumed.",
    partitions: 6,
    keyed: false,
    ledgerEnv: {},
  },
  "parallel-unsafe": {
    description:
      "Keyed by userId, but the ledger hands the messages of one partition to concurrent workers: partition order is broken inside the consumer.",
    partitions: 6,
    keyed: true,
    ledgerEnv: { LEDGER_UNSAFE_WORKERS: "4" },
  },
  "single-partition": {
    description:
      "Keyed, one partition: ordered like keyed, with no parallelism across users (the throughput comparison).",
    partitions: 1,
    keyed: true,
    ledgerEnv: {},
  },
};

export interface LabOptions extends DriveSettings {
  users: number;
  commands: number;
  seed: number;
  modes: LabMode[];
  outDir: string;
}

export interface DriveSettings {
  driver: "http" | "direct";
  /**
   * Also time each command from its acceptance (the API's 202, or the producer's ack) to the
   * ledger's commit, read from the outcome events (see commit-times.ts): what the benchmark reports.
   */
  measureCommits?: boolean;
  rate?: number;
  concurrency: number;
  log: (line: string) => void;
  progressStream?: NodeJS.WriteStream;
}

export interface SystemRun extends RunVerification {
  /** Accepted → committed, with `measureCommits`. */
  committed?: Timing;
}

/** A bundled lone broker with the topics made and the directory written, for services to join. */
export interface FreshSystem {
  /** Runs the broker; start the services under it too, so stopAll() ends everything. */
  supervisor: Supervisor;
  brokers: string[];
  config: AppConfig;
  /** Environment for a service of this system. */
  serviceEnv: Record<string, string>;
  /** Which of a child's lines to pass on: the systems under test stay quiet unless something goes wrong. */
  show: (line: string) => boolean;
  /** The demo terminals' keys (in `workDir`), for driveHttp's terminalKeys: commands over HTTP need them. */
  terminalKeys: Record<string, string>;
}

/**
 * Starts a fresh system in `workDir` (emptied first): a broker on a free port with
 * `setup.partitions` per topic, `brokerConfig` (Kafka property=value) and `brokerArgs` (more of its
 * command line, e.g. --admin-port), the demo's stores and the
 * workload's users in the SQLite file, points.commands and points.events. The caller stops it with
 * `supervisor.stopAll()`.
 */
export async function startFreshSystem(
  label: string,
  setup: { partitions: number; users: string[]; brokerConfig?: string[]; brokerArgs?: string[] },
  workDir: string,
  log: (line: string) => void,
): Promise<FreshSystem> {
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  const show = (line: string) => /error|crash|fail/i.test(line);
  const supervisor = new Supervisor(log);
  try {
    const brokerMatch = await supervisor.start({
      label: `${label}/broker`,
      script: "broker/server/main.ts",
      args: [
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--data-dir",
        path.join(workDir, "broker"),
        "--config",
        `num.partitions=${setup.partitions}`,
        ...(setup.brokerConfig ?? []).flatMap((c) => ["--config", c]),
        ...(setup.brokerArgs ?? []),
      ],
      // Anchored: with --admin-port, "admin listening on http://..." comes first.
      readyLine: /^listening on (\S+)/,
      show,
      restart: false,
    });
    const brokers = [brokerMatch[1]!];
    const config: AppConfig = {
      ...loadConfig({ DATA_DIR: workDir, POINTS_PARTITIONS: String(setup.partitions) }),
      brokers,
    };
    await writeDirectory(
      config,
      demoStores(),
      setup.users.map((id) => ({ id, name: id })),
    );
    const kafka = await createKafka({ clientId: "lab", brokers, logLevel: logLevel.NOTHING });
    await ensureTopics(kafka, [COMMANDS_TOPIC, EVENTS_TOPIC], setup.partitions);
    const serviceEnv = {
      DATA_DIR: workDir,
      DATABASE_URL: config.databaseUrl,
      KAFKA_BROKERS: brokers.join(","),
      POINTS_PARTITIONS: String(setup.partitions),
      PORT: "0",
    };
    return { supervisor, brokers, config, serviceEnv, show, terminalKeys: readTerminalKeys(workDir) };
  } catch (error) {
    await supervisor.stopAll();
    throw error;
  }
}

/**
 * Starts service `name` (apps/<name>/main.ts) of `system` under its supervisor as `label`, with the
 * system's environment and `env`; it is not restarted when it dies (the run decides what happens to
 * it). Resolves with its ready line's match: for points-api, [1] is its URL.
 */
export function startSystemService(
  system: FreshSystem,
  label: string,
  name: string,
  env: Record<string, string> = {},
): Promise<RegExpExecArray> {
  return system.supervisor.start({
    label,
    script: serviceScript(name),
    env: { ...system.serviceEnv, ...env },
    readyLine: serviceReadyLine,
    show: system.show,
    restart: false,
  });
}

/**
 * The workload through a fresh system in `workDir` (a broker, the ledger instances and, over HTTP,
 * the points-api), verified against the ledger; the system is stopped and removed afterwards.
 */
export async function runOnFreshSystem(
  label: string,
  setup: SystemSetup,
  workload: Workload,
  options: DriveSettings,
  workDir: string,
): Promise<SystemRun> {
  const system = await startFreshSystem(
    label,
    { partitions: setup.partitions, users: workload.users },
    workDir,
    options.log,
  );
  const { supervisor, brokers, config } = system;
  try {
    for (let i = 1; i <= (setup.ledgerInstances ?? 1); i++)
      await startSystemService(system, `${label}/ledger#${i}`, "ledger", setup.ledgerEnv);
    let apiUrl = "";
    if (options.driver === "http") {
      const match = await startSystemService(system, `${label}/points-api`, "points-api", {
        POINTS_COMMAND_KEY: setup.keyed ? "userId" : "none",
      });
      apiUrl = match[1]!;
    }

    const progress = createProgress({
      label: `${label.padEnd(20)} issue`,
      total: workload.commands.length,
      stream: options.progressStream,
    });
    const driveOptions = {
      rate: options.rate,
      concurrency: options.concurrency,
      onProgress: (n: number) => progress.tick(n),
    };
    const issued: IssueRecord[] =
      options.driver === "http"
        ? await driveHttp(apiUrl, workload.commands, { ...driveOptions, terminalKeys: system.terminalKeys })
        : await driveDirect(brokers, workload.commands, { ...driveOptions, keyed: setup.keyed });
    progress.finish();

    // Everything accepted is applied sooner or later; what is still missing after a quiet spell
    // counts as lost.
    const verified: SystemRun = await verifyAgainstLedger(config.databaseUrl, {
      seed: workload.seed,
      users: workload.users.length,
      commands: workload.commands,
      issued,
      openingBalances: {},
    });
    if (options.measureCommits) {
      const committedAt = await readCommitTimes(brokers, new Set(issued.map((r) => r.commandId)));
      verified.committed = timing(issued, committedAt, WARMUP_FRACTION, (record) => record.acceptedAt);
    }
    return verified;
  } finally {
    await supervisor.stopAll();
    rmSync(workDir, { recursive: true, force: true });
  }
}

export async function runLab(options: LabOptions): Promise<LabReport> {
  const workload = generateWorkload({ users: options.users, commands: options.commands, seed: options.seed });
  mkdirSync(options.outDir, { recursive: true });
  const modes: ModeResult[] = [];
  for (const mode of options.modes) {
    const setup = modeSetups[mode];
    const verified = await runOnFreshSystem(mode, setup, workload, options, path.join(options.outDir, `work-${mode}`));
    const result: ModeResult = {
      mode,
      description: setup.description,
      partitions: setup.partitions,
      commands: workload.commands.length,
      throughputPerSec: verified.throughputPerSec,
      latencyMs: verified.latencyMs,
      anomalies: verified.anomalies,
      examples: verified.examples,
    };
    modes.push(result);
    options.log(formatModeLine(result));
  }
  const report: LabReport = {
    generatedAt: new Date().toISOString(),
    workload: {
      users: options.users,
      commands: options.commands,
      seed: options.seed,
      driver: options.driver,
      rate: options.rate ?? null,
      concurrency: options.concurrency,
    },
    modes,
  };
  writeFileSync(path.join(options.outDir, "report.json"), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(path.join(options.outDir, "report.html"), renderReportHtml(report));
  return report;
}

export function formatModeLine(m: ModeResult): string {
  const a = m.anomalies;
  return `${m.mode.padEnd(16)} ${String(m.throughputPerSec).padStart(7)} cmd/s  p50 ${m.latencyMs.p50} p95 ${m.latencyMs.p95} p99 ${m.latencyMs.p99} ms  out-of-order ${a.outOfOrder}, wrong rejections ${a.wrongRejections}, wrong acceptances ${a.wrongAcceptances}, balance drift ${a.balanceDrift} users, duplicates ${a.duplicates}, lost ${a.lost}, negative balances ${a.negativeBalances}, account drift ${a.accountDrift} users`;
}
