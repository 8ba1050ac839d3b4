// The ledger crash loop: the points pipeline (a broker, points-api, one ledger) takes commands over
// HTTP at a steady rate while the ledger is killed with kill -9 again and again, each time started
// again; then the ordering lab's verifier checks that every accepted command was applied exactly
// once, in order, with the balances of a sequential replay and none below zero.
//
// Where a kill lands is left to chance (a seeded schedule): most come while the ledger is applying,
// at a random moment after it applied its first command of that life (mid-transaction, between the
// commit and the events, between the events and the offset commit: wherever the moment falls);
// some come right after its start, while it joins the group. Kills are never timed from the kill
// before: each waits for the ledger it kills to be up, so a slow machine stretches the run, it
// never changes what is checked.
//
// Ownership: runCrashLoop owns the system it starts (stopped and removed at the end) and the
// schedule's progress (`kills`).
import { rmSync } from "node:fs";
import { createDb } from "../../apps/shared/db/client.ts";
import { ownerDatabaseUrl } from "../../apps/shared/db/service-databases.ts";
import { startFreshSystem, startSystemService } from "../lab/lab.ts";
import { type RunVerification, verifyAgainstLedger } from "../lab/verify-run.ts";
import { driveHttp } from "../load/drivers.ts";
import { generateWorkload, seededRandom } from "../load/workload.ts";
import { crash } from "./processes.ts";
import { waitUntil } from "./wait-until.ts";

export interface CrashLoopOptions {
  kills: number;
  /** Commands per second through points-api, all through the run. */
  rate: number;
  users: number;
  /** Seeds the workload and the kill schedule. */
  seed: number;
  partitions: number;
  /** A kill while applying comes up to this long after the ledger's first applied command of its life. */
  maxDelayMs: number;
  /** The share of kills that come right after the start instead (default 0.2). */
  startingShare?: number;
  /** Removed first, and at the end. */
  workDir: string;
  log: (line: string) => void;
}

export type KillKind = "applying" | "starting";

export interface ScheduledKill {
  kind: KillKind;
  /** After the first applied command of the life ("applying") or after the ready line ("starting"). */
  delayMs: number;
}

export interface KillRecord extends ScheduledKill {
  pid: number;
  /** From the ready line to the kill. */
  lifeMs: number;
  /** Entries the ledger wrote in this life. */
  appliedInLife: number;
  /** Entries in the ledger's table, and commands points-api had accepted, when it was killed. */
  appliedAtKill: number;
  acceptedAtKill: number;
  /** From the kill to the next ledger's ready line. */
  restartMs: number;
  /** From the kill to the next ledger's first applied command, when it got that far before its own kill. */
  resumeMs: number | null;
}

export interface CrashLoopResult {
  kills: KillRecord[];
  /** Commands points-api accepted (the verified ones). */
  accepted: number;
  seconds: number;
  verification: RunVerification;
}

/** When a kill is and whom the group coordinator waits for: the ledger's session timeout. */
const LEDGER_SESSION_TIMEOUT_MS = 3_000;
/** How long the last ledger serves the load before it stops, so the run ends on a recovered ledger. */
const TAIL_MS = 2_000;
/** A ledger that applies nothing for this long after its start is broken, not slow. */
const APPLY_TIMEOUT_MS = 120_000;

/** The kills in order, from `seed`: what each waits for and how long after it. */
export function crashSchedule(kills: number, seed: number, maxDelayMs: number, startingShare = 0.2): ScheduledKill[] {
  const random = seededRandom(seed ^ 0x5eed);
  return Array.from({ length: kills }, () =>
    random() < startingShare
      ? { kind: "starting", delayMs: Math.round(random() * 1_000) }
      : { kind: "applying", delayMs: Math.round(random() * maxDelayMs) },
  );
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function runCrashLoop(options: CrashLoopOptions): Promise<CrashLoopResult> {
  const { log, rate } = options;
  const schedule = crashSchedule(options.kills, options.seed, options.maxDelayMs, options.startingShare);
  // More commands than the run can take at `rate`; it stops issuing once the kills are done.
  const expectedSeconds = (options.kills * (LEDGER_SESSION_TIMEOUT_MS + options.maxDelayMs + 8_000)) / 1000 + 60;
  const workload = generateWorkload({
    users: options.users,
    commands: Math.ceil(rate * expectedSeconds * 2),
    seed: options.seed,
  });
  const started = performance.now();
  const system = await startFreshSystem(
    "crashloop",
    { partitions: options.partitions, users: workload.users, brokerConfig: ["group.min.session.timeout.ms=1000"] },
    options.workDir,
    log,
  );
  const db = createDb(ownerDatabaseUrl(system.config.databaseUrl, "ledger"));
  const until = new AbortController();
  let issuing: Promise<unknown> | undefined;
  try {
    const ledgerLabel = "crashloop/ledger";
    await startSystemService(system, ledgerLabel, "ledger", {
      LEDGER_SESSION_TIMEOUT_MS: String(LEDGER_SESSION_TIMEOUT_MS),
    });
    const apiUrl = (await startSystemService(system, "crashloop/points-api", "points-api"))[1]!;
    let accepted = 0;
    const driving = driveHttp(apiUrl, workload.commands, {
      rate,
      concurrency: 16,
      until: until.signal,
      terminalKeys: system.terminalKeys,
      onProgress: (n) => (accepted = n),
    });
    issuing = driving.catch(() => {}); // awaited below; never left unhandled if a kill step fails first
    /** Rejects as soon as the load fails (a refused command, say): nothing would flow to wait for. */
    const loadFailed = driving.then(
      () => new Promise<never>(() => {}),
      (error: Error) => Promise.reject(new Error(`the load failed: ${error.message}`, { cause: error })),
    );
    loadFailed.catch(() => {});

    const entries = async () => db.ledgerEntry.count();
    /** Waits until the ledger has written more than `than` entries; resolves with when. */
    const firstApplied = async (than: number): Promise<number> => {
      await Promise.race([
        loadFailed,
        waitUntil(async () => (await entries()) > than, {
          timeoutMs: APPLY_TIMEOUT_MS,
          intervalMs: 20,
          message: `the ledger applying beyond entry ${than}`,
        }),
      ]);
      return Date.now();
    };

    const kills: KillRecord[] = [];
    let readyAt = Date.now();
    let appliedAtReady = await entries();
    let killedAt = 0;
    /** Waits for this life's first applied command; the kill before it is recovered from then. */
    const resumed = async () => {
      const appliedAt = await firstApplied(appliedAtReady);
      const previous = kills.at(-1);
      if (previous) previous.resumeMs = appliedAt - killedAt;
    };
    for (const [index, planned] of schedule.entries()) {
      if (planned.kind === "applying") await resumed();
      await sleep(planned.delayMs);
      const pid = system.supervisor.children().find((c) => c.label === ledgerLabel)?.pid;
      if (pid == null) throw new Error(`kill ${index + 1}: the ledger is not running`);
      const acceptedAtKill = accepted;
      await crash(pid);
      killedAt = Date.now();
      const appliedAtKill = await entries();
      // The supervisor has seen the exit once it lists the ledger as stopped: then it starts again.
      await waitUntil(() => system.supervisor.children().find((c) => c.label === ledgerLabel)?.status === "stopped", {
        timeoutMs: 10_000,
        intervalMs: 10,
        message: `the supervisor seeing ledger ${pid} exit`,
      });
      await system.supervisor.startAgain(ledgerLabel);
      const record: KillRecord = {
        ...planned,
        pid,
        lifeMs: killedAt - readyAt,
        appliedInLife: appliedAtKill - appliedAtReady,
        appliedAtKill,
        acceptedAtKill,
        restartMs: Date.now() - killedAt,
        resumeMs: null,
      };
      kills.push(record);
      readyAt = Date.now();
      appliedAtReady = appliedAtKill;
      log(
        `kill ${kills.length}/${schedule.length} (${record.kind}): pid ${pid} after ${(record.lifeMs / 1000).toFixed(1)} s, ${record.appliedInLife} applied in its life, ${appliedAtKill} of ${acceptedAtKill} accepted applied; up again in ${(record.restartMs / 1000).toFixed(1)} s`,
      );
    }
    await resumed();
    await sleep(TAIL_MS);
    until.abort();
    const issued = await driving;
    const acceptedIds = new Set(issued.map((r) => r.commandId));
    log(`${issued.length} commands accepted; verifying against the ledger`);
    const verification = await verifyAgainstLedger(system.config.databaseUrl, {
      seed: options.seed,
      users: options.users,
      commands: workload.commands.filter((c) => acceptedIds.has(c.commandId)),
      issued,
      openingBalances: {},
    });
    return { kills, accepted: issued.length, seconds: (performance.now() - started) / 1000, verification };
  } finally {
    until.abort();
    await issuing;
    await db.$disconnect();
    await system.supervisor.stopAll();
    rmSync(options.workDir, { recursive: true, force: true });
  }
}
