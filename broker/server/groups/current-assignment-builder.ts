// Reconciling one member of a consumer-protocol group toward its target assignment (Kafka's
// CurrentAssignmentBuilder): a member first gives up (revokes) the partitions it may no longer
// have, staying at its epoch meanwhile; once its heartbeat no longer reports them as owned, it
// moves to the target epoch and gets the partitions it should have — except those another member
// still holds (unreleased), which it gets on a later heartbeat once they are free.
//
// Pure: it reads the member and the group's holder index and returns the member's next state; the
// caller (consumer-group-heartbeat.ts, in the group's serial queue) applies it.

import {
  type ConsumerGroupMember,
  copyPartitions,
  type MemberReconciliationState,
  type TopicPartitionSet,
} from "./consumer-group.ts";

export interface ReconciledMember {
  state: MemberReconciliationState;
  memberEpoch: number;
  assignedPartitions: TopicPartitionSet;
  partitionsPendingRevocation: TopicPartitionSet;
}

export interface ReconcileInput {
  member: ConsumerGroupMember;
  targetEpoch: number;
  target: TopicPartitionSet;
  /** What the member's heartbeat says it owns; null when the heartbeat did not say. */
  ownedPartitions: TopicPartitionSet | null;
  /** The member holding a partition now, if any. */
  holderOf: (topicId: string, partition: number) => string | undefined;
}

/** The member's next state; the same values when nothing can change yet. */
export function reconcile(input: ReconcileInput): ReconciledMember {
  const { member } = input;
  const unchanged: ReconciledMember = {
    state: member.state,
    memberEpoch: member.memberEpoch,
    assignedPartitions: member.assignedPartitions,
    partitionsPendingRevocation: member.partitionsPendingRevocation,
  };
  switch (member.state) {
    case "stable":
      // Nothing to do until a newer target exists.
      return member.memberEpoch === input.targetEpoch ? unchanged : nextAssignment(input);
    case "unrevoked_partitions":
      // Stuck until the member's heartbeat no longer lists what it must give up.
      if (stillOwnsAny(input.ownedPartitions, member.partitionsPendingRevocation)) return unchanged;
      return nextAssignment(input);
    case "unreleased_partitions":
      // Takes whatever of its target has been released since.
      return nextAssignment(input);
  }
}

function stillOwnsAny(owned: TopicPartitionSet | null, pending: TopicPartitionSet): boolean {
  if (owned === null) return true;
  for (const [topicId, partitions] of owned) {
    const revoking = pending.get(topicId);
    if (revoking === undefined) continue;
    for (const partition of partitions) if (revoking.has(partition)) return true;
  }
  return false;
}

function nextAssignment(input: ReconcileInput): ReconciledMember {
  const { member, target, targetEpoch } = input;
  const assigned: TopicPartitionSet = new Map();
  const pendingRevocation: TopicPartitionSet = new Map();
  const pendingAssignment: TopicPartitionSet = new Map();
  let hasUnreleased = false;
  const topicIds = new Set([...target.keys(), ...member.assignedPartitions.keys()]);
  for (const topicId of topicIds) {
    const wanted = target.get(topicId) ?? new Set<number>();
    const current = member.assignedPartitions.get(topicId) ?? new Set<number>();
    const kept = new Set([...current].filter((partition) => wanted.has(partition)));
    const revoking = new Set([...current].filter((partition) => !kept.has(partition)));
    const toAssign = new Set<number>();
    for (const partition of wanted) {
      if (kept.has(partition)) continue;
      const holder = input.holderOf(topicId, partition);
      // A partition another member still holds waits for it; one this member was revoking is
      // free by now (it would not get this far while still owning it).
      if (holder !== undefined && holder !== member.memberId) hasUnreleased = true;
      else toAssign.add(partition);
    }
    if (kept.size > 0) assigned.set(topicId, kept);
    if (revoking.size > 0) pendingRevocation.set(topicId, revoking);
    if (toAssign.size > 0) pendingAssignment.set(topicId, toAssign);
  }
  if (pendingRevocation.size > 0) {
    // Revocation first: the member keeps its epoch until it has let go.
    return {
      state: "unrevoked_partitions",
      memberEpoch: member.memberEpoch,
      assignedPartitions: assigned,
      partitionsPendingRevocation: pendingRevocation,
    };
  }
  const next = copyPartitions(assigned);
  for (const [topicId, partitions] of pendingAssignment) {
    const set = next.get(topicId) ?? new Set<number>();
    for (const partition of partitions) set.add(partition);
    next.set(topicId, set);
  }
  return {
    state: hasUnreleased ? "unreleased_partitions" : "stable",
    memberEpoch: targetEpoch,
    assignedPartitions: next,
    partitionsPendingRevocation: new Map(),
  };
}
