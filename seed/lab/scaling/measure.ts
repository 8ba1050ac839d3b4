// The scaling lab's figures for one group run: from what was consumed (member-group.ts) and who
// owned what once the group was stable, the throughput in the measuring window (which starts once
// the group is stable, so joining is not counted), each member's share, the members that owned
// nothing, partitions that ran out of records before the window ended (their figure would then
// understate what the group can do), and the per-user order check over everything consumed.
//
// Owner of mutable state: none.
import type { Consumption, Ownership } from "./member-group.ts";
import { checkUserOrder, type OrderCheck } from "./order-check.ts";

export interface CellResult {
  partitions: number;
  members: number;
  /** From starting the members to the group being stable (not measured). */
  joinMs: number;
  windowMs: number;
  /** Commands whose handling ended within the window. */
  recordsInWindow: number;
  throughputPerSec: number;
  /** min(members, partitions) members each doing one command per I/O wait. */
  idealPerSec: number;
  perMember: { member: string; partitions: number[]; recordsInWindow: number }[];
  /** Members that owned no partition. */
  idleMembers: string[];
  /** Partitions whose every record was consumed before the window ended. */
  drainedPartitions: number[];
  order: OrderCheck;
}

export interface CellRun {
  partitions: number;
  members: number;
  ioMs: number;
  /** The topic's records per partition. */
  records: number[];
  ownership: Ownership;
  consumed: readonly Consumption[];
  startedAt: number;
  window: { from: number; to: number };
}

export function measureCell(run: CellRun): CellResult {
  const { from, to } = run.window;
  const inWindow = run.consumed.filter((c) => c.at > from && c.at <= to);
  const windowMs = to - from;
  const perMember = run.ownership.map(({ member, partitions }) => ({
    member,
    partitions,
    recordsInWindow: inWindow.filter((c) => c.member === member).length,
  }));
  const consumedBy = new Array<number>(run.partitions).fill(0);
  for (const c of run.consumed)
    if (c.at <= to) consumedBy[c.partition] = Math.max(consumedBy[c.partition]!, c.offset + 1);
  return {
    partitions: run.partitions,
    members: run.members,
    joinMs: from - run.startedAt,
    windowMs,
    recordsInWindow: inWindow.length,
    throughputPerSec: Math.round((inWindow.length * 1000) / Math.max(1, windowMs)),
    idealPerSec: Math.round((Math.min(run.members, run.partitions) * 1000) / run.ioMs),
    perMember,
    idleMembers: run.ownership.filter((o) => o.partitions.length === 0).map((o) => o.member),
    drainedPartitions: consumedBy.flatMap((n, p) => (n >= run.records[p]! ? [p] : [])),
    order: checkUserOrder(run.consumed),
  };
}
