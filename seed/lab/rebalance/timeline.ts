// From what the ledger members wrote (their event logs: assignment changes and redeliveries) and
// when each member's process ran, the rebalance lab's timeline and figures: who owned which
// partition when, the gaps in between, and what the churn cost.
//
// A partition's gap is the time between one owner's interval and the next. It is:
//   - "stop-the-world" when the owner before and after is the same member and that member's process
//     ran throughout: the partition did not move, yet nobody consumed it (an eager rebalance);
//   - "owner-down" when the same member owns it before and after, but its process was down in
//     between (a static member's restart: its partitions wait for it);
//   - "move" when the owner changed (a move also counts when one owner hands over to the next with
//     no gap at all);
//   - "open" when nobody owns it again before the window ends.
// The pause counts more: every gap of a partition taken from a member that kept running, whoever
// owns it next — an eager rebalance takes every partition from everyone, and the assignor may hand
// it to another member (round-robin over members' random ids often does), which the same-owner
// rule alone does not count.
// Intervals close at a revocation, or when their member's process ends (a crashed member writes
// nothing more). Everything is clipped to the measured window [from, to].
//
// Owner of mutable state: none (pure functions of their input).
import type { EventLine } from "../../../apps/ledger/event-log.ts";

/** One run of a member's process: started, and (unless still running) ended. */
export interface MemberRun {
  startedAt: number;
  endedAt?: number;
}

export interface MemberHistory {
  /** The lab's name for the member (m1…), the same across its restarts: one swimlane. */
  member: string;
  runs: MemberRun[];
  /** Its event log, in the order written. */
  lines: EventLine[];
}

export interface TimelineInput {
  /** The measured window, ms since the epoch. */
  from: number;
  to: number;
  members: MemberHistory[];
}

export interface OwnershipInterval {
  member: string;
  partition: number;
  from: number;
  to: number;
}

export type GapKind = "stop-the-world" | "owner-down" | "move" | "open";

export interface OwnershipGap {
  partition: number;
  from: number;
  to: number;
  kind: GapKind;
  before: string;
  /** The next owner; null for an open gap. */
  after: string | null;
}

export interface MemberFigures {
  /** Wall time during which at least one of the member's non-moving partitions was consumed by nobody. */
  stopTheWorldMs: number;
  /** Wall time during which at least one partition taken from it while it kept running was consumed by nobody. */
  pausedMs: number;
  /** The same, summed over its partitions (two partitions stalled for 1 s: 2000). */
  stalledPartitionMs: number;
  /** Partitions it received from another member, and handed to another. */
  movesIn: number;
  movesOut: number;
  /** Commands it found already applied: delivered (at least) twice. */
  redelivered: number;
}

export interface RebalanceFigures {
  /** Wall time during which at least one partition that did not move was consumed by nobody. */
  stopTheWorldMs: number;
  stalledPartitionMs: number;
  /** Wall time during which at least one partition taken from a running member was consumed by nobody. */
  pausedMs: number;
  /** The same, summed over partitions. */
  pausedPartitionMs: number;
  /** Partition-ms without an owner, whatever the reason (moves and downtime included). */
  unownedPartitionMs: number;
  /** Times a partition changed owner. */
  moves: number;
  redelivered: number;
  perMember: Record<string, MemberFigures>;
}

/** Each member's ownership intervals from its event log and runs, clipped to the window. */
export function ownershipIntervals(input: TimelineInput): OwnershipInterval[] {
  const intervals: OwnershipInterval[] = [];
  const add = (member: string, partition: number, from: number, to: number) => {
    const a = Math.max(from, input.from);
    const b = Math.min(to, input.to);
    if (b > a) intervals.push({ member, partition, from: a, to: b });
  };
  for (const { member, runs, lines } of input.members) {
    const assignments = lines.filter((l) => l.event === "assignment").sort((a, b) => a.at - b.at);
    for (const run of runs) {
      const end = run.endedAt ?? Number.POSITIVE_INFINITY;
      const open = new Map<number, number>();
      for (const line of assignments) {
        if (line.at < run.startedAt || line.at > end) continue;
        for (const partition of line.revoked) {
          const since = open.get(partition);
          if (since === undefined) continue;
          open.delete(partition);
          add(member, partition, since, line.at);
        }
        for (const partition of line.assigned) if (!open.has(partition)) open.set(partition, line.at);
      }
      for (const [partition, since] of open) add(member, partition, since, Math.min(end, input.to));
    }
  }
  return intervals.sort((a, b) => a.partition - b.partition || a.from - b.from || a.to - b.to);
}

/** What the member owns now, by its event log: nothing unless its last run is still going. */
export function currentlyOwned(history: MemberHistory): number[] {
  const run = history.runs.at(-1);
  if (!run || run.endedAt !== undefined) return [];
  const owned = new Set<number>();
  for (const line of history.lines) {
    if (line.event !== "assignment" || line.at < run.startedAt) continue;
    for (const partition of line.revoked) owned.delete(partition);
    for (const partition of line.assigned) owned.add(partition);
  }
  return [...owned].sort((a, b) => a - b);
}

function endedBetween(runs: MemberRun[], from: number, to: number): boolean {
  return runs.some((run) => run.endedAt !== undefined && run.endedAt >= from && run.endedAt <= to);
}

/** The gaps between consecutive owners of each partition, classified; and the moves without a gap. */
export function ownershipGaps(
  intervals: OwnershipInterval[],
  input: TimelineInput,
): { gaps: OwnershipGap[]; handovers: { partition: number; at: number; before: string; after: string }[] } {
  const runsOf = new Map(input.members.map((m) => [m.member, m.runs]));
  const gaps: OwnershipGap[] = [];
  const handovers: { partition: number; at: number; before: string; after: string }[] = [];
  const byPartition = new Map<number, OwnershipInterval[]>();
  for (const interval of intervals) {
    const list = byPartition.get(interval.partition) ?? [];
    list.push(interval);
    byPartition.set(interval.partition, list);
  }
  for (const [partition, list] of byPartition) {
    // `list` is sorted by start; `previous` is the interval that reaches furthest so far.
    let previous = list[0]!;
    for (const next of list.slice(1)) {
      if (next.from > previous.to) {
        const sameOwner = next.member === previous.member;
        const kind: GapKind = !sameOwner
          ? "move"
          : endedBetween(runsOf.get(previous.member) ?? [], previous.to, next.from)
            ? "owner-down"
            : "stop-the-world";
        gaps.push({ partition, from: previous.to, to: next.from, kind, before: previous.member, after: next.member });
      } else if (next.member !== previous.member) {
        handovers.push({ partition, at: next.from, before: previous.member, after: next.member });
      }
      if (next.to >= previous.to) previous = next;
    }
    if (previous.to < input.to)
      gaps.push({ partition, from: previous.to, to: input.to, kind: "open", before: previous.member, after: null });
  }
  return { gaps: gaps.sort((a, b) => a.from - b.from || a.partition - b.partition), handovers };
}

/** The total length of the union of `spans`. */
export function unionMs(spans: { from: number; to: number }[]): number {
  const sorted = [...spans].sort((a, b) => a.from - b.from);
  let total = 0;
  let start = Number.NEGATIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  for (const { from, to } of sorted) {
    if (from > end) {
      if (end > start) total += end - start;
      start = from;
      end = to;
    } else if (to > end) {
      end = to;
    }
  }
  if (end > start) total += end - start;
  return total;
}

export function rebalanceFigures(input: TimelineInput): {
  intervals: OwnershipInterval[];
  gaps: OwnershipGap[];
  figures: RebalanceFigures;
} {
  const intervals = ownershipIntervals(input);
  const { gaps, handovers } = ownershipGaps(intervals, input);
  const perMember: Record<string, MemberFigures> = {};
  const figuresOf = (member: string): MemberFigures =>
    (perMember[member] ??= {
      stopTheWorldMs: 0,
      pausedMs: 0,
      stalledPartitionMs: 0,
      movesIn: 0,
      movesOut: 0,
      redelivered: 0,
    });
  for (const { member, lines } of input.members) {
    const own = figuresOf(member);
    for (const line of lines) if (line.event === "redelivered") own.redelivered += line.count;
  }
  const stalled = gaps.filter((g) => g.kind === "stop-the-world");
  const runsOf = new Map(input.members.map((m) => [m.member, m.runs]));
  const paused = gaps.filter(
    (g) =>
      g.kind === "stop-the-world" || (g.kind === "move" && !endedBetween(runsOf.get(g.before) ?? [], g.from, g.to)),
  );
  for (const member of Object.keys(perMember)) {
    const own = stalled.filter((g) => g.before === member);
    perMember[member]!.stopTheWorldMs = unionMs(own);
    perMember[member]!.stalledPartitionMs = own.reduce((n, g) => n + g.to - g.from, 0);
    perMember[member]!.pausedMs = unionMs(paused.filter((g) => g.before === member));
  }
  const moves = [
    ...gaps.filter((g) => g.kind === "move").map((g) => ({ before: g.before, after: g.after! })),
    ...handovers,
  ];
  for (const { before, after } of moves) {
    figuresOf(before).movesOut++;
    figuresOf(after).movesIn++;
  }
  return {
    intervals,
    gaps,
    figures: {
      stopTheWorldMs: unionMs(stalled),
      stalledPartitionMs: stalled.reduce((n, g) => n + g.to - g.from, 0),
      pausedMs: unionMs(paused),
      pausedPartitionMs: paused.reduce((n, g) => n + g.to - g.from, 0),
      unownedPartitionMs: gaps.reduce((n, g) => n + g.to - g.from, 0),
      moves: moves.length,
      redelivered: Object.values(perMember).reduce((n, m) => n + m.redelivered, 0),
      perMember,
    },
  };
}
