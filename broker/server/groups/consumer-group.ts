// The state of one group under the KIP-848 consumer protocol (ConsumerGroupHeartbeat), with Kafka's
// names: the group epoch (bumped whenever a member joins or leaves, or what the members subscribe
// to changes), the target assignment and the epoch it was computed for (assignment epoch), and
// per member its member epoch, previous epoch, the partitions it owns (assigned) and those it must
// give up (pending revocation). Which member holds each partition right now is indexed here, so a
// partition is never handed to one member while another still holds it. The rules that move this
// state live in consumer-group-heartbeat.ts (the heartbeat) and current-assignment-builder.ts
// (reconciling one member); the assignors in consumer-group-assignors.ts.
//
// Topics are named by their topic id (hex) inside, as the protocol names them on the wire.
//
// Ownership: a ConsumerGroup and its members are mutated only from that group's serial queue
// (coordinator.ts), by the modules the coordinator runs there.
//
// Known difference from Kafka: a consumer group's members, epochs and target assignment are not
// written to `__consumer_offsets` (committed offsets are). After the coordinator moves, the new
// coordinator knows no member: their heartbeats get UNKNOWN_MEMBER_ID and they rejoin with epoch 0,
// resuming from the committed offsets.

import type { Timer } from "./scheduler.ts";
import type { ConsumerGroupState } from "./types.ts";

export type { ConsumerGroupState } from "./types.ts";

/** Where a member is in reconciling toward its target (Kafka's MemberState). */
export type MemberReconciliationState = "stable" | "unrevoked_partitions" | "unreleased_partitions";

/** Partitions by topic id (hex). */
export type TopicPartitionSet = Map<string, Set<number>>;

/** A member epoch of -1 in a heartbeat: the member leaves. */
export const LEAVE_GROUP_MEMBER_EPOCH = -1;
/** A member epoch of -2: a static member leaves for now; its instance id keeps its place until its session runs out. */
export const LEAVE_GROUP_STATIC_MEMBER_EPOCH = -2;

export function topicIdKey(topicId: Buffer): string {
  return topicId.toString("hex");
}

export function topicIdBytes(key: string): Buffer {
  return Buffer.from(key, "hex");
}

export function copyPartitions(partitions: TopicPartitionSet): TopicPartitionSet {
  return new Map([...partitions].map(([topicId, set]) => [topicId, new Set(set)]));
}

export function partitionCount(partitions: TopicPartitionSet): number {
  let count = 0;
  for (const set of partitions.values()) count += set.size;
  return count;
}

export function samePartitions(left: TopicPartitionSet, right: TopicPartitionSet): boolean {
  if (partitionCount(left) !== partitionCount(right)) return false;
  for (const [topicId, set] of left) {
    const other = right.get(topicId);
    for (const partition of set) if (other === undefined || !other.has(partition)) return false;
  }
  return true;
}

/** Whether every partition of `subset` is in `superset`. */
export function isSubsetOf(subset: TopicPartitionSet, superset: TopicPartitionSet): boolean {
  for (const [topicId, set] of subset) {
    const other = superset.get(topicId);
    for (const partition of set) if (other === undefined || !other.has(partition)) return false;
  }
  return true;
}

/** Wire shape (topic id bytes and partition lists) to the set; empty topics are dropped. */
export function partitionsFromWire(
  topics: readonly { topicId: Buffer; partitions: readonly number[] }[],
): TopicPartitionSet {
  const set: TopicPartitionSet = new Map();
  for (const topic of topics) {
    if (topic.partitions.length === 0) continue;
    const key = topicIdKey(topic.topicId);
    const partitions = set.get(key) ?? new Set<number>();
    for (const partition of topic.partitions) partitions.add(partition);
    set.set(key, partitions);
  }
  return set;
}

export function partitionsToWire(set: TopicPartitionSet): { topicId: Buffer; partitions: number[] }[] {
  return [...set]
    .filter(([, partitions]) => partitions.size > 0)
    .sort(([left], [right]) => left.localeCompare(right))
    .map(([topicId, partitions]) => ({
      topicId: topicIdBytes(topicId),
      partitions: [...partitions].sort((a, b) => a - b),
    }));
}

export interface ConsumerGroupMemberSettings {
  memberId: string;
  instanceId: string | null;
  rackId: string | null;
  clientId: string;
  clientHost: string;
}

export class ConsumerGroupMember {
  readonly memberId: string;
  instanceId: string | null;
  rackId: string | null;
  clientId: string;
  clientHost: string;
  /** 0 until the member is first reconciled; then the epoch of the target it reached. */
  memberEpoch = 0;
  previousMemberEpoch = -1;
  state: MemberReconciliationState = "stable";
  rebalanceTimeoutMs = -1;
  serverAssignor: string | null = null;
  subscribedTopicNames: string[] = [];
  subscribedTopicRegex: string | null = null;
  assignedPartitions: TopicPartitionSet = new Map();
  partitionsPendingRevocation: TopicPartitionSet = new Map();
  sessionTimer: Timer | null = null;
  /** Running while the member has partitions to revoke; it is fenced if they are not revoked in time. */
  rebalanceTimer: Timer | null = null;

  constructor(settings: ConsumerGroupMemberSettings) {
    this.memberId = settings.memberId;
    this.instanceId = settings.instanceId;
    this.rackId = settings.rackId;
    this.clientId = settings.clientId;
    this.clientHost = settings.clientHost;
  }
}

/** A topic the members may subscribe to, as the cluster describes it. */
export interface SubscribableTopic {
  name: string;
  topicId: Buffer;
  partitionCount: number;
  isInternal: boolean;
}

/** A subscribed topic as the group last computed its assignment for it. */
export interface SubscribedTopic {
  topicId: string;
  name: string;
  partitionCount: number;
}

export class ConsumerGroup {
  readonly groupId: string;
  groupEpoch = 0;
  assignmentEpoch = 0;
  /** The assignor the target was last computed with. */
  assignorName = "";
  /** In join order. */
  readonly members = new Map<string, ConsumerGroupMember>();
  /** memberId → the partitions it should own once reconciled. */
  targetAssignment = new Map<string, TopicPartitionSet>();
  /** The topics subscribed by any member, by name, as of the last group epoch bump. */
  subscribedTopics = new Map<string, SubscribedTopic>();
  /** "topicId:partition" → member holding it (assigned or pending revocation). */
  private readonly holders = new Map<string, string>();

  constructor(groupId: string) {
    this.groupId = groupId;
  }

  get state(): ConsumerGroupState {
    if (this.members.size === 0) return "Empty";
    if (this.groupEpoch > this.assignmentEpoch) return "Assigning";
    for (const member of this.members.values()) {
      if (member.state !== "stable" || member.memberEpoch !== this.assignmentEpoch) return "Reconciling";
    }
    return "Stable";
  }

  /** The member holding the partition now, if any. */
  holderOf(topicId: string, partition: number): string | undefined {
    return this.holders.get(`${topicId}:${partition}`);
  }

  addMember(member: ConsumerGroupMember): void {
    this.members.set(member.memberId, member);
    this.indexHolder(member, "set");
  }

  removeMember(memberId: string): void {
    const member = this.members.get(memberId);
    if (member === undefined) return;
    this.indexHolder(member, "delete");
    this.members.delete(memberId);
    this.targetAssignment.delete(memberId);
  }

  /** Replaces what the member holds (assigned and pending revocation), keeping the holder index right. */
  updateHoldings(member: ConsumerGroupMember, assigned: TopicPartitionSet, pendingRevocation: TopicPartitionSet): void {
    this.indexHolder(member, "delete");
    member.assignedPartitions = assigned;
    member.partitionsPendingRevocation = pendingRevocation;
    this.indexHolder(member, "set");
  }

  /** The topic a topic id names among the subscribed topics (for describing assignments). */
  subscribedTopicById(topicId: string): SubscribedTopic | undefined {
    for (const topic of this.subscribedTopics.values()) if (topic.topicId === topicId) return topic;
    return undefined;
  }

  private indexHolder(member: ConsumerGroupMember, action: "set" | "delete"): void {
    for (const held of [member.assignedPartitions, member.partitionsPendingRevocation]) {
      for (const [topicId, partitions] of held) {
        for (const partition of partitions) {
          const key = `${topicId}:${partition}`;
          if (action === "set") this.holders.set(key, member.memberId);
          else if (this.holders.get(key) === member.memberId) this.holders.delete(key);
        }
      }
    }
  }
}
