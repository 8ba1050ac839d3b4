// The scaling lab: how the throughput of a ledger-like consumer group grows with its members, and
// where it stops. A lone broker on a free port (under a Supervisor, in a work directory of its own)
// gets one topic per partition count, filled up front with the seeded keyed workload (topics.ts);
// then for each cell of the matrix a fresh group of that many members (member-group.ts) consumes
// its topic from the beginning. Once the group is stable the lab measures for a fixed window: the
// commands handled per second, who owns what, and whether each user's commands came in order
// (measure.ts). Each member handles one command at a time and each command is a timer wait, so the
// throughput should follow min(members, partitions): a partition is never shared by two members,
// and members beyond the partition count own nothing.
//
// Owner of mutable state: none beyond each run's locals (the broker and each group live for one run).
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Supervisor } from "../../../apps/supervisor.ts";
import { Kafka, logLevel } from "../../../broker/client/index.ts";
import { generateWorkload } from "../../load/workload.ts";
import { type CellResult, measureCell } from "./measure.ts";
import { MemberGroup } from "./member-group.ts";
import { renderScalingReportHtml, type ScalingReport } from "./scaling-report.ts";
import { type FilledTopic, fillTopic } from "./topics.ts";

export interface ScalingCell {
  partitions: number;
  members: number;
}

export interface ScalingLabOptions {
  cells: ScalingCell[];
  /** The handler's wait per command. */
  ioMs: number;
  /** How long each group is measured once stable. */
  windowMs: number;
  seed: number;
  outDir: string;
  /** Keep the broker's data directory (outDir/work-scaling). */
  keepWork?: boolean;
  log: (line: string) => void;
}

const PARTITION_COUNTS = [1, 3, 6, 12];
const MEMBER_COUNTS = [1, 2, 3, 4, 5, 6, 7, 8];

/**
 * `--quick` (for the test, well under a minute): 1, 3, 6 and 8 members on 6 partitions, 6 members
 * on 3 (capped at 3) and 8 on 12; the full run: every member count 1…8 on 1, 3, 6 and 12 partitions.
 * The I/O wait is 10 ms quick, long beside a command's CPU cost (well under a millisecond) even on
 * two busy cores, so that the quick run's ratios are the mechanism's, not the machine's.
 */
export function scalingLabDefaults(quick: boolean): Pick<ScalingLabOptions, "cells" | "ioMs" | "windowMs"> {
  return quick
    ? {
        cells: [
          { partitions: 6, members: 1 },
          { partitions: 6, members: 3 },
          { partitions: 6, members: 6 },
          { partitions: 6, members: 8 },
          { partitions: 3, members: 6 },
          { partitions: 12, members: 8 },
        ],
        ioMs: 10,
        windowMs: 2_000,
      }
    : {
        cells: PARTITION_COUNTS.flatMap((partitions) => MEMBER_COUNTS.map((members) => ({ partitions, members }))),
        ioMs: 5,
        windowMs: 4_000,
      };
}

/** What joining may take before the window (its consumption eats into the backlog too). */
const JOIN_ALLOWANCE_MS = 3_000;
/** Records per partition: twice what its owner can consume while joining and in the window. */
const BACKLOG_FACTOR = 2;
const USERS_PER_PARTITION = 40;

export function commandsFor(partitions: number, options: Pick<ScalingLabOptions, "ioMs" | "windowMs">): number {
  const perPartition = Math.ceil((BACKLOG_FACTOR * (options.windowMs + JOIN_ALLOWANCE_MS)) / options.ioMs);
  return partitions * perPartition;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function startBroker(workDir: string, log: (line: string) => void) {
  const supervisor = new Supervisor(log);
  const match = await supervisor.start({
    label: "scaling/broker",
    script: "broker/server/main.ts",
    args: [
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--data-dir",
      path.join(workDir, "broker"),
      // Members started together join one rebalance rather than one each.
      "--config",
      "group.initial.rebalance.delay.ms=500",
    ],
    readyLine: /listening on (\S+)/,
    show: (line) => /error|crash|fail/i.test(line),
    restart: false,
  });
  return { supervisor, address: match[1]! };
}

async function runCell(
  kafka: Kafka,
  topic: FilledTopic,
  cell: ScalingCell,
  options: ScalingLabOptions,
): Promise<CellResult> {
  const group = new MemberGroup(kafka, {
    groupId: `scaling-p${cell.partitions}-m${cell.members}`,
    topic: topic.topic,
    partitions: cell.partitions,
    members: cell.members,
    ioMs: options.ioMs,
  });
  const admin = kafka.admin();
  await admin.connect();
  const startedAt = Date.now();
  try {
    await group.start();
    const ownership = await group.waitUntilStable(admin, { timeoutMs: 30_000, quietMs: 500 });
    if (!ownership)
      throw new Error(`${cell.members} members on ${cell.partitions} partitions: the group did not settle`);
    const from = Date.now();
    await sleep(options.windowMs);
    const to = Date.now();
    if (group.crashed().length) throw new Error(`a member crashed: ${group.crashed().join("; ")}`);
    return measureCell({
      ...cell,
      ioMs: options.ioMs,
      records: topic.records,
      ownership,
      consumed: group.consumed(),
      startedAt,
      window: { from, to },
    });
  } finally {
    await group.stop();
    await admin.disconnect();
  }
}

export async function runScalingLab(options: ScalingLabOptions): Promise<ScalingReport> {
  mkdirSync(options.outDir, { recursive: true });
  const workDir = path.join(options.outDir, "work-scaling");
  rmSync(workDir, { recursive: true, force: true });
  const { supervisor, address } = await startBroker(workDir, options.log);
  try {
    const kafka = new Kafka({ clientId: "scaling-lab", brokers: [address], logLevel: logLevel.NOTHING });
    const topics = new Map<number, FilledTopic>();
    for (const partitions of [...new Set(options.cells.map((c) => c.partitions))].sort((a, b) => a - b)) {
      const workload = generateWorkload({
        users: partitions * USERS_PER_PARTITION,
        commands: commandsFor(partitions, options),
        seed: options.seed,
      });
      topics.set(partitions, await fillTopic(kafka, partitions, workload.commands));
    }
    const cells: CellResult[] = [];
    for (const cell of options.cells) {
      const result = await runCell(kafka, topics.get(cell.partitions)!, cell, options);
      cells.push(result);
      options.log(formatCellLine(result));
    }
    const report: ScalingReport = {
      generatedAt: new Date().toISOString(),
      settings: {
        ioMs: options.ioMs,
        windowMs: options.windowMs,
        seed: options.seed,
        topics: [...topics.values()].map((t) => ({
          topic: t.topic,
          partitions: t.partitions,
          records: t.records.reduce((a, b) => a + b, 0),
          users: t.partitions * USERS_PER_PARTITION,
        })),
      },
      cells,
    };
    writeFileSync(path.join(options.outDir, "report.json"), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(path.join(options.outDir, "report.html"), renderScalingReportHtml(report));
    return report;
  } finally {
    await supervisor.stopAll();
    if (!options.keepWork) rmSync(workDir, { recursive: true, force: true });
  }
}

export function formatCellLine(c: CellResult): string {
  const owners = c.perMember.map((m) => `${m.member}[${m.partitions.join(",")}]`).join(" ");
  const drained = c.drainedPartitions.length ? `, DRAINED partitions ${c.drainedPartitions.join(",")}` : "";
  return `${String(c.members).padStart(2)} member${c.members === 1 ? " " : "s"} on ${String(c.partitions).padStart(2)} partitions: ${String(c.throughputPerSec).padStart(5)} records/s (ideal ${c.idealPerSec}), joined in ${(c.joinMs / 1000).toFixed(1)} s, ${c.idleMembers.length} idle; ${owners}; order: ${c.order.outOfOrder} out of order, ${c.order.redelivered} redelivered of ${c.order.commands}${drained}`;
}
