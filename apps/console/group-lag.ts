// Consumer groups as the console shows them, sampled once a second from the coordinators' admin
// readings: members and what they own, per partition the committed offset, the high watermark, lag
// in records and in seconds (the age of the oldest unconsumed record: now minus the timestamp of
// the record at the committed offset), the commit rate over the last seconds and, from it, the time
// to catch up; and per group the total lag over the last 15 minutes for the chart.
//
// Ownership: GroupLag owns the latest group views, each partition's recent committed offsets (for
// the rate), each group's lag history and a small cache of record timestamps by offset.
import type { CoordinatedGroup } from "../../broker/server/admin/admin-types.ts";
import type { BrokerReading } from "./admin-poller.ts";
import { clusterView } from "./cluster-view.ts";

export interface GroupPartitionView {
  topic: string;
  partition: number;
  owner: string | null;
  committed: string | null;
  highWatermark: string;
  lag: number;
  lagSeconds: number | null;
  ratePerSec: number | null;
  catchUpSeconds: number | null;
}

export interface GroupView {
  groupId: string;
  protocol: string;
  state: string;
  generation: number;
  assignor: string;
  coordinator: number;
  members: CoordinatedGroup["members"];
  partitions: GroupPartitionView[];
  totalLag: number;
  lagHistory: Array<{ time: number; lag: number }>;
}

/** The timestamp (ms) of the first record at or after `offset`; null when there is none or it cannot be read. */
export type TimestampAt = (topic: string, partition: number, offset: bigint) => Promise<number | null>;

export interface GroupLagOptions {
  /** How much lag history is kept (default 15 minutes). */
  historyMs?: number;
  /** The commit rate is measured over this much of the recent past (default 10 s). */
  rateWindowMs?: number;
  now?: () => number;
}

interface CommitSample {
  time: number;
  offset: bigint;
}

const TIMESTAMP_CACHE = 5_000;

export class GroupLag {
  private views: GroupView[] = [];
  private readonly commits = new Map<string, CommitSample[]>();
  private readonly histories = new Map<string, Array<{ time: number; lag: number }>>();
  private readonly timestamps = new Map<string, number | null>();
  private readonly historyMs: number;
  private readonly rateWindowMs: number;
  private readonly now: () => number;

  constructor(
    private readonly timestampAt: TimestampAt,
    options: GroupLagOptions = {},
  ) {
    this.historyMs = options.historyMs ?? 15 * 60_000;
    this.rateWindowMs = options.rateWindowMs ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  groups(): GroupView[] {
    return this.views;
  }

  /** Every lag sample kept for `groupId`, oldest first. */
  historyOf(groupId: string): Array<{ time: number; lag: number }> {
    return [...(this.histories.get(groupId) ?? [])];
  }

  /** One sample from one round of admin readings. */
  async sample(readings: readonly BrokerReading[]): Promise<GroupView[]> {
    const now = this.now();
    const partitions = new Map<string, { highWatermark: bigint; logStartOffset: bigint }>();
    const partitionsOfTopic = new Map<string, number[]>();
    for (const topic of clusterView(readings).topics) {
      partitionsOfTopic.set(
        topic.name,
        topic.partitions.map((p) => p.partition),
      );
      for (const p of topic.partitions)
        partitions.set(`${topic.name}/${p.partition}`, {
          highWatermark: BigInt(p.highWatermark),
          logStartOffset: BigInt(p.logStartOffset),
        });
    }
    const views: GroupView[] = [];
    for (const { group, coordinator } of this.coordinated(readings)) {
      const owners = new Map<string, string>();
      for (const member of group.members)
        for (const [topic, list] of Object.entries(member.assignment))
          for (const partition of list) owners.set(`${topic}/${partition}`, member.memberId);
      const topics = new Set([
        ...Object.keys(group.offsets),
        ...group.members.flatMap((m) => Object.keys(m.assignment)),
      ]);
      const rows: GroupPartitionView[] = [];
      for (const topic of [...topics].sort()) {
        const known = new Set([
          ...(partitionsOfTopic.get(topic) ?? []),
          ...Object.keys(group.offsets[topic] ?? {}).map(Number),
        ]);
        for (const partition of [...known].sort((a, b) => a - b)) {
          const key = `${topic}/${partition}`;
          const log = partitions.get(key);
          const committedText = group.offsets[topic]?.[String(partition)] ?? null;
          const committed = committedText === null ? null : BigInt(committedText);
          const highWatermark = log?.highWatermark ?? committed ?? 0n;
          const consumedFrom = committed ?? log?.logStartOffset ?? 0n;
          const lag = highWatermark > consumedFrom ? Number(highWatermark - consumedFrom) : 0;
          const ratePerSec = this.rate(`${group.groupId}/${key}`, committed, now);
          rows.push({
            topic,
            partition,
            owner: owners.get(key) ?? null,
            committed: committedText,
            highWatermark: String(highWatermark),
            lag,
            lagSeconds: lag === 0 ? 0 : await this.ageAt(topic, partition, consumedFrom, now),
            ratePerSec,
            catchUpSeconds: lag === 0 ? 0 : ratePerSec !== null && ratePerSec > 0 ? lag / ratePerSec : null,
          });
        }
      }
      const totalLag = rows.reduce((sum, row) => sum + row.lag, 0);
      const history = this.histories.get(group.groupId) ?? [];
      history.push({ time: now, lag: totalLag });
      while (history.length > 0 && history[0]!.time < now - this.historyMs) history.shift();
      this.histories.set(group.groupId, history);
      views.push({
        groupId: group.groupId,
        protocol: group.protocol,
        state: group.state,
        generation: group.generation,
        assignor: group.assignor,
        coordinator,
        members: group.members,
        partitions: rows,
        totalLag,
        lagHistory: [...history],
      });
    }
    this.views = views.sort((a, b) => a.groupId.localeCompare(b.groupId));
    return this.views;
  }

  /**
   * One entry per group: a coordinator that lost the group's offsets partition may still report it
   * for a moment, so the report with the newest generation wins.
   */
  private coordinated(readings: readonly BrokerReading[]): Array<{ group: CoordinatedGroup; coordinator: number }> {
    const best = new Map<string, { group: CoordinatedGroup; coordinator: number }>();
    for (const reading of readings) {
      if (!reading.answered) continue;
      const coordinator = reading.info?.nodeId ?? reading.broker.nodeId;
      for (const group of reading.groups) {
        const had = best.get(group.groupId);
        if (!had || group.generation > had.group.generation) best.set(group.groupId, { group, coordinator });
      }
    }
    return [...best.values()];
  }

  /** Committed offsets per second over the rate window; null until two samples span a second. */
  private rate(key: string, committed: bigint | null, now: number): number | null {
    const samples = this.commits.get(key) ?? [];
    if (committed !== null) samples.push({ time: now, offset: committed });
    while (samples.length > 0 && samples[0]!.time < now - this.rateWindowMs) samples.shift();
    this.commits.set(key, samples);
    const first = samples[0];
    const last = samples.at(-1);
    if (!first || !last || last.time - first.time < 1000) return null;
    const moved = Number(last.offset - first.offset);
    return moved < 0 ? null : (moved * 1000) / (last.time - first.time);
  }

  /** Seconds since the record at `offset` was produced. */
  private async ageAt(topic: string, partition: number, offset: bigint, now: number): Promise<number | null> {
    const key = `${topic}/${partition}/${offset}`;
    let timestamp = this.timestamps.get(key);
    if (timestamp === undefined) {
      try {
        timestamp = await this.timestampAt(topic, partition, offset);
      } catch {
        return null;
      }
      if (timestamp === null) return null;
      this.timestamps.set(key, timestamp);
      if (this.timestamps.size > TIMESTAMP_CACHE) this.timestamps.delete(this.timestamps.keys().next().value!);
    }
    return timestamp === null ? null : Math.max(0, (now - timestamp) / 1000);
  }
}
