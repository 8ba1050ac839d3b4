// The cluster as /api/cluster shows it, merged from every broker's admin readings: each broker's
// status (up, fenced, paused by the console, down), the quorum from the active controller (or any
// voter), and per partition the leader's own view of leader, ISR and high watermark, with every
// replica's own log end offset so a follower visibly catches up. Pure: readings in, JSON out.
import type { HostedPartition, QuorumInfo } from "../../broker/server/admin/admin-types.ts";
import type { BrokerReading } from "./admin-poller.ts";

export type BrokerStatus = "up" | "fenced" | "paused" | "down";

export interface BrokerView {
  id: number;
  listener: string;
  admin: string | null;
  status: BrokerStatus;
  controller: boolean;
  voter: boolean;
  pid: number | null;
}

export interface ReplicaOffsets {
  broker: number;
  /** Null when neither the replica nor the leader tells. */
  logEndOffset: string | null;
  /** The replica's own; null when it did not answer. */
  highWatermark: string | null;
}

export interface PartitionView {
  partition: number;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  underReplicated: boolean;
  logStartOffset: string;
  highWatermark: string;
  bytes: number;
  segments: number;
  replicaOffsets: ReplicaOffsets[];
}

export interface TopicView {
  name: string;
  internal: boolean;
  configs: Record<string, string>;
  partitions: PartitionView[];
}

export interface ClusterView {
  brokers: BrokerView[];
  quorum: QuorumInfo | null;
  topics: TopicView[];
}

/** What the console knows of a broker's process: its pid and whether it paused it. */
export interface ProcessState {
  pid: number | null;
  paused: boolean;
}

export function clusterView(
  readings: readonly BrokerReading[],
  processOf: (label: string) => ProcessState | undefined = () => undefined,
): ClusterView {
  const quorum = bestQuorum(readings);
  const fencedByController = new Set(quorum?.brokers.filter((b) => b.fenced).map((b) => b.id) ?? []);
  const brokers = readings.map(({ broker, answered, info }): BrokerView => {
    const process = broker.label === null ? undefined : processOf(broker.label);
    const id = info?.nodeId ?? broker.nodeId;
    let status: BrokerStatus;
    if (answered) status = info?.unfenced === false || fencedByController.has(id) ? "fenced" : "up";
    else status = process?.paused ? "paused" : "down";
    return {
      id,
      listener: info?.listener ?? broker.listener,
      admin: broker.admin,
      status,
      controller: quorum?.leaderId === id,
      voter: info?.voter ?? quorum?.voters.some((v) => v.id === id) ?? false,
      pid: process?.pid ?? null,
    };
  });
  return { brokers, quorum, topics: topicViews(readings) };
}

/** The quorum as the active controller sees it, else as the voter that knows the latest leader. */
function bestQuorum(readings: readonly BrokerReading[]): QuorumInfo | null {
  const answers = readings.filter((r) => r.answered && r.quorum !== null);
  const fromLeader = answers.find((r) => r.info?.activeController && r.quorum!.leaderId === r.info.nodeId);
  if (fromLeader) return fromLeader.quorum;
  let best: QuorumInfo | null = null;
  for (const { quorum } of answers) if (best === null || quorum!.leaderEpoch > best.leaderEpoch) best = quorum;
  return best;
}

interface ReplicaReport {
  broker: number;
  hosted: HostedPartition;
}

function topicViews(readings: readonly BrokerReading[]): TopicView[] {
  const byPartition = new Map<string, Map<number, ReplicaReport[]>>();
  for (const reading of readings) {
    if (!reading.answered) continue;
    const broker = reading.info?.nodeId ?? reading.broker.nodeId;
    for (const hosted of reading.partitions) {
      let topic = byPartition.get(hosted.topic);
      if (!topic) byPartition.set(hosted.topic, (topic = new Map()));
      let reports = topic.get(hosted.partition);
      if (!reports) topic.set(hosted.partition, (reports = []));
      reports.push({ broker, hosted });
    }
  }
  return [...byPartition]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, partitions]) => {
      const views = [...partitions].sort(([a], [b]) => a - b).map(([, reports]) => partitionView(reports));
      const anyReport = [...partitions.values()][0]![0]!;
      return { name, internal: name.startsWith("__"), configs: anyReport.hosted.configs ?? {}, partitions: views };
    });
}

/**
 * The leader's report when the leader answered (the newest leader epoch among those claiming to
 * lead: an old leader cut off may not know yet); else the report with the newest epoch.
 */
function authoritative(reports: readonly ReplicaReport[]): ReplicaReport {
  const newest = (list: readonly ReplicaReport[]) =>
    list.reduce((best, r) => (r.hosted.leaderEpoch > best.hosted.leaderEpoch ? r : best));
  const leaders = reports.filter((r) => r.hosted.role === "leader" && r.hosted.leader === r.broker);
  return leaders.length > 0 ? newest(leaders) : newest(reports);
}

function partitionView(reports: readonly ReplicaReport[]): PartitionView {
  const { hosted: lead } = authoritative(reports);
  const own = new Map(reports.map((r) => [r.broker, r.hosted]));
  const followerView = new Map((lead.followers ?? []).map((f) => [f.broker, f.logEndOffset]));
  return {
    partition: lead.partition,
    leader: lead.leader,
    leaderEpoch: lead.leaderEpoch,
    replicas: lead.replicas,
    isr: lead.isr,
    underReplicated: lead.isr.length < lead.replicas.length,
    logStartOffset: lead.logStartOffset,
    highWatermark: lead.highWatermark,
    bytes: lead.bytes,
    segments: lead.segments,
    replicaOffsets: lead.replicas.map((broker) => ({
      broker,
      logEndOffset: own.get(broker)?.logEndOffset ?? followerView.get(broker) ?? null,
      highWatermark: own.get(broker)?.highWatermark ?? null,
    })),
  };
}
