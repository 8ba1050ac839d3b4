// The soak: the whole points pipeline (a broker, points-api, the ledger, notification and
// analytics, each its own process) takes commands over HTTP at a steady rate for 30 minutes (2
// with --quick; --minutes, --rate), sampled at intervals: every process's resident memory and open
// file descriptors (/proc/<pid>/status, /proc/<pid>/fd) and each consumer group's lag (records not
// yet committed). Each series must be flat (soak-trend.ts: first fifth against last fifth after a
// warm-up, slope per hour reported); the ledger is verified against a sequential replay at the end.
// A series that grows, a process that dies, or an anomaly fails the suite, after the table and
// bench/results/soak.json are written.
//
// Ownership: runSoakSuite owns the system it starts and the samples it takes.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createKafkaGroupInspector } from "../apps/points-api/group-inspector.ts";
import { COMMANDS_TOPIC, EVENTS_TOPIC } from "../apps/shared/topics.ts";
import { createKafka } from "../broker/client/factory.ts";
import { logLevel } from "../broker/client/index.ts";
import { processUsage } from "../seed/fault/processes.ts";
import { startFreshSystem, startSystemService } from "../seed/lab/lab.ts";
import { anomalyCount } from "../seed/lab/rebalance/rebalance-report.ts";
import { verifyAgainstLedger } from "../seed/lab/verify-run.ts";
import { driveHttp } from "../seed/load/drivers.ts";
import { generateWorkload } from "../seed/load/workload.ts";
import { int, log, printTable, round, sleep, writeResults } from "./lib.ts";
import { judgeTrend, type Sample, type Trend } from "./soak-trend.ts";

export interface SoakOptions {
  quick: boolean;
  minutes: number;
  /** Commands per second. */
  rate: number;
}

export const soakDefaults = (quick: boolean, minutes?: number, rate?: number): SoakOptions => ({
  quick,
  minutes: minutes ?? (quick ? 2 : 30),
  rate: rate ?? 150,
});

const USERS = 1_000;
const PARTITIONS = 6;
const SERVICES = ["ledger", "notification", "analytics", "points-api"] as const;
const GROUPS = [
  { groupId: "ledger", topic: COMMANDS_TOPIC },
  { groupId: "notification", topic: EVENTS_TOPIC },
  { groupId: "analytics", topic: EVENTS_TOPIC },
] as const;
const MiB = 2 ** 20;

/**
 * How far each kind of series may rise and still be flat: memory by a tenth or 16 MiB (a heap
 * breathes), the floor of descriptors by 2 (a connection being replaced; the load generator's
 * keep-alive connections to points-api come and go above the floor), lag by two seconds of commands.
 */
const allowedRise = {
  rssBytes: (first: number) => Math.max(first / 10, 16 * MiB),
  openFds: () => 2,
  lag: (rate: number) => () => rate * 2,
};

type Metric = "rssBytes" | "openFds" | "lag";

interface Series {
  /** "broker", a service's name, or a group id for lag. */
  owner: string;
  metric: Metric;
  samples: Sample[];
}

export async function runSoakSuite(options: SoakOptions): Promise<void> {
  const { rate } = options;
  const runSeconds = options.minutes * 60;
  const sampleEveryMs = Math.max(2_000, Math.min(15_000, (runSeconds * 1000) / 100));
  log(
    "soak",
    `${options.minutes} min at ${rate} commands/s over HTTP through broker, points-api, ledger, notification and analytics; a sample every ${sampleEveryMs / 1000} s`,
  );
  const workDir = mkdtempSync(path.join(tmpdir(), "bench-soak-"));
  const workload = generateWorkload({ users: USERS, commands: Math.ceil(rate * runSeconds * 1.5) + 1_000, seed: 30 });
  const system = await startFreshSystem("soak", { partitions: PARTITIONS, users: workload.users }, workDir, (line) =>
    log("soak", line),
  );
  const kafka = await createKafka({ clientId: "soak", brokers: system.brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const until = new AbortController();
  let driving: Promise<unknown> | undefined;
  try {
    let apiUrl = "";
    for (const name of SERVICES) {
      const match = await startSystemService(system, `soak/${name}`, name);
      if (name === "points-api") apiUrl = match[1]!;
    }
    await admin.connect();
    const inspector = createKafkaGroupInspector(admin);
    const processes = system.supervisor.children().map((c) => ({ owner: c.label.replace(/^soak\//, ""), pid: c.pid! }));

    let accepted = 0;
    const started = performance.now();
    const issuing = driveHttp(apiUrl, workload.commands, {
      rate,
      concurrency: 16,
      until: until.signal,
      terminalKeys: system.terminalKeys,
      onProgress: (n) => (accepted = n),
    });
    driving = issuing.catch(() => {});
    let driveFailure: Error | undefined;
    issuing.catch((error: Error) => {
      driveFailure = error;
    });

    const series = new Map<string, Series>();
    const record = (owner: string, metric: Metric, t: number, value: number) => {
      const key = `${owner} ${metric}`;
      if (!series.has(key)) series.set(key, { owner, metric, samples: [] });
      series.get(key)!.samples.push({ t, value });
    };
    const died: string[] = [];
    const groupLag = async (groupId: string, topic: string): Promise<number> => {
      const snapshot = await inspector.snapshot(groupId, topic);
      const committed = new Map(snapshot.committed.map((c) => [c.partition, BigInt(c.offset)]));
      return snapshot.ends.reduce((sum, end) => {
        const at = committed.get(end.partition) ?? -1n;
        return sum + Number(BigInt(end.high) - (at < 0n ? BigInt(end.low) : at));
      }, 0);
    };

    let nextSample = started;
    let lastLine = { t: 0, accepted: 0 };
    while (performance.now() - started < runSeconds * 1000 && driveFailure === undefined && died.length === 0) {
      nextSample += sampleEveryMs;
      await sleep(Math.max(0, nextSample - performance.now()));
      const t = (performance.now() - started) / 1000;
      for (const { owner, pid } of processes) {
        const usage = processUsage(pid);
        if (usage === null) {
          died.push(`${owner} (pid ${pid}) is gone at ${t.toFixed(0)} s`);
          continue;
        }
        record(owner, "rssBytes", t, usage.rssBytes);
        record(owner, "openFds", t, usage.openFds);
      }
      for (const { groupId, topic } of GROUPS) record(groupId, "lag", t, await groupLag(groupId, topic));
      if (t - lastLine.t >= 60) {
        const lags = GROUPS.map((g) => `${g.groupId} ${series.get(`${g.groupId} lag`)!.samples.at(-1)!.value}`);
        const perSec = Math.round((accepted - lastLine.accepted) / (t - lastLine.t));
        log("soak", `${(t / 60).toFixed(0)} min: ${int(accepted)} accepted (${perSec}/s), lag ${lags.join(", ")}`);
        lastLine = { t, accepted };
      }
    }
    until.abort();
    const issued = await issuing;
    const seconds = (performance.now() - started) / 1000;
    log("soak", `${int(issued.length)} commands accepted in ${seconds.toFixed(0)} s; verifying the ledger`);
    const acceptedIds = new Set(issued.map((r) => r.commandId));
    const verification = await verifyAgainstLedger(system.config.databaseUrl, {
      seed: workload.seed,
      users: USERS,
      commands: workload.commands.filter((c) => acceptedIds.has(c.commandId)),
      issued,
      openingBalances: {},
    });

    const trends = [...series.values()].map((s) => ({
      owner: s.owner,
      metric: s.metric,
      ...judgeTrend(
        s.samples,
        seconds,
        s.metric === "lag" ? allowedRise.lag(rate) : allowedRise[s.metric],
        s.metric === "openFds" ? "floor" : "median",
      ),
      max: Math.max(...s.samples.map((x) => x.value)),
    }));
    printSoakTable(trends);
    const anomalies = anomalyCount(verification.anomalies);
    log(
      "soak",
      `ledger: ${int(verification.applied)} entries for ${int(issued.length)} commands accepted, ${anomalies} anomalies against the replay`,
    );
    const file = writeResults("soak.json", {
      suite: "soak",
      quick: options.quick,
      settings: { minutes: options.minutes, rate, users: USERS, partitions: PARTITIONS, sampleEveryMs },
      seconds: round(seconds, 1),
      accepted: issued.length,
      acceptedPerSec: Math.round(issued.length / seconds),
      applied: verification.applied,
      anomalies: verification.anomalies,
      died,
      trends,
      series: Object.fromEntries([...series].map(([key, s]) => [key, s.samples.map((x) => [round(x.t, 1), x.value])])),
    });
    log("soak", `results in ${file}`);

    const growing = trends.filter((t) => !t.flat).map((t) => `${t.owner} ${t.metric}`);
    const failures = [
      ...died,
      ...(driveFailure ? [`the load failed: ${driveFailure.message}`] : []),
      ...(growing.length > 0 ? [`not flat: ${growing.join(", ")}`] : []),
      ...(anomalies > 0 ? [`${anomalies} anomalies: ${JSON.stringify(verification.examples)}`] : []),
      ...(verification.applied !== issued.length
        ? [`${verification.applied} entries for ${issued.length} accepted`]
        : []),
    ];
    if (failures.length > 0) throw new Error(`SOAK FAILED: ${failures.join("; ")}`);
    log(
      "soak",
      "every process's memory and descriptors and every group's lag stayed flat; the ledger matches the replay",
    );
  } finally {
    until.abort();
    await driving;
    await admin.disconnect().catch(() => {});
    await system.supervisor.stopAll();
    rmSync(workDir, { recursive: true, force: true });
  }
}

function printSoakTable(trends: Array<Trend & { owner: string; metric: Metric; max: number }>): void {
  const show = (metric: Metric, value: number): string =>
    metric === "rssBytes"
      ? `${(value / MiB).toFixed(1)} MiB`
      : metric === "lag"
        ? int(Math.round(value))
        : String(value);
  console.log();
  printTable(
    ["process / group", "measure", "level", "first fifth", "last fifth", "rise", "allowed", "max", "slope / h", "flat"],
    trends.map((t) => [
      t.owner,
      t.metric === "rssBytes" ? "RSS" : t.metric === "openFds" ? "open fds" : "lag (records)",
      t.level,
      show(t.metric, t.first),
      show(t.metric, t.last),
      show(t.metric, t.rise),
      show(t.metric, t.allowedRise),
      show(t.metric, t.max),
      show(t.metric, Math.round(t.slopePerHour)),
      t.flat ? "yes" : "NO",
    ]),
  );
}
