// The cost of a command: CPU time spent per command by every process of the points pipeline (the
// broker, points-api, the ledger, notification and analytics, each its own process), the load
// generator (this process) left out. One system takes commands over HTTP at fixed rates (1,000,
// 3,000 and 5,000 commands/s by default), each for a warm-up and then a measured window; each
// process's utime+stime (/proc/<pid>/stat) is read at the window's start and end, and the
// difference divided by the commands accepted in it. CPU time, unlike throughput, holds from
// machine to machine on a shared box. Then an unpaced window: the most it sustains (commands
// committed per second) and what a command costs there. Before the rates, an idle window: what
// each process burns with nothing to do. Accepted → committed per rate is the
// points suite's measure (commit-times.ts, verify-run.ts's timing). With `cpuProfDir`, every
// process of the system writes a V8 CPU profile there when it stops (cpu-profile.mjs). Each window
// also counts the requests the broker answered per command (its /metrics, request-counts.ts), and
// the run ends with the CPU a bare loopback round trip costs (round-trip-floor.ts): together they
// show the floor a command's round trips put under its cost when each travels alone. At each fixed
// rate a bare node:http server is then driven the same way (http-floor.ts): the floor under
// points-api's share, measured in the same run.
//
// Ownership: runCostSuite owns the system it starts.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePorts } from "../apps/broker-cluster.ts";
import { processCpuTicks } from "../seed/fault/processes.ts";
import { readCommitTimes } from "../seed/lab/commit-times.ts";
import { startFreshSystem, startSystemService } from "../seed/lab/lab.ts";
import { timing } from "../seed/lab/verify-run.ts";
import { driveHttp, type IssueRecord } from "../seed/load/drivers.ts";
import { generateWorkload, type IssuedCommand } from "../seed/load/workload.ts";
import { httpFloorUsPerRequest } from "./http-floor.ts";
import { int, log, printTable, round, sleep, writeResults } from "./lib.ts";
import { type RequestCounts, readRequestCounts, requestsPerCommand } from "./request-counts.ts";
import { pacedRoundTripFloorUs, roundTripFloorUs } from "./round-trip-floor.ts";
import { durableCommitFloorUs } from "./sqlite-commit-floor.ts";

export interface CostOptions {
  quick: boolean;
  /** Fixed rates, commands/s; the unpaced window follows them. */
  rates: number[];
  warmupSeconds: number;
  windowSeconds: number;
  /** A window with no load first: each process's CPU when idle. */
  idleSeconds: number;
  /** Where the processes write their --cpu-prof profiles; none when undefined. */
  cpuProfDir?: string;
}

export const costDefaults = (quick: boolean, rate?: number, cpuProfDir?: string): CostOptions => ({
  quick,
  rates: rate === undefined ? [1_000, 3_000, 5_000] : [rate],
  warmupSeconds: quick ? 3 : 8,
  windowSeconds: quick ? 6 : 20,
  idleSeconds: quick ? 3 : 6,
  cpuProfDir,
});

const USERS = 1_000;
const PARTITIONS = 6;
/** Requests in flight: enough for 5,000/s at tens of ms each, and for the unpaced window. */
const CONCURRENCY = 64;
const SERVICES = ["ledger", "notification", "analytics", "points-api"] as const;
const PROCESSES = ["broker", ...SERVICES] as const;
type ProcessName = (typeof PROCESSES)[number];

interface CostRow {
  /** Commands/s asked for; null for the unpaced window. */
  rate: number | null;
  windowSeconds: number;
  acceptedPerSec: number;
  /** Commands the ledger committed per second in the window (outcome events' timestamps). */
  committedPerSec: number;
  /** CPU µs per command accepted in the window, by process and summed. */
  cpuUsPerCommand: Record<ProcessName, number> & { total: number };
  /** Share of one core each process used in the window, summed. */
  coresUsed: number;
  /** Accepted → committed, of the commands accepted in the window. */
  latencyMs: { p50: number; p95: number; p99: number };
  /** Times each process's main thread went to sleep and was woken, per command accepted. */
  wakeupsPerCommand: Record<ProcessName, number>;
  /** Requests the broker answered per command accepted, by API, and their sum (each Fetch once). */
  requestsPerCommand: RequestCounts & { total: number };
  /** CPU µs per request of a bare node:http server driven the same way at this rate; null unpaced. */
  bareHttpServerUs: number | null;
  /**
   * What a command costs when each of its round trips wakes both ends (as at a low rate): the
   * broker requests × the paced round trip, the services' durable SQLite commits (one per
   * OffsetCommit: each commits its offsets after its transaction) × one commit, and the bare HTTP
   * request. Null without a bare HTTP figure.
   */
  wokenFloorUs: number | null;
}

/** The floors measured once per run, after the system stopped: nothing else runs then. */
interface Floors {
  /** Both ends in one process, back to back (round-trip-floor.ts). */
  roundTripFloorUs: number;
  /** Two processes, one round trip per ms: each end sleeps and is woken (round-trip-floor.ts). */
  pacedRoundTripFloorUs: number;
  /** One durable one-row SQLite commit (sqlite-commit-floor.ts). */
  durableCommitFloorUs: number;
}

function wokenFloorUs(row: CostRow, floors: Floors): number | null {
  if (row.bareHttpServerUs === null) return null;
  const commits = row.requestsPerCommand.OffsetCommit ?? 0;
  return round(
    row.requestsPerCommand.total * floors.pacedRoundTripFloorUs +
      commits * floors.durableCommitFloorUs +
      row.bareHttpServerUs,
    0,
  );
}

interface Window {
  rate: number | null;
  startMs: number;
  endMs: number;
  accepted: number;
  ticks: Record<ProcessName, number>;
  wakeups: Record<ProcessName, number>;
  records: IssueRecord[];
  requests: RequestCounts;
}

export async function runCostSuite(options: CostOptions): Promise<CostRow[]> {
  const ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
  const stepSeconds = options.warmupSeconds + options.windowSeconds;
  const steps: Array<number | null> = [...options.rates, null];
  // Enough commands for every step (the unpaced one at up to 10,000/s), plus slack.
  const perStep = (rate: number | null) => Math.ceil((rate ?? 10_000) * stepSeconds * 1.3);
  const workload = generateWorkload({
    users: USERS,
    commands: steps.reduce<number>((n, rate) => n + perStep(rate), 0),
    seed: 16,
  });
  log(
    "cost",
    `rates ${options.rates.map(int).join(", ")} commands/s then unpaced, each ${options.warmupSeconds} s warm-up + ${options.windowSeconds} s measured, over HTTP through ${PROCESSES.join(", ")}`,
  );
  const workDir = mkdtempSync(path.join(tmpdir(), "bench-cost-"));
  const inheritedNodeOptions = process.env.NODE_OPTIONS;
  if (options.cpuProfDir) {
    mkdirSync(options.cpuProfDir, { recursive: true });
    // The children inherit this process's environment (the supervisor spawns them with it); node
    // refuses --cpu-prof there, so a preload does its work (see cpu-profile.mjs).
    const preload = fileURLToPath(new URL("./cpu-profile.mjs", import.meta.url));
    process.env.NODE_OPTIONS = `${inheritedNodeOptions ?? ""} --import=${preload}`;
    process.env.CPU_PROF_DIR = path.resolve(options.cpuProfDir);
  }
  const [adminPort] = await freePorts("127.0.0.1", 1);
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const system = await startFreshSystem(
    "cost",
    { partitions: PARTITIONS, users: workload.users, brokerArgs: ["--admin-port", String(adminPort)] },
    workDir,
    (line) => log("cost", line),
  );
  const windows: Window[] = [];
  const records: IssueRecord[] = [];
  try {
    let apiUrl = "";
    for (const name of SERVICES) {
      const match = await startSystemService(system, `cost/${name}`, name);
      if (name === "points-api") apiUrl = match[1]!;
    }
    const pids = Object.fromEntries(
      system.supervisor.children().map((c) => [c.label.replace(/^cost\//, ""), c.pid!]),
    ) as Record<ProcessName, number>;
    const readTicks = (): Record<ProcessName, number> =>
      Object.fromEntries(
        PROCESSES.map((name) => {
          const ticks = processCpuTicks(pids[name]);
          if (ticks === null) throw new Error(`${name} (pid ${pids[name]}) is gone`);
          return [name, ticks];
        }),
      ) as Record<ProcessName, number>;
    const readWakeups = (): Record<ProcessName, number> =>
      Object.fromEntries(PROCESSES.map((name) => [name, mainThreadWakeups(pids[name])])) as Record<ProcessName, number>;

    // What the processes burn with nothing to do (heartbeats, timers): the floor a slow rate pays.
    const idleStart = { at: Date.now(), ticks: readTicks() };
    await sleep(options.idleSeconds * 1000);
    const idleTicks = readTicks();
    const idleSeconds = (Date.now() - idleStart.at) / 1000;
    const idleCores = Object.fromEntries(
      PROCESSES.map((p) => [p, round((idleTicks[p] - idleStart.ticks[p]) / ticksPerSecond / idleSeconds, 3)]),
    ) as Record<ProcessName, number>;
    log("cost", `idle: ${PROCESSES.map((p) => `${p} ${idleCores[p]}`).join(", ")} cores`);

    let next = 0;
    for (const rate of steps) {
      const commands: IssuedCommand[] = workload.commands.slice(next, next + perStep(rate));
      next += commands.length;
      const until = new AbortController();
      let accepted = 0;
      const driving = driveHttp(apiUrl, commands, {
        rate: rate ?? undefined,
        concurrency: CONCURRENCY,
        until: until.signal,
        terminalKeys: system.terminalKeys,
        onProgress: (n) => (accepted = n),
      });
      let failure: Error | undefined;
      driving.catch((error: Error) => (failure = error));
      await sleep(options.warmupSeconds * 1000);
      const sample = async () => ({
        at: Date.now(),
        accepted,
        ticks: readTicks(),
        wakeups: readWakeups(),
        requests: await readRequestCounts(adminUrl),
      });
      const before = await sample();
      await sleep(options.windowSeconds * 1000);
      const after = await sample();
      until.abort();
      const issued = await driving.catch(() => []);
      if (failure) throw failure;
      if (accepted >= commands.length) throw new Error(`the ${rate ?? "unpaced"} step ran out of commands`);
      for (const record of issued) records.push(record);
      const ticks = Object.fromEntries(PROCESSES.map((p) => [p, after.ticks[p] - before.ticks[p]])) as Record<
        ProcessName,
        number
      >;
      const window: Window = {
        rate,
        startMs: before.at,
        endMs: after.at,
        accepted: after.accepted - before.accepted,
        ticks,
        wakeups: Object.fromEntries(PROCESSES.map((p) => [p, after.wakeups[p] - before.wakeups[p]])) as Record<
          ProcessName,
          number
        >,
        requests: requestsPerCommand(before.requests, after.requests, after.accepted - before.accepted),
        records: issued.filter((r) => r.acceptedAt >= before.at && r.acceptedAt < after.at),
      };
      windows.push(window);
      const cpu = Object.values(ticks).reduce((a, b) => a + b, 0) / ticksPerSecond;
      log(
        "cost",
        `${rate === null ? "unpaced" : `${int(rate)}/s`}: ${int(window.accepted)} accepted in ${round((window.endMs - window.startMs) / 1000, 1)} s, ${round((cpu * 1e6) / window.accepted, 0)} µs CPU per command`,
      );
      // Let the pipeline drain so that one step's backlog is not the next one's cost.
      await sleep(2_000);
    }

    const committedAt = await readCommitTimes(system.brokers, new Set(records.map((r) => r.commandId)), {
      quietMs: 5_000,
    });
    const rows = windows.map((w) => costRow(w, committedAt, ticksPerSecond));
    for (const row of rows) {
      if (row.rate === null) continue;
      const floorWindow = { rate: row.rate, warmupSeconds: 3, windowSeconds: options.quick ? 5 : 10 };
      const floorCommands = workload.commands.slice(0, Math.ceil(row.rate * 14 * 1.3));
      row.bareHttpServerUs = round(
        await httpFloorUsPerRequest(floorWindow, floorCommands, {
          concurrency: CONCURRENCY,
          terminalKeys: system.terminalKeys,
          ticksPerSecond,
        }),
        0,
      );
      log("cost", `${int(row.rate)}/s: a bare node:http server spends ${row.bareHttpServerUs} µs CPU per request`);
    }
    // Measured after the system has stopped working, in this process: nothing else runs in it.
    const floors: Floors = {
      roundTripFloorUs: round(await roundTripFloorUs(), 1),
      pacedRoundTripFloorUs: round(await pacedRoundTripFloorUs(), 1),
      durableCommitFloorUs: round(await durableCommitFloorUs(), 1),
    };
    for (const row of rows) row.wokenFloorUs = wokenFloorUs(row, floors);
    printCostTable(rows, floors);
    const file = writeResults("cost.json", {
      suite: "cost",
      quick: options.quick,
      settings: {
        users: USERS,
        partitions: PARTITIONS,
        concurrency: CONCURRENCY,
        warmupSeconds: options.warmupSeconds,
        windowSeconds: options.windowSeconds,
        clockTicksPerSecond: ticksPerSecond,
        cpuProfiles: options.cpuProfDir !== undefined,
      },
      idleCores,
      ...floors,
      note: "requestsPerCommand: requests the broker answered per command accepted, by API; roundTripFloorUs: CPU of one 200-byte request/response pair over loopback TCP, both ends in one process doing nothing else (round-trip-floor.ts). requestsPerCommand.total × roundTripFloorUs is what the round trips alone cost a command, HTTP left out; pacedRoundTripFloorUs: the same pair between two processes, one per millisecond, so both ends sleep and are woken each time (as at 1,000 commands/s); durableCommitFloorUs: CPU of one one-row SQLite commit in WAL mode with synchronous FULL, mostly the kernel's fsync (sqlite-commit-floor.ts); wokenFloorUs: requestsPerCommand.total × pacedRoundTripFloorUs + requestsPerCommand.OffsetCommit × durableCommitFloorUs (each service commits offsets after each of its transactions) + bareHttpServerUs, what a command costs when every hop wakes its processes; bareHttpServerUs: CPU per request of a bare node:http server (read the body, JSON.parse, answer 202) driven by the same driver at the same rate after the pipeline's windows, the floor under points-api's column (http-floor.ts); wakeupsPerCommand: voluntary context switches of each process's main thread per command (each is an epoll sleep and a wake-up).",
      rows,
    });
    log("cost", `results in ${file}`);
    return rows;
  } finally {
    await system.supervisor.stopAll();
    if (inheritedNodeOptions === undefined) delete process.env.NODE_OPTIONS;
    else process.env.NODE_OPTIONS = inheritedNodeOptions;
    delete process.env.CPU_PROF_DIR;
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** Voluntary context switches of the process's main thread: how often it slept and was woken. */
function mainThreadWakeups(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = /^voluntary_ctxt_switches:\s+(\d+)$/m.exec(status);
  if (!match) throw new Error(`no voluntary_ctxt_switches in /proc/${pid}/status`);
  return Number(match[1]);
}

/** The broker counts a Fetch twice: as Fetch and as FetchConsumer or FetchFollower (as Kafka does). */
const FETCH_KINDS = new Set(["FetchConsumer", "FetchFollower"]);

function costRow(w: Window, committedAt: ReadonlyMap<string, number>, ticksPerSecond: number): CostRow {
  const seconds = (w.endMs - w.startMs) / 1000;
  const perCommand = (ticks: number) => round((ticks / ticksPerSecond / w.accepted) * 1e6, 0);
  const totalTicks = Object.values(w.ticks).reduce((a, b) => a + b, 0);
  let committed = 0;
  for (const at of committedAt.values()) if (at >= w.startMs && at < w.endMs) committed++;
  return {
    rate: w.rate,
    windowSeconds: round(seconds, 1),
    acceptedPerSec: Math.round(w.accepted / seconds),
    committedPerSec: Math.round(committed / seconds),
    cpuUsPerCommand: {
      ...(Object.fromEntries(PROCESSES.map((p) => [p, perCommand(w.ticks[p])])) as Record<ProcessName, number>),
      total: perCommand(totalTicks),
    },
    coresUsed: round(totalTicks / ticksPerSecond / seconds, 2),
    wakeupsPerCommand: Object.fromEntries(PROCESSES.map((p) => [p, round(w.wakeups[p] / w.accepted, 2)])) as Record<
      ProcessName,
      number
    >,
    requestsPerCommand: {
      ...w.requests,
      total: round(
        Object.entries(w.requests)
          .filter(([api]) => !FETCH_KINDS.has(api))
          .reduce((sum, [, n]) => sum + n, 0),
        2,
      ),
    },
    // The warm-up is already behind the window: every command accepted in it counts.
    latencyMs: timing(w.records, committedAt, 0, (r) => r.acceptedAt).latencyMs,
    bareHttpServerUs: null,
    wokenFloorUs: null,
  };
}

function printCostTable(rows: CostRow[], floors: Floors): void {
  console.log("\nCPU µs per command by process (utime+stime over the window ÷ commands accepted in it)");
  printTable(
    [
      "rate /s",
      "accepted /s",
      "committed /s",
      ...PROCESSES,
      "total µs",
      "bare http µs",
      "woken floor µs",
      "cores",
      "p50 ms",
      "p99 ms",
    ],
    rows.map((r) => [
      r.rate === null ? "unpaced" : int(r.rate),
      int(r.acceptedPerSec),
      int(r.committedPerSec),
      ...PROCESSES.map((p) => String(r.cpuUsPerCommand[p])),
      String(r.cpuUsPerCommand.total),
      r.bareHttpServerUs === null ? "-" : String(r.bareHttpServerUs),
      r.wokenFloorUs === null ? "-" : String(r.wokenFloorUs),
      String(r.coresUsed),
      String(r.latencyMs.p50),
      String(r.latencyMs.p99),
    ]),
  );
  console.log("p50/p99: accepted → committed of the commands accepted in the window");
  console.log(
    "bare http µs: CPU per request of a bare node:http server (http-floor-server.mjs) driven the same way at the same rate",
  );
  console.log(
    `woken floor µs: broker requests × ${floors.pacedRoundTripFloorUs} µs (a round trip whose two processes are woken) + OffsetCommits × ${floors.durableCommitFloorUs} µs (a durable SQLite commit) + bare http`,
  );
  const floorUs = floors.roundTripFloorUs;
  console.log(`\nBroker requests per command (a loopback round trip costs at least ${floorUs} µs of CPU, both ends)`);
  for (const r of rows) {
    const apis = Object.entries(r.requestsPerCommand)
      .filter(([api]) => api !== "total")
      .map(([api, n]) => `${api} ${n}`)
      .join(", ");
    const wakeups = PROCESSES.map((p) => `${p} ${r.wakeupsPerCommand[p]}`).join(", ");
    console.log(
      `${r.rate === null ? "unpaced" : `${int(r.rate)}/s`}: ${r.requestsPerCommand.total} (${apis}) → ≥ ${round(r.requestsPerCommand.total * floorUs, 0)} µs; wakeups per command: ${wakeups}`,
    );
  }
}
