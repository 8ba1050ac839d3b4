// What the console's rebalance timeline is drawn from: the group events this coordinator records in
// the broker's EventJournal (admin/cluster-events.ts), each with a cause a learner can read. Classic
// groups report joins, leaves, removals, static restarts and each rebalance with the assignment the
// leader handed out (ConsumerProtocol bytes decoded per topic); KIP-848 groups report the same plus
// the partitions each member is given or must give up, with its member epoch.
//
// Ownership: none of its own but the last completed epoch per consumer group (a WeakMap, so a
// forgotten group takes its entry with it); every method is called from the serial queue of the
// group it names (coordinator.ts). Without a journal (group tests, tools) nothing is recorded or
// decoded.

import { Reader } from "../../protocol/primitives.ts";
import type { ClusterEventInput, EventJournal } from "../admin/cluster-events.ts";
import type { ConsumerGroup, ConsumerGroupMember, TopicPartitionSet } from "./consumer-group.ts";
import type { Group, GroupMember } from "./group.ts";

const UUID_SUFFIX = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A member id short enough for a sentence: a trailing UUID is cut to its first 8 characters. */
export function memberLabel(memberId: string, clientId: string): string {
  const short = memberId.replace(UUID_SUFFIX, (uuid) => uuid.slice(0, 8));
  return short.startsWith(clientId) ? short : `${clientId}/${short}`;
}

/**
 * The partitions per topic of a ConsumerProtocolAssignment (int16 version, then [topic string,
 * [int32 partition]], then user data); empty when the bytes are not one.
 */
export function consumerAssignmentOf(bytes: Buffer): Record<string, number[]> {
  const assignment: Record<string, number[]> = {};
  if (bytes.length < 6) return assignment;
  try {
    const reader = new Reader(bytes);
    reader.int16();
    const topics = reader.int32();
    if (topics < 0 || topics * 6 > reader.remaining) return {};
    for (let topic = 0; topic < topics; topic += 1) {
      const name = reader.string();
      const count = reader.int32();
      if (count < 0 || count * 4 > reader.remaining) return {};
      const partitions: number[] = [];
      for (let index = 0; index < count; index += 1) partitions.push(reader.int32());
      assignment[name] = [...(assignment[name] ?? []), ...partitions].sort((a, b) => a - b);
    }
    return assignment;
  } catch {
    return {};
  }
}

export class GroupEvents {
  private readonly completedEpochs = new WeakMap<ConsumerGroup, number>();

  constructor(private readonly journal: EventJournal | undefined) {}

  // ---------------------------------------------------------------- classic groups

  memberJoined(group: Group, member: GroupMember): void {
    this.classic(group, member, "member-joined", {
      cause: `JoinGroup: new member ${label(member)} (session timeout ${member.sessionTimeoutMs} ms)`,
    });
  }

  /** A LeaveGroup; KIP-800's reason (LeaveGroup v5) when the client gave one. */
  memberLeft(group: Group, member: GroupMember, reason: string | null | undefined): void {
    const cause = reason ? `LeaveGroup: ${reason}` : "LeaveGroup (no reason given)";
    this.classic(group, member, "member-left", { cause, assignment: this.assignmentOf(group, member) });
  }

  memberRemoved(group: Group, member: GroupMember, cause: string): void {
    this.classic(group, member, "member-removed", { cause, assignment: this.assignmentOf(group, member) });
  }

  staticMemberRejoined(group: Group, previous: GroupMember, member: GroupMember): void {
    this.classic(group, member, "static-member-rejoined", {
      cause:
        `static member ${member.groupInstanceId} restarted: new member id ${label(member)}, ` +
        `the old one (${label(previous)}) is fenced`,
      assignment: this.assignmentOf(group, member),
    });
  }

  rebalanceStarted(group: Group, why: string): void {
    if (this.journal === undefined) return;
    this.record({
      kind: "rebalance-started",
      cause: why,
      group: group.groupId,
      protocol: "classic",
      generation: group.generationId,
    });
  }

  /** The leader's assignment is out (Stable), or the group emptied: `members` lists what each owns from now on. */
  rebalanceCompleted(group: Group): void {
    if (this.journal === undefined) return;
    const members = [...group.members.values()].map((member) => ({
      memberId: member.memberId,
      clientId: member.clientId,
      ...(member.groupInstanceId === null ? {} : { instanceId: member.groupInstanceId }),
      assignment: this.assignmentOf(group, member),
    }));
    const leader = group.leaderId === null ? undefined : group.members.get(group.leaderId);
    this.record({
      kind: "rebalance-completed",
      cause:
        leader === undefined
          ? `generation ${group.generationId}: no members left, the group is empty`
          : `generation ${group.generationId}: leader ${label(leader)} assigned ${group.protocolName ?? "partitions"} to ${members.length} member(s)`,
      group: group.groupId,
      protocol: "classic",
      generation: group.generationId,
      members,
    });
  }

  private classic(
    group: Group,
    member: GroupMember,
    kind: ClusterEventInput["kind"],
    details: { cause: string; assignment?: Record<string, number[]> },
  ): void {
    if (this.journal === undefined) return;
    this.record({
      kind,
      group: group.groupId,
      protocol: "classic",
      memberId: member.memberId,
      clientId: member.clientId,
      ...(member.groupInstanceId === null ? {} : { instanceId: member.groupInstanceId }),
      generation: group.generationId,
      ...details,
    });
  }

  /** Only a consumer's assignment has a known shape; other protocol types keep theirs to themselves. */
  private assignmentOf(group: Group, member: GroupMember): Record<string, number[]> {
    return group.protocolType === "consumer" ? consumerAssignmentOf(member.assignment) : {};
  }

  // ---------------------------------------------------------------- KIP-848 consumer groups

  consumerMemberJoined(group: ConsumerGroup, member: ConsumerGroupMember): void {
    this.consumer(group, member, "member-joined", `ConsumerGroupHeartbeat: new member ${consumerLabel(member)}`);
  }

  consumerMemberLeft(group: ConsumerGroup, member: ConsumerGroupMember, cause: string): void {
    this.consumer(group, member, "member-left", cause, this.namedPartitions(group, member.assignedPartitions));
  }

  consumerMemberRemoved(group: ConsumerGroup, member: ConsumerGroupMember, cause: string): void {
    const held = new Map([...member.assignedPartitions, ...member.partitionsPendingRevocation]);
    this.consumer(group, member, "member-removed", cause, this.namedPartitions(group, held));
  }

  consumerStaticMemberRejoined(group: ConsumerGroup, previousMemberId: string, member: ConsumerGroupMember): void {
    this.consumer(
      group,
      member,
      "static-member-rejoined",
      `static member ${member.instanceId} came back as ${consumerLabel(member)} ` +
        `(was ${memberLabel(previousMemberId, member.clientId)}), keeping its partitions`,
      this.namedPartitions(group, member.assignedPartitions),
    );
  }

  /** The group epoch was bumped: a new target assignment follows. */
  consumerRebalanceStarted(group: ConsumerGroup, why: string): void {
    if (this.journal === undefined) return;
    this.record({
      kind: "rebalance-started",
      cause: `group epoch ${group.groupEpoch}: ${why}`,
      group: group.groupId,
      protocol: "consumer",
      generation: group.groupEpoch,
    });
  }

  /** What the member was given and told to give up by one reconciliation step, at its member epoch. */
  consumerAssignmentChanged(
    group: ConsumerGroup,
    member: ConsumerGroupMember,
    assignedBefore: TopicPartitionSet,
    pendingBefore: TopicPartitionSet,
  ): void {
    if (this.journal === undefined) return;
    // Reconciling hands back the very same sets when nothing changed (most heartbeats).
    if (member.assignedPartitions === assignedBefore && member.partitionsPendingRevocation === pendingBefore) return;
    const assigned = difference(member.assignedPartitions, assignedBefore);
    const revoked = difference(member.partitionsPendingRevocation, pendingBefore);
    if (revoked.size > 0) {
      this.consumer(
        group,
        member,
        "partitions-revoked",
        `target assignment of group epoch ${group.assignmentEpoch} moves them away: ` +
          `the member must revoke them (rebalance timeout ${member.rebalanceTimeoutMs} ms)`,
        this.namedPartitions(group, revoked),
      );
    }
    if (assigned.size > 0) {
      this.consumer(
        group,
        member,
        "partitions-assigned",
        `reconciled to member epoch ${member.memberEpoch}`,
        this.namedPartitions(group, assigned),
      );
    }
  }

  /** Once every member has reached the target of the current assignment epoch, that rebalance is complete. */
  consumerRebalanceCompletedIfStable(group: ConsumerGroup): void {
    if (this.journal === undefined || group.state !== "Stable") return;
    if (this.completedEpochs.get(group) === group.assignmentEpoch) return;
    this.completedEpochs.set(group, group.assignmentEpoch);
    const members = [...group.members.values()].map((member) => ({
      memberId: member.memberId,
      clientId: member.clientId,
      ...(member.instanceId === null ? {} : { instanceId: member.instanceId }),
      assignment: this.namedPartitions(group, member.assignedPartitions),
    }));
    this.record({
      kind: "rebalance-completed",
      cause: `every member reached the target assignment of group epoch ${group.assignmentEpoch}`,
      group: group.groupId,
      protocol: "consumer",
      generation: group.assignmentEpoch,
      members,
    });
  }

  private consumer(
    group: ConsumerGroup,
    member: ConsumerGroupMember,
    kind: ClusterEventInput["kind"],
    cause: string,
    assignment?: Record<string, number[]>,
  ): void {
    if (this.journal === undefined) return;
    this.record({
      kind,
      cause,
      group: group.groupId,
      protocol: "consumer",
      memberId: member.memberId,
      clientId: member.clientId,
      ...(member.instanceId === null ? {} : { instanceId: member.instanceId }),
      generation: member.memberEpoch,
      ...(assignment === undefined ? {} : { assignment }),
    });
  }

  /** Topic ids become names where the group knows them. */
  private namedPartitions(group: ConsumerGroup, partitions: TopicPartitionSet): Record<string, number[]> {
    const named: Record<string, number[]> = {};
    for (const [topicId, set] of partitions) {
      if (set.size === 0) continue;
      named[group.subscribedTopicById(topicId)?.name ?? topicId] = [...set].sort((a, b) => a - b);
    }
    return named;
  }

  private record(input: ClusterEventInput): void {
    this.journal?.record(input);
  }
}

function label(member: GroupMember): string {
  return memberLabel(member.memberId, member.clientId);
}

function consumerLabel(member: ConsumerGroupMember): string {
  return memberLabel(member.memberId, member.clientId);
}

/** The partitions of `after` that `before` did not have. */
function difference(after: TopicPartitionSet, before: TopicPartitionSet): TopicPartitionSet {
  const added: TopicPartitionSet = new Map();
  for (const [topicId, set] of after) {
    const had = before.get(topicId);
    const fresh = new Set([...set].filter((partition) => had === undefined || !had.has(partition)));
    if (fresh.size > 0) added.set(topicId, fresh);
  }
  return added;
}
