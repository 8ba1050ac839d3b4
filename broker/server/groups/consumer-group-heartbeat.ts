// The KIP-848 consumer protocol's one request, ConsumerGroupHeartbeat (Kafka's
// GroupMetadataManager.consumerGroupHeartbeat): a member joins with epoch 0 and is given (v0) or
// brings (v1) its member id; a join, a leave or a change of what the members subscribe to — their
// topic names or regex, or the partitions of those topics — bumps the group epoch, and the target
// assignment is computed again for the new epoch by the group's assignor (consumer-group-target.ts);
// then the member is reconciled toward its target (current-assignment-builder.ts): partitions it
// must give up first, partitions another member still holds only once released. A member leaves with epoch -1 (a
// static member with -2: its instance keeps its place until its session runs out). A stale epoch
// is fenced (FENCED_MEMBER_EPOCH), an unknown member refused (UNKNOWN_MEMBER_ID); the session and
// the revocation deadline run as timers (consumer-group-timers.ts).
//
// A group id is a classic group or a consumer group: a heartbeat for a classic group with members
// gets GROUP_ID_NOT_FOUND, as Kafka 4.0 answers; an empty classic group (perhaps one that only has
// committed offsets) becomes a consumer group, its offsets kept.
//
// Ownership: every method runs in the serial queue of the group it names (coordinator.ts), as do
// the timer expiries. Kafka error conditions are returned as error codes, never thrown.

import { randomUUID } from "node:crypto";
import { ErrorCode } from "../../protocol/errors.ts";
import type { GroupCoordinatorConfig } from "./config.ts";
import {
  ConsumerGroup,
  ConsumerGroupMember,
  isSubsetOf,
  LEAVE_GROUP_MEMBER_EPOCH,
  LEAVE_GROUP_STATIC_MEMBER_EPOCH,
  partitionsFromWire,
  partitionsToWire,
  type SubscribableTopic,
  samePartitions,
} from "./consumer-group.ts";
import { assignorsFromConfig } from "./consumer-group-assignors.ts";
import { ConsumerGroupTargets } from "./consumer-group-target.ts";
import type { ConsumerGroupTimers } from "./consumer-group-timers.ts";
import { reconcile } from "./current-assignment-builder.ts";
import { type GroupEvents, memberLabel } from "./group-events.ts";
import type { GroupMetadataManager } from "./group-metadata-manager.ts";
import type { KafkaErrorCode } from "./types.ts";

export interface WireTopicPartitions {
  topicId: Buffer;
  partitions: number[];
}

export interface ConsumerGroupHeartbeatRequest {
  groupId: string;
  memberId: string;
  memberEpoch: number;
  instanceId: string | null;
  rackId: string | null;
  /** -1: unchanged (must be given on joining). */
  rebalanceTimeoutMs: number;
  /** null: unchanged. */
  subscribedTopicNames: string[] | null;
  /** null: unchanged (v1+). */
  subscribedTopicRegex: string | null;
  serverAssignor: string | null;
  /** What the member owns now; null: unchanged since its last heartbeat. */
  topicPartitions: WireTopicPartitions[] | null;
  clientId: string;
  clientHost: string;
  apiVersion: number;
}

export interface ConsumerGroupHeartbeatResult {
  errorCode: KafkaErrorCode;
  errorMessage: string | null;
  memberId: string | null;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  /** null when the member's assignment did not change and it did not send a full request. */
  assignment: WireTopicPartitions[] | null;
}

export interface ConsumerGroupHeartbeatsOptions {
  config: GroupCoordinatorConfig;
  metadata: GroupMetadataManager;
  timers: ConsumerGroupTimers;
  /** The cluster's topics, as members may subscribe to them. */
  topics: () => readonly SubscribableTopic[];
  events: GroupEvents;
}

export function failedHeartbeat(
  errorCode: KafkaErrorCode,
  errorMessage: string | null = null,
  memberId: string | null = null,
): ConsumerGroupHeartbeatResult {
  return { errorCode, errorMessage, memberId, memberEpoch: -1, heartbeatIntervalMs: 0, assignment: null };
}

export class ConsumerGroupHeartbeats {
  private readonly config: GroupCoordinatorConfig;
  private readonly metadata: GroupMetadataManager;
  private readonly timers: ConsumerGroupTimers;
  private readonly targets: ConsumerGroupTargets;
  private readonly events: GroupEvents;

  constructor(options: ConsumerGroupHeartbeatsOptions) {
    this.config = options.config;
    this.events = options.events;
    this.metadata = options.metadata;
    this.timers = options.timers;
    this.targets = new ConsumerGroupTargets(assignorsFromConfig(options.config.consumerGroupAssignors), options.topics);
  }

  heartbeat(request: ConsumerGroupHeartbeatRequest): ConsumerGroupHeartbeatResult {
    const invalid = this.requestError(request);
    if (invalid !== null) return invalid;
    if (request.memberEpoch === LEAVE_GROUP_MEMBER_EPOCH || request.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
      return this.leave(request);
    }
    const group = this.groupFor(request);
    if (!(group instanceof ConsumerGroup)) return group;
    const found = this.memberFor(group, request);
    if (!(found.member instanceof ConsumerGroupMember)) return found.member;
    const { member, joined } = found;

    // Why the group epoch is bumped, if it is: the first reason found.
    let bump: string | null = joined ? `member ${labelOf(member)} joined` : null;
    if (request.rebalanceTimeoutMs !== -1) member.rebalanceTimeoutMs = request.rebalanceTimeoutMs;
    if (request.serverAssignor !== null) member.serverAssignor = request.serverAssignor;
    if (request.instanceId !== null) member.instanceId = request.instanceId;
    if (request.rackId !== null) member.rackId = request.rackId;
    member.clientId = request.clientId;
    member.clientHost = request.clientHost;
    if (request.subscribedTopicNames !== null) {
      const names = [...new Set(request.subscribedTopicNames)].sort();
      if (names.join("\0") !== member.subscribedTopicNames.join("\0")) {
        bump ??= `member ${labelOf(member)} subscribed to ${names.join(", ") || "nothing"}`;
      }
      member.subscribedTopicNames = names;
    }
    if (request.subscribedTopicRegex !== null) {
      const regex = request.subscribedTopicRegex === "" ? null : request.subscribedTopicRegex;
      if (regex !== member.subscribedTopicRegex) bump ??= `member ${labelOf(member)} subscribed to /${regex ?? ""}/`;
      member.subscribedTopicRegex = regex;
    }
    // New topics or partitions matching what the group subscribes to count as a change too.
    if (this.targets.refreshSubscribedTopics(group))
      bump ??= "metadata changed: the subscribed topics or their partitions";
    if (bump !== null) {
      group.groupEpoch += 1;
      this.events.consumerRebalanceStarted(group, bump);
    }
    if (group.groupEpoch > group.assignmentEpoch) this.targets.computeTargetAssignment(group);

    const owned = request.topicPartitions === null ? null : partitionsFromWire(request.topicPartitions);
    const before = member.assignedPartitions;
    const pendingBefore = member.partitionsPendingRevocation;
    const next = reconcile({
      member,
      targetEpoch: group.assignmentEpoch,
      target: group.targetAssignment.get(member.memberId) ?? new Map(),
      ownedPartitions: owned,
      holderOf: (topicId, partition) => group.holderOf(topicId, partition),
    });
    if (next.memberEpoch !== member.memberEpoch) {
      member.previousMemberEpoch = member.memberEpoch;
      member.memberEpoch = next.memberEpoch;
    }
    member.state = next.state;
    group.updateHoldings(member, next.assignedPartitions, next.partitionsPendingRevocation);
    this.events.consumerAssignmentChanged(group, member, before, pendingBefore);
    this.events.consumerRebalanceCompletedIfStable(group);

    const sessionTimeoutMs = this.config.consumerGroupSessionTimeoutMs;
    this.timers.startSession(group, member, sessionTimeoutMs, () =>
      this.fence(
        group,
        member,
        `session timeout of ${labelOf(member)}`,
        `session timeout (${sessionTimeoutMs} ms without a heartbeat)`,
      ),
    );
    if (member.state === "unrevoked_partitions") {
      const timeoutMs = member.rebalanceTimeoutMs > 0 ? member.rebalanceTimeoutMs : sessionTimeoutMs;
      this.timers.startRebalanceIfIdle(group, member, timeoutMs, () =>
        this.fence(
          group,
          member,
          `rebalance timeout of ${labelOf(member)}`,
          `rebalance timeout: did not revoke its partitions within ${timeoutMs} ms`,
        ),
      );
    } else {
      this.timers.stopRebalance(member);
    }

    const fullRequest =
      request.memberEpoch === 0 ||
      (request.rebalanceTimeoutMs !== -1 &&
        (request.subscribedTopicNames !== null || request.subscribedTopicRegex !== null) &&
        request.topicPartitions !== null);
    const changed = !samePartitions(before, member.assignedPartitions);
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      memberId: member.memberId,
      memberEpoch: member.memberEpoch,
      heartbeatIntervalMs: this.config.consumerGroupHeartbeatIntervalMs,
      assignment: fullRequest || changed ? partitionsToWire(member.assignedPartitions) : null,
    };
  }

  /**
   * Removes a member that left, or (`removedBecause`) lost its session or did not revoke in time;
   * the others rebalance, `rebalanceWhy`.
   */
  fence(group: ConsumerGroup, member: ConsumerGroupMember, rebalanceWhy: string, removedBecause?: string): void {
    if (removedBecause !== undefined) this.events.consumerMemberRemoved(group, member, removedBecause);
    this.timers.stopMember(member);
    group.removeMember(member.memberId);
    group.groupEpoch += 1;
    this.events.consumerRebalanceStarted(group, rebalanceWhy);
  }

  /** The checks Kafka makes before looking at the group (INVALID_REQUEST and friends). */
  private requestError(request: ConsumerGroupHeartbeatRequest): ConsumerGroupHeartbeatResult | null {
    const invalid = (message: string) => failedHeartbeat(ErrorCode.INVALID_REQUEST, message);
    if (request.groupId === "") return invalid("GroupId can't be empty.");
    if (request.apiVersion >= 1 && request.memberId === "") return invalid("MemberId can't be empty.");
    if (request.instanceId === "") return invalid("InstanceId can't be empty.");
    if (request.rackId === "") return invalid("RackId can't be empty.");
    if (request.memberEpoch > 0 || request.memberEpoch === LEAVE_GROUP_MEMBER_EPOCH) {
      if (request.memberId === "") return invalid("MemberId can't be empty.");
    } else if (request.memberEpoch === 0) {
      if (request.rebalanceTimeoutMs === -1) return invalid("RebalanceTimeoutMs must be provided in first request.");
      if (request.topicPartitions === null || request.topicPartitions.length > 0) {
        return invalid("TopicPartitions must be empty when (re-)joining.");
      }
      if (request.subscribedTopicNames === null && request.subscribedTopicRegex === null) {
        return invalid("Either SubscribedTopicNames or SubscribedTopicRegex must be non-null when (re-)joining.");
      }
    } else if (request.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
      if (request.instanceId === null) return invalid("InstanceId can't be null.");
    } else {
      return invalid("MemberEpoch is invalid.");
    }
    if (request.subscribedTopicRegex !== null && request.subscribedTopicRegex !== "") {
      if (this.targets.regex(request.subscribedTopicRegex) === null) {
        return failedHeartbeat(
          ErrorCode.INVALID_REGULAR_EXPRESSION,
          `SubscribedTopicRegex ${request.subscribedTopicRegex} is invalid.`,
        );
      }
    }
    if (
      request.serverAssignor !== null &&
      !this.targets.assignors.some((assignor) => assignor.name === request.serverAssignor)
    ) {
      return failedHeartbeat(
        ErrorCode.UNSUPPORTED_ASSIGNOR,
        `ServerAssignor ${request.serverAssignor} is not supported.`,
      );
    }
    return null;
  }

  private groupFor(request: ConsumerGroupHeartbeatRequest): ConsumerGroup | ConsumerGroupHeartbeatResult {
    const existing = this.metadata.consumerGroup(request.groupId);
    if (existing !== undefined) return existing;
    const classic = this.metadata.group(request.groupId);
    if (classic !== undefined && (classic.members.size > 0 || classic.state !== "Empty")) {
      return failedHeartbeat(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${request.groupId} is not a consumer group.`);
    }
    // Members of a group this coordinator does not hold (it may have just taken the group over) rejoin.
    if (request.memberEpoch !== 0) {
      return failedHeartbeat(
        ErrorCode.UNKNOWN_MEMBER_ID,
        `Member ${request.memberId} is not a member of group ${request.groupId}.`,
      );
    }
    // An empty classic group gives way; its committed offsets are the group's, whatever its protocol.
    if (classic !== undefined) this.metadata.removeGroup(request.groupId);
    const group = new ConsumerGroup(request.groupId);
    this.metadata.addConsumerGroup(group);
    return group;
  }

  private memberFor(
    group: ConsumerGroup,
    request: ConsumerGroupHeartbeatRequest,
  ): { member: ConsumerGroupMember | ConsumerGroupHeartbeatResult; joined: boolean } {
    const known = group.members.get(request.memberId);
    if (request.memberEpoch !== 0) {
      if (known === undefined) {
        const message = `Member ${request.memberId} is not a member of group ${group.groupId}.`;
        return { member: failedHeartbeat(ErrorCode.UNKNOWN_MEMBER_ID, message), joined: false };
      }
      const owned = request.topicPartitions === null ? null : partitionsFromWire(request.topicPartitions);
      // The previous epoch is accepted when the member owns no more than now: the answer that
      // moved it on may have been lost.
      const lagging =
        request.memberEpoch === known.previousMemberEpoch &&
        owned !== null &&
        isSubsetOf(owned, known.assignedPartitions);
      if (request.memberEpoch > known.memberEpoch || (request.memberEpoch < known.memberEpoch && !lagging)) {
        const message = `Member epoch ${request.memberEpoch} of ${request.memberId} is not its current epoch ${known.memberEpoch}.`;
        return { member: failedHeartbeat(ErrorCode.FENCED_MEMBER_EPOCH, message), joined: false };
      }
      return { member: known, joined: false };
    }
    if (known !== undefined) return { member: known, joined: false };
    const memberId = request.memberId === "" ? randomUUID() : request.memberId;
    const member = new ConsumerGroupMember({
      memberId,
      instanceId: request.instanceId,
      rackId: request.rackId,
      clientId: request.clientId,
      clientHost: request.clientHost,
    });
    if (request.instanceId !== null) {
      const previous = [...group.members.values()].find((other) => other.instanceId === request.instanceId);
      if (previous !== undefined) {
        // A static member takes over the place of its previous incarnation once that one has left (-2).
        if (previous.memberEpoch !== LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
          const message = `Static member ${request.instanceId} is still in use by member ${previous.memberId}.`;
          return { member: failedHeartbeat(ErrorCode.UNRELEASED_INSTANCE_ID, message), joined: false };
        }
        return { member: this.replaceStatic(group, previous, member), joined: false };
      }
    }
    group.addMember(member);
    this.events.consumerMemberJoined(group, member);
    return { member, joined: true };
  }

  /** The new incarnation keeps the old one's assignment, epoch and target: no rebalance. */
  private replaceStatic(
    group: ConsumerGroup,
    previous: ConsumerGroupMember,
    member: ConsumerGroupMember,
  ): ConsumerGroupMember {
    this.timers.stopMember(previous);
    const target = group.targetAssignment.get(previous.memberId);
    const assigned = previous.assignedPartitions;
    const pending = previous.partitionsPendingRevocation;
    member.memberEpoch = previous.previousMemberEpoch;
    member.previousMemberEpoch = previous.previousMemberEpoch;
    member.state = previous.state;
    member.subscribedTopicNames = previous.subscribedTopicNames;
    member.subscribedTopicRegex = previous.subscribedTopicRegex;
    member.serverAssignor = previous.serverAssignor;
    group.removeMember(previous.memberId);
    group.addMember(member);
    group.updateHoldings(member, assigned, pending);
    if (target !== undefined) group.targetAssignment.set(member.memberId, target);
    this.events.consumerStaticMemberRejoined(group, previous.memberId, member);
    return member;
  }

  private leave(request: ConsumerGroupHeartbeatRequest): ConsumerGroupHeartbeatResult {
    const group = this.metadata.consumerGroup(request.groupId);
    const member =
      request.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH && request.memberId === ""
        ? [...(group?.members.values() ?? [])].find((candidate) => candidate.instanceId === request.instanceId)
        : group?.members.get(request.memberId);
    if (group === undefined || member === undefined) {
      const message = `Member ${request.memberId} is not a member of group ${request.groupId}.`;
      return failedHeartbeat(ErrorCode.UNKNOWN_MEMBER_ID, message, request.memberId);
    }
    if (request.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
      // Away for now: its partitions stay reserved until its session runs out or it comes back.
      this.timers.stopRebalance(member);
      this.events.consumerMemberLeft(
        group,
        member,
        "static member left for now (epoch -2): its partitions stay reserved until its session runs out",
      );
      member.previousMemberEpoch = member.memberEpoch;
      member.memberEpoch = LEAVE_GROUP_STATIC_MEMBER_EPOCH;
    } else {
      this.events.consumerMemberLeft(group, member, "left the group (ConsumerGroupHeartbeat with member epoch -1)");
      this.fence(group, member, `member ${labelOf(member)} left`);
    }
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      memberId: member.memberId,
      memberEpoch: request.memberEpoch,
      heartbeatIntervalMs: 0,
      assignment: null,
    };
  }
}

function labelOf(member: ConsumerGroupMember): string {
  return memberLabel(member.memberId, member.clientId);
}
