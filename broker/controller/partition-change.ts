// The one place that decides how a partition changes (Kafka's PartitionChangeBuilder): given the
// partition, the ISR wanted and which brokers may lead, it elects a leader and returns the
// PartitionChangeRecord that says so — or null when nothing changes.
//
// Rules kept from Kafka: the current leader stays while it is in the target ISR and may lead; a new
// leader comes from the ISR in replica order; only an unclean election takes a replica outside the
// ISR, and then the ISR becomes that leader alone; an ISR is never emptied (without Kafka's eligible
// leader replicas, shrinking the ISR to nothing keeps the last member, so the partition has no leader
// but remembers who has its data). The leader epoch is not bumped for an ISR shrink alone (Kafka
// stopped doing so in metadata version 3.6).
//
// Ownership: none — pure functions.
import type { MetadataRecord } from "../protocol/metadata-records/serde.ts";
import { NO_LEADER, NO_LEADER_CHANGE, type PartitionRegistration } from "../server/metadata/metadata-image.ts";

/**
 * preferred: the first replica if it may lead, else keep a valid leader, else any ISR member.
 * online: keep a valid leader, else the first ISR member that may lead.
 * unclean: as online, else the first replica that may lead even outside the ISR (data may be lost).
 */
export type Election = "preferred" | "online" | "unclean";

export interface PartitionChangeRequest {
  topicId: Buffer;
  partition: PartitionRegistration;
  /** Whether a broker may lead (registered, unfenced, not shutting down, not being removed). */
  isAcceptableLeader: (brokerId: number) => boolean;
  /** The ISR wanted; the current ISR when absent. */
  targetIsr?: readonly number[];
  election?: Election;
}

export interface PartitionChange {
  record: Extract<MetadataRecord, { type: "PartitionChangeRecord" }>;
  /** The leader was elected from outside the ISR. */
  unclean: boolean;
}

interface ElectionResult {
  leader: number;
  unclean: boolean;
}

function electLeader(request: PartitionChangeRequest, targetIsr: readonly number[]): ElectionResult {
  const { partition, isAcceptableLeader } = request;
  const election = request.election ?? "online";
  const isValidLeader = (id: number) => targetIsr.includes(id) && isAcceptableLeader(id);
  if (election === "preferred") {
    const preferred = partition.replicas[0];
    if (preferred !== undefined && isValidLeader(preferred)) return { leader: preferred, unclean: false };
    if (isValidLeader(partition.leader)) return { leader: partition.leader, unclean: false };
    const other = partition.replicas.slice(1).find(isValidLeader);
    return { leader: other ?? NO_LEADER, unclean: false };
  }
  if (isValidLeader(partition.leader)) return { leader: partition.leader, unclean: false };
  const fromIsr = partition.replicas.find(isValidLeader);
  if (fromIsr !== undefined) return { leader: fromIsr, unclean: false };
  if (election === "unclean") {
    const anyLive = partition.replicas.find((id) => isAcceptableLeader(id));
    if (anyLive !== undefined) return { leader: anyLive, unclean: true };
  }
  return { leader: NO_LEADER, unclean: false };
}

function sameMembers(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}

/** The change the request asks for, or null when the partition would stay as it is. */
export function buildPartitionChange(request: PartitionChangeRequest): PartitionChange | null {
  const { partition } = request;
  const targetIsr = request.targetIsr ?? partition.isr;
  const elected = electLeader(request, targetIsr);
  let leader = NO_LEADER_CHANGE;
  let isr: number[] | null = null;
  if (elected.leader !== partition.leader) {
    leader = elected.leader;
    // An unclean leader is the only replica known to have what it has: the ISR restarts from it.
    if (elected.unclean) isr = [elected.leader];
  }
  if (isr === null && targetIsr.length > 0 && !sameMembers(targetIsr, partition.isr)) isr = [...targetIsr];
  if (leader === NO_LEADER_CHANGE && isr === null) return null;
  return {
    record: {
      type: "PartitionChangeRecord",
      version: 0,
      data: { partitionId: partition.partition, topicId: request.topicId, isr, leader },
    },
    unclean: elected.unclean && leader !== NO_LEADER_CHANGE,
  };
}
