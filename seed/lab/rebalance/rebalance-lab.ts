// The rebalance lab: what a rebalance costs under each way of running a consumer group. For each
// variant, a fresh system (a bundled broker, the SQLite file; see startFreshSystem in ../lab.ts)
// and a group of ledger members (member-fleet.ts) consume the same seeded keyed workload, issued
// through the producer, while the same seeded churn (schedule.ts) happens to the group: a member
// joins, one leaves, one crashes, one restarts. The members' event logs become a timeline and its
// figures (timeline.ts); the ledger is verified against a sequential replay as in the ordering lab.
//
// A variant whose client feature is missing is reported as not available, with the reason; it is
// never run in another variant's clothes.
//
// Owner of mutable state: none beyond each run's locals (the system and fleet live for one variant).
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { clientGroupFeatures } from "../../../apps/ledger/group-options.ts";
import { driveDirect } from "../../load/drivers.ts";
import { generateWorkload, type Workload } from "../../load/workload.ts";
import { startFreshSystem } from "../lab.ts";
import { verifyAgainstLedger } from "../verify-run.ts";
import { type FleetMarker, MemberFleet } from "./member-fleet.ts";
import {
  type RebalanceReport,
  renderRebalanceReportHtml,
  type VariantResult,
  type VariantTimeline,
} from "./rebalance-report.ts";
import { type ChurnKind, type ChurnSchedule, churnSchedule } from "./schedule.ts";
import { currentlyOwned, type MemberHistory, rebalanceFigures } from "./timeline.ts";

export const rebalanceVariants = ["eager", "cooperative", "static", "consumer"] as const;
export type RebalanceVariant = (typeof rebalanceVariants)[number];

type Feature = keyof ReturnType<typeof clientGroupFeatures>;

interface VariantSetup {
  title: string;
  description: string;
  /** The client feature it needs, and how its absence reads. */
  requires?: { feature: Feature; missing: string };
  memberEnv(member: string): Record<string, string>;
  brokerConfig?(sessionTimeoutMs: number): string[];
}

export const variantSetups: Record<RebalanceVariant, VariantSetup> = {
  eager: {
    title: "classic, eager (round-robin)",
    description:
      "The classic protocol with kafkajs's default round-robin assignor and the eager rebalance protocol: at every rebalance each member revokes all its partitions, everyone rejoins, then partitions are handed out again.",
    memberEnv: () => ({ LEDGER_ASSIGNOR: "roundrobin" }),
  },
  cooperative: {
    title: "classic, cooperative-sticky",
    description:
      "The classic protocol with the cooperative-sticky assignor (KIP-429, our client's extension): members keep consuming the partitions that stay; only those that move are revoked, and handed out in a second rebalance.",
    requires: { feature: "cooperativeSticky", missing: "our client has no cooperative-sticky assignor yet" },
    memberEnv: () => ({ LEDGER_ASSIGNOR: "cooperative-sticky" }),
  },
  static: {
    title: "classic, static membership (round-robin)",
    description:
      "The classic eager protocol with static members (group.instance.id, KIP-345): a member restarted within the session timeout takes its place back without a rebalance; a member that stops is only noticed when its session times out.",
    requires: { feature: "staticMembership", missing: "our client has no static membership (groupInstanceId) yet" },
    memberEnv: (member) => ({ LEDGER_ASSIGNOR: "roundrobin", LEDGER_INSTANCE_ID: `ledger-${member}` }),
  },
  consumer: {
    title: "KIP-848 consumer protocol",
    description:
      "The next-generation consumer group protocol (KIP-848): no join/sync barrier; members heartbeat, the broker assigns and moves partitions one member at a time, revoking before it assigns.",
    requires: {
      feature: "consumerProtocol",
      missing: 'our client has no groupProtocol: "consumer" (KIP-848) yet',
    },
    memberEnv: () => ({ LEDGER_GROUP_PROTOCOL: "consumer" }),
    brokerConfig: (sessionTimeoutMs) => [
      `group.consumer.session.timeout.ms=${sessionTimeoutMs}`,
      "group.consumer.heartbeat.interval.ms=1000",
    ],
  },
};

export interface RebalanceLabOptions {
  users: number;
  commands: number;
  seed: number;
  partitions: number;
  /** Members at the start (a fifth joins). */
  members: number;
  sessionTimeoutMs: number;
  /** The churn's timing (see ScheduleOptions). */
  leadMs: number;
  settleMs: Record<ChurnKind, number>;
  jitterMs: number;
  variants: RebalanceVariant[];
  outDir: string;
  /** Keep each variant's work directory (broker data, the members' event logs) in outDir. */
  keepWork?: boolean;
  log: (line: string) => void;
}

/** The quick run's settings (`--quick`): about two minutes for the four variants on two cores. */
export function rebalanceLabDefaults(
  quick: boolean,
): Omit<RebalanceLabOptions, "outDir" | "log" | "variants" | "seed"> {
  return quick
    ? {
        users: 60,
        commands: 2_000,
        partitions: 8,
        members: 4,
        sessionTimeoutMs: 6_000,
        leadMs: 800,
        // A member's process takes 2-4 s to start on two busy cores: the joiner's rebalance must not
        // meet the leave's, and the restarted member must be back before the crashed one times out.
        settleMs: { join: 4_500, leave: 7_000, crash: 1_000, restart: 5_000 },
        jitterMs: 300,
      }
    : {
        users: 300,
        commands: 12_000,
        partitions: 12,
        members: 4,
        sessionTimeoutMs: 6_000,
        leadMs: 3_000,
        settleMs: { join: 6_000, leave: 8_000, crash: 1_500, restart: 7_000 },
        jitterMs: 1_000,
      };
}

/** The least time between one action's end and the next action. */
const ACTION_GAP_MS = 1_000;
/** How long the workload goes on after the churn's last settling time. */
const ISSUE_BEYOND_MS = 4_000;

const sleepUntil = (at: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));

/**
 * Waits until every partition is owned by exactly one running member, every running member owns
 * one (when there are enough partitions), and nothing changed for `quietMs`.
 */
async function waitUntilSettled(
  fleet: MemberFleet,
  partitions: number,
  { timeoutMs, quietMs = 500 }: { timeoutMs: number; quietMs?: number },
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  let since = Date.now();
  while (Date.now() < deadline) {
    const histories = fleet.histories();
    const owned = histories.map((h) => ({ running: h.runs.at(-1)?.endedAt === undefined, owned: currentlyOwned(h) }));
    const all = owned.flatMap((o) => o.owned);
    const running = owned.filter((o) => o.running);
    const settled =
      all.length === partitions &&
      new Set(all).size === partitions &&
      running.every((o) => o.owned.length > 0 || running.length > partitions);
    const state = JSON.stringify(owned);
    if (state !== last) {
      last = state;
      since = Date.now();
    }
    if (settled && Date.now() - since >= quietMs) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

async function runVariant(
  variant: RebalanceVariant,
  workload: Workload,
  schedule: ChurnSchedule,
  options: RebalanceLabOptions,
): Promise<VariantResult> {
  const setup = variantSetups[variant];
  const workDir = path.join(options.outDir, `work-rebalance-${variant}`);
  const started = Date.now();
  const system = await startFreshSystem(
    variant,
    {
      partitions: options.partitions,
      users: workload.users,
      brokerConfig: [
        "group.min.session.timeout.ms=1000",
        // The starting members join one rebalance rather than one each (the group is empty only then).
        "group.initial.rebalance.delay.ms=1500",
        ...(setup.brokerConfig?.(options.sessionTimeoutMs) ?? []),
      ],
    },
    workDir,
    options.log,
  );
  try {
    const fleet = new MemberFleet(system.supervisor, {
      label: variant,
      env: { ...system.serviceEnv, LEDGER_SESSION_TIMEOUT_MS: String(options.sessionTimeoutMs) },
      memberEnv: setup.memberEnv,
      eventDir: path.join(workDir, "events"),
      show: system.show,
    });
    const systemUp = Date.now();
    await Promise.all(schedule.initialMembers.map((member) => fleet.start(member)));
    const membersUp = Date.now();
    if (!(await waitUntilSettled(fleet, options.partitions, { timeoutMs: 30_000 })))
      throw new Error(`${variant}: the group of ${schedule.initialMembers.length} did not settle`);

    const from = Date.now();
    const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    options.log(
      `${variant}: broker up in ${seconds(systemUp - started)}, members in ${seconds(membersUp - systemUp)}, group settled in ${seconds(from - membersUp)}; churn starts`,
    );
    // Each action at its time, but never before the one before it is done and had a moment to take
    // effect: on two busy cores a joiner may take seconds to start. A late action shifts the rest,
    // so that the spacing between actions (what makes their rebalances meet or not) stays the same.
    let shift = 0;
    const churn = (async () => {
      let previousDone = 0;
      for (const action of schedule.actions) {
        shift = Math.max(shift, previousDone + ACTION_GAP_MS - (from + action.atMs));
        await sleepUntil(from + action.atMs + shift);
        await fleet.apply(action);
        previousDone = Date.now();
      }
    })();
    // The workload is spread over the whole churn and a little beyond, to be consumed while it
    // happens: with no data flowing a member's fetch long-polls, and an eager rejoin waits for it.
    const issueMs = schedule.durationMs + ISSUE_BEYOND_MS;
    const issuing = driveDirect(system.brokers, workload.commands, {
      rate: Math.ceil((workload.commands.length * 1000) / issueMs),
      concurrency: 4,
      keyed: true,
      chunk: 10,
    });
    const [, issued] = await Promise.all([churn, issuing]);
    await sleepUntil(from + schedule.durationMs + shift);
    await waitUntilSettled(fleet, options.partitions, { timeoutMs: 20_000 });
    const to = Date.now();

    const verified = await verifyAgainstLedger(system.config.databaseUrl, {
      seed: workload.seed,
      users: workload.users.length,
      commands: workload.commands,
      issued,
      openingBalances: {},
    });
    // Read after the verification: redeliveries found while the last commands drained count too.
    const histories = fleet.histories();
    const { intervals, gaps, figures } = rebalanceFigures({ from, to, members: histories });
    options.log(
      `${variant}: churn window ${((to - from) / 1000).toFixed(1)} s, verified after ${((Date.now() - to) / 1000).toFixed(1)} s`,
    );
    const result: VariantResult = {
      variant,
      title: setup.title,
      description: setup.description,
      available: true,
      figures,
      latencyMs: verified.latencyMs,
      throughputPerSec: verified.throughputPerSec,
      anomalies: verified.anomalies,
      examples: verified.examples,
      timeline: timelineOf(from, to, histories, fleet.markers(), intervals, gaps),
      unexpectedExits: fleet.unexpectedExits().map((e) => ({ member: e.member, atMs: e.at - from, how: e.how })),
    };
    for (const exit of result.unexpectedExits)
      options.log(`${variant}: ${exit.member} died on its own (${exit.how}) at ${exit.atMs} ms`);
    return result;
  } finally {
    await system.supervisor.stopAll();
    if (!options.keepWork) rmSync(workDir, { recursive: true, force: true });
  }
}

function timelineOf(
  from: number,
  to: number,
  histories: MemberHistory[],
  markers: FleetMarker[],
  intervals: ReturnType<typeof rebalanceFigures>["intervals"],
  gaps: ReturnType<typeof rebalanceFigures>["gaps"],
): VariantTimeline {
  const rel = (t: number) => Math.max(0, Math.min(to, t) - from);
  return {
    durationMs: to - from,
    members: histories
      .map((h) => h.member)
      .sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)))
      .map((member) => ({
        member,
        runs: histories
          .find((h) => h.member === member)!
          .runs.filter((r) => (r.endedAt ?? to) > from && r.startedAt < to)
          .map((r) => ({ fromMs: rel(r.startedAt), toMs: rel(r.endedAt ?? to) })),
        owned: intervals
          .filter((i) => i.member === member)
          .map((i) => ({ partition: i.partition, fromMs: rel(i.from), toMs: rel(i.to) })),
      })),
    markers: markers.map((m) => ({ atMs: rel(m.at), member: m.member, kind: m.kind })),
    gaps: gaps.map((g) => ({
      partition: g.partition,
      fromMs: rel(g.from),
      toMs: rel(g.to),
      kind: g.kind,
      before: g.before,
      after: g.after,
    })),
  };
}

export async function runRebalanceLab(options: RebalanceLabOptions): Promise<RebalanceReport> {
  const workload = generateWorkload({ users: options.users, commands: options.commands, seed: options.seed });
  const schedule = churnSchedule({
    seed: options.seed,
    members: options.members,
    leadMs: options.leadMs,
    settleMs: options.settleMs,
    jitterMs: options.jitterMs,
  });
  mkdirSync(options.outDir, { recursive: true });
  const features = clientGroupFeatures();
  const variants: VariantResult[] = [];
  for (const variant of options.variants) {
    const setup = variantSetups[variant];
    if (setup.requires && !features[setup.requires.feature]) {
      variants.push({
        variant,
        title: setup.title,
        description: setup.description,
        available: false,
        reason: setup.requires.missing,
      });
      options.log(`${variant.padEnd(12)} not available: ${setup.requires.missing}`);
      continue;
    }
    const result = await runVariant(variant, workload, schedule, options);
    variants.push(result);
    options.log(formatVariantLine(result));
  }
  const report: RebalanceReport = {
    generatedAt: new Date().toISOString(),
    workload: {
      users: options.users,
      commands: options.commands,
      seed: options.seed,
      partitions: options.partitions,
      members: options.members,
      sessionTimeoutMs: options.sessionTimeoutMs,
    },
    schedule: { seed: schedule.seed, actions: schedule.actions, durationMs: schedule.durationMs },
    variants,
  };
  writeFileSync(path.join(options.outDir, "report.json"), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(path.join(options.outDir, "report.html"), renderRebalanceReportHtml(report));
  return report;
}

export function formatVariantLine(v: VariantResult): string {
  if (!v.available) return `${v.variant.padEnd(12)} not available: ${v.reason}`;
  const f = v.figures;
  const anomalies = Object.entries(v.anomalies)
    .filter(([kind]) => kind !== "balanceDriftPoints")
    .reduce((n, [, count]) => n + count, 0);
  return `${v.variant.padEnd(12)} stop-the-world ${f.stopTheWorldMs} ms (${f.stalledPartitionMs} partition-ms), paused ${f.pausedMs} ms (${f.pausedPartitionMs} partition-ms), ${f.moves} moves, ${f.redelivered} redelivered, latency p50 ${v.latencyMs.p50} p99 ${v.latencyMs.p99} ms, ${anomalies} anomalies`;
}
