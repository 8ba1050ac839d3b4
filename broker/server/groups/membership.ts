// Classic group membership and rebalancing (JoinGroup, SyncGroup, Heartbeat, LeaveGroup): who is
// in a group, the join and sync phases of each generation, the initial rebalance delay, the
// requests parked until a phase ends, and what happens when a session, rebalance or pending-member
// timer runs out (Kafka's GroupCoordinator handleJoinGroup/handleSyncGroup/handleHeartbeat/
// handleLeaveGroup with its DelayedJoin, InitialDelayedJoin and DelayedHeartbeat), static members
// included (KIP-345): a member with a group.instance.id that restarts under a new member id takes
// its old place, the old id is fenced (FENCED_INSTANCE_ID), and one that is away is only dropped
// when its session runs out — a rebalance keeps it, with its old subscription, meanwhile.
//
// Ownership: each group's state is owned by that group's serial queue (coordinator.ts). Every
// public method here runs inside the queue of the group it names, after the coordinator checked
// that it coordinates groups at all; so do timer expiries (group-timers.ts queues them there).
// Parked JoinGroup/SyncGroup answers are handed out of the queue as promises (`Eventually`), so a
// waiting member never blocks the queue.
//
// Kafka error conditions are returned as error codes inside results, never thrown.

import { ErrorCode } from "../../protocol/errors.ts";
import type { GroupCoordinatorConfig } from "./config.ts";
import { EMPTY_BYTES, Group, type GroupMember, PendingResponse } from "./group.ts";
import { answered, type Eventually, failedJoin, failedSync } from "./group-answers.ts";
import { type GroupEvents, memberLabel } from "./group-events.ts";
import type { GroupMetadataManager } from "./group-metadata-manager.ts";
import type { GroupTimers } from "./group-timers.ts";
import { memberFrom, newMemberId, rebalanceTimeoutOf, replacementOf, restartNeedsRebalance } from "./static-members.ts";
import type {
  HeartbeatRequest,
  JoinGroupRequest,
  JoinGroupResult,
  KafkaErrorCode,
  LeaveGroupRequest,
  LeaveGroupResult,
  SyncGroupRequest,
  SyncGroupResult,
} from "./types.ts";

export class GroupMembership {
  constructor(
    private readonly config: GroupCoordinatorConfig,
    private readonly metadata: GroupMetadataManager,
    private readonly timers: GroupTimers,
    private readonly events: GroupEvents,
  ) {}

  // ---------------------------------------------------------------- JoinGroup

  join(request: JoinGroupRequest): Eventually<JoinGroupResult> {
    if (
      request.sessionTimeoutMs < this.config.groupMinSessionTimeoutMs ||
      request.sessionTimeoutMs > this.config.groupMaxSessionTimeoutMs
    ) {
      return answered(failedJoin(request.memberId, ErrorCode.INVALID_SESSION_TIMEOUT));
    }
    const isFirstJoin = request.memberId === "";
    const known = this.metadata.group(request.groupId);
    if (known === undefined && !isFirstJoin) return answered(failedJoin(request.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    // A new group is registered only once someone is actually in it (or holds a pending id).
    const group = known ?? new Group(request.groupId);
    // A restarted static member's protocols replace those of the member it takes the place of.
    const replacing = isFirstJoin ? group.staticMember(request.groupInstanceId)?.memberId : undefined;
    if (!group.acceptsProtocols(request.protocolType, request.protocols, replacing ?? request.memberId)) {
      return answered(failedJoin(request.memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    return isFirstJoin ? this.joinWithoutMemberId(group, request) : this.joinWithMemberId(group, request);
  }

  private joinWithoutMemberId(group: Group, request: JoinGroupRequest): Eventually<JoinGroupResult> {
    const previous = group.staticMember(request.groupInstanceId);
    if (previous === undefined && group.members.size >= this.config.groupMaxSize) {
      return answered(failedJoin(request.memberId, ErrorCode.GROUP_MAX_SIZE_REACHED));
    }
    const memberId = newMemberId(request);
    if (previous !== undefined) return this.replaceStaticMember(group, previous, memberId, request);
    // A static member needs no MEMBER_ID_REQUIRED round: its instance id already tells its joins apart.
    if (request.requireKnownMemberId && request.groupInstanceId === null) {
      this.metadata.addGroup(group);
      // The id is held for one session timeout; a rebalance waits for it meanwhile.
      this.timers.holdPendingMember(group, memberId, request.sessionTimeoutMs, () => {
        this.forgetGroupIfNeverUsed(group);
        this.completeJoinIfAllRejoined(group);
      });
      return answered(failedJoin(memberId, ErrorCode.MEMBER_ID_REQUIRED));
    }
    return this.addMemberAndRebalance(group, memberId, request);
  }

  private joinWithMemberId(group: Group, request: JoinGroupRequest): Eventually<JoinGroupResult> {
    const memberId = request.memberId;
    if (this.timers.claimPendingMember(group, memberId)) {
      const previous = group.staticMember(request.groupInstanceId);
      if (previous !== undefined) return this.replaceStaticMember(group, previous, memberId, request);
      if (group.members.size >= this.config.groupMaxSize) {
        this.completeJoinIfAllRejoined(group);
        return answered(failedJoin(memberId, ErrorCode.GROUP_MAX_SIZE_REACHED));
      }
      return this.addMemberAndRebalance(group, memberId, request);
    }
    if (group.isStaticMemberFenced(request.groupInstanceId, memberId)) {
      return answered(failedJoin(memberId, ErrorCode.FENCED_INSTANCE_ID));
    }
    const member = group.members.get(memberId);
    // An instance id the group does not know (any more) means: start again as a new member.
    const unknownInstance =
      request.groupInstanceId !== null && group.staticMember(request.groupInstanceId) === undefined;
    if (member === undefined || unknownInstance) return answered(failedJoin(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    switch (group.state) {
      case "PreparingRebalance":
        return this.updateMemberAndRebalance(group, member, request, "");
      case "CompletingRebalance":
        // Same protocols: the member lost our JoinGroup answer and asks again; repeat it.
        if (member.hasSameProtocols(request.protocols)) return answered(this.repeatJoinAnswer(group, member));
        return this.updateMemberAndRebalance(
          group,
          member,
          request,
          `member ${labelOf(member)} changed its subscription`,
        );
      case "Stable":
        // A rejoining leader may have seen metadata change (e.g. new partitions) and needs a new round.
        if (!member.hasSameProtocols(request.protocols)) {
          return this.updateMemberAndRebalance(
            group,
            member,
            request,
            `member ${labelOf(member)} changed its subscription`,
          );
        }
        if (group.isLeader(memberId)) {
          const why = `leader ${labelOf(member)} rejoined: metadata changed (e.g. new partitions)`;
          return this.updateMemberAndRebalance(group, member, request, why);
        }
        return answered(this.repeatJoinAnswer(group, member));
      case "Empty":
      case "Dead":
        return answered(failedJoin(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    }
  }

  private addMemberAndRebalance(
    group: Group,
    memberId: string,
    request: JoinGroupRequest,
  ): Eventually<JoinGroupResult> {
    const member = memberFrom(request, memberId);
    this.metadata.addGroup(group);
    group.addMember(member);
    this.events.memberJoined(group, member);
    if (group.initialDelay !== null) group.initialDelay.memberJoinedDuringDelay = true;
    const response = this.parkJoin(member);
    this.rebalanceAfterJoin(group, `member ${labelOf(member)} joined`);
    return { response };
  }

  /**
   * Kafka's updateStaticMemberAndRebalance: the restarted instance takes `previous`'s place under
   * `memberId` and the old id is fenced. In a Stable group whose assignment it does not change it
   * gets the current generation back at once, with no rebalance, and its old assignment from
   * SyncGroup; the leader named is the previous one, so that a restarted leader does not assign
   * (a Stable group would not hand its assignment out). Otherwise the group rebalances.
   */
  private replaceStaticMember(
    group: Group,
    previous: GroupMember,
    memberId: string,
    request: JoinGroupRequest,
  ): Eventually<JoinGroupResult> {
    const previousLeaderId = group.leaderId ?? "";
    this.timers.stopSession(previous);
    this.answerParkedRequests(previous, ErrorCode.FENCED_INSTANCE_ID);
    const member = replacementOf(previous, request, memberId);
    group.replaceMember(previous.memberId, member);
    this.events.staticMemberRejoined(group, previous, member);
    if (group.state !== "Stable" || restartNeedsRebalance(group, previous, member)) {
      const why = `static member ${request.groupInstanceId} restarted ${
        group.state === "Stable" ? "with another subscription or protocol" : "during a rebalance"
      }`;
      return this.updateMemberAndRebalance(group, member, request, why);
    }
    this.restartSessionTimer(group, member);
    return answered({ ...this.joinAnswer(group, member), leaderId: previousLeaderId, members: [] });
  }

  /** `why` a rebalance starts, if one does (not when the group is already preparing one). */
  private updateMemberAndRebalance(
    group: Group,
    member: GroupMember,
    request: JoinGroupRequest,
    why: string,
  ): Eventually<JoinGroupResult> {
    member.protocols = request.protocols;
    member.protocolType = request.protocolType;
    // A lone member may switch protocol type; with others present acceptsProtocols kept it equal.
    if (group.members.size === 1) group.protocolType = request.protocolType;
    member.sessionTimeoutMs = request.sessionTimeoutMs;
    member.rebalanceTimeoutMs = rebalanceTimeoutOf(request);
    const response = this.parkJoin(member);
    this.rebalanceAfterJoin(group, why);
    return { response };
  }

  private parkJoin(member: GroupMember): Promise<JoinGroupResult> {
    // Only one JoinGroup per member can be outstanding; an older one is told to try again.
    member.awaitingJoin?.answer(failedJoin(member.memberId, ErrorCode.REBALANCE_IN_PROGRESS));
    const pending = new PendingResponse<JoinGroupResult>();
    member.awaitingJoin = pending;
    this.timers.stopSession(member);
    return pending.promise;
  }

  private rebalanceAfterJoin(group: Group, why: string): void {
    if (group.state === "PreparingRebalance") this.completeJoinIfAllRejoined(group);
    else this.prepareRebalance(group, why);
  }

  private repeatJoinAnswer(group: Group, member: GroupMember): JoinGroupResult {
    this.restartSessionTimer(group, member);
    return this.joinAnswer(group, member);
  }

  private joinAnswer(group: Group, member: GroupMember): JoinGroupResult {
    const protocolName = group.protocolName!;
    return {
      errorCode: ErrorCode.NONE,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName,
      leaderId: group.leaderId ?? "",
      memberId: member.memberId,
      members: group.isLeader(member.memberId)
        ? [...group.members.values()].map((each) => ({
            memberId: each.memberId,
            groupInstanceId: each.groupInstanceId,
            metadata: each.metadataFor(protocolName),
          }))
        : [],
    };
  }

  // ---------------------------------------------------------------- rebalancing

  private prepareRebalance(group: Group, why: string): void {
    // Members waiting for this generation's assignment will never get it; they must rejoin.
    if (group.state === "CompletingRebalance") {
      for (const member of group.members.values()) {
        member.assignment = EMPTY_BYTES;
        this.answerParkedSync(group, member, failedSync(ErrorCode.REBALANCE_IN_PROGRESS));
      }
    }
    const wasEmpty = group.state === "Empty";
    group.transitionTo("PreparingRebalance");
    this.events.rebalanceStarted(group, why);
    const initialDelayMs = this.config.groupInitialRebalanceDelayMs;
    if (wasEmpty && initialDelayMs > 0) {
      group.initialDelay = {
        remainingMs: Math.max(group.rebalanceTimeoutMs() - initialDelayMs, 0),
        memberJoinedDuringDelay: false,
      };
      this.timers.startRebalance(group, initialDelayMs, () => this.onInitialDelayElapsed(group));
      return;
    }
    this.timers.startRebalance(group, group.rebalanceTimeoutMs(), () => this.completeJoin(group));
    this.completeJoinIfAllRejoined(group);
  }

  /**
   * Like Kafka, an empty group keeps waiting in steps of the initial delay while new members keep
   * arriving, but never past the rebalance timeout.
   */
  private onInitialDelayElapsed(group: Group): void {
    const delay = group.initialDelay;
    if (delay?.memberJoinedDuringDelay && delay.remainingMs > 0) {
      const nextStepMs = Math.min(this.config.groupInitialRebalanceDelayMs, delay.remainingMs);
      group.initialDelay = { remainingMs: delay.remainingMs - nextStepMs, memberJoinedDuringDelay: false };
      this.timers.startRebalance(group, nextStepMs, () => this.onInitialDelayElapsed(group));
      return;
    }
    group.initialDelay = null;
    this.completeJoin(group);
  }

  private completeJoinIfAllRejoined(group: Group): void {
    if (group.state === "PreparingRebalance" && group.initialDelay === null && group.allMembersRejoined()) {
      this.completeJoin(group);
    }
  }

  /**
   * Ends the join phase: drops dynamic members that did not rejoin, starts the next generation and
   * answers every parked JoinGroup. Static members that did not rejoin stay, as in Kafka, until
   * their sessions run out; if nobody rejoined, the phase waits another rebalance timeout.
   */
  private completeJoin(group: Group): void {
    this.timers.stopRebalance(group);
    group.initialDelay = null;
    const rebalanceTimeoutMs = group.rebalanceTimeoutMs();
    for (const member of [...group.members.values()]) {
      if (member.awaitingJoin === null && member.groupInstanceId === null) {
        this.events.memberRemoved(group, member, `rebalance timeout: did not rejoin within ${rebalanceTimeoutMs} ms`);
        this.removeMember(group, member);
      }
    }
    if (group.members.size > 0 && !group.electJoinedLeader()) {
      this.timers.startRebalance(group, group.rebalanceTimeoutMs(), () => this.completeJoin(group));
      return;
    }
    group.generationId += 1;
    if (group.members.size === 0) {
      group.protocolName = null;
      group.leaderId = null;
      group.transitionTo("Empty");
      this.events.rebalanceCompleted(group);
      return;
    }
    group.protocolName = group.selectProtocol();
    group.transitionTo("CompletingRebalance");
    for (const member of group.members.values()) {
      const pending = member.awaitingJoin;
      member.awaitingJoin = null;
      pending?.answer(this.joinAnswer(group, member));
      this.restartSessionTimer(group, member);
    }
  }

  private removeMemberAndRebalance(group: Group, member: GroupMember, why: string): void {
    this.removeMember(group, member);
    switch (group.state) {
      case "Stable":
      case "CompletingRebalance":
        this.prepareRebalance(group, why);
        break;
      case "PreparingRebalance":
        this.completeJoinIfAllRejoined(group);
        break;
      case "Empty":
      case "Dead":
        break;
    }
  }

  private removeMember(group: Group, member: GroupMember): void {
    this.timers.stopSession(member);
    this.answerParkedRequests(member, ErrorCode.UNKNOWN_MEMBER_ID);
    group.removeMember(member.memberId);
  }

  // ---------------------------------------------------------------- SyncGroup, Heartbeat, LeaveGroup

  sync(request: SyncGroupRequest): Eventually<SyncGroupResult> {
    const group = this.metadata.group(request.groupId);
    if (group?.isStaticMemberFenced(request.groupInstanceId ?? null, request.memberId)) {
      return answered(failedSync(ErrorCode.FENCED_INSTANCE_ID));
    }
    const member = group?.members.get(request.memberId);
    if (group === undefined || member === undefined) return answered(failedSync(ErrorCode.UNKNOWN_MEMBER_ID));
    if (request.generationId !== group.generationId) return answered(failedSync(ErrorCode.ILLEGAL_GENERATION));
    switch (group.state) {
      case "Empty":
      case "Dead":
        return answered(failedSync(ErrorCode.UNKNOWN_MEMBER_ID));
      case "PreparingRebalance":
        return answered(failedSync(ErrorCode.REBALANCE_IN_PROGRESS));
      case "Stable":
        this.restartSessionTimer(group, member);
        return answered(this.syncAnswer(group, member));
      case "CompletingRebalance": {
        member.awaitingSync?.answer(failedSync(ErrorCode.REBALANCE_IN_PROGRESS));
        const pending = new PendingResponse<SyncGroupResult>();
        member.awaitingSync = pending;
        this.timers.stopSession(member);
        if (group.isLeader(member.memberId)) this.applyLeaderAssignment(group, request);
        return { response: pending.promise };
      }
    }
  }

  private applyLeaderAssignment(group: Group, request: SyncGroupRequest): void {
    const assignmentByMember = new Map(request.assignments.map((each) => [each.memberId, each.assignment]));
    for (const member of group.members.values()) {
      member.assignment = assignmentByMember.get(member.memberId) ?? EMPTY_BYTES;
    }
    group.transitionTo("Stable");
    this.events.rebalanceCompleted(group);
    for (const member of group.members.values()) {
      this.answerParkedSync(group, member, this.syncAnswer(group, member));
    }
  }

  private syncAnswer(group: Group, member: GroupMember): SyncGroupResult {
    return {
      errorCode: ErrorCode.NONE,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      assignment: member.assignment,
    };
  }

  heartbeat(request: HeartbeatRequest): KafkaErrorCode {
    const group = this.metadata.group(request.groupId);
    if (group?.isStaticMemberFenced(request.groupInstanceId ?? null, request.memberId)) {
      return ErrorCode.FENCED_INSTANCE_ID;
    }
    const member = group?.members.get(request.memberId);
    if (group === undefined || member === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (request.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    switch (group.state) {
      case "Empty":
      case "Dead":
        return ErrorCode.UNKNOWN_MEMBER_ID;
      case "PreparingRebalance":
        this.restartSessionTimer(group, member);
        // This is how members hear that they must rejoin.
        return ErrorCode.REBALANCE_IN_PROGRESS;
      case "CompletingRebalance":
      case "Stable":
        this.restartSessionTimer(group, member);
        return ErrorCode.NONE;
    }
  }

  /** A member may be named by its member id, or (static, member id "") by its instance id alone. */
  leave(request: LeaveGroupRequest): LeaveGroupResult {
    const group = this.metadata.group(request.groupId);
    const members = request.members.map((leaving) => {
      if (group === undefined) return { ...leaving, errorCode: ErrorCode.UNKNOWN_MEMBER_ID };
      if (this.timers.claimPendingMember(group, leaving.memberId)) {
        this.completeJoinIfAllRejoined(group);
        return { ...leaving, errorCode: ErrorCode.NONE };
      }
      if (leaving.memberId !== "" && group.isStaticMemberFenced(leaving.groupInstanceId, leaving.memberId)) {
        return { ...leaving, errorCode: ErrorCode.FENCED_INSTANCE_ID };
      }
      const member =
        leaving.memberId === "" ? group.staticMember(leaving.groupInstanceId) : group.members.get(leaving.memberId);
      if (member === undefined) return { ...leaving, errorCode: ErrorCode.UNKNOWN_MEMBER_ID };
      this.events.memberLeft(group, member, leaving.reason);
      this.removeMemberAndRebalance(group, member, `member ${labelOf(member)} left`);
      return { ...leaving, errorCode: ErrorCode.NONE };
    });
    return { errorCode: ErrorCode.NONE, members };
  }

  /** Another sign of life than a heartbeat (an offset commit) restarts the member's session the same way. */
  keepAlive(group: Group, member: GroupMember): void {
    this.restartSessionTimer(group, member);
  }

  /** Cancels the group's timers and answers its parked requests with `errorCode` (the coordinator is going away). */
  shutDown(group: Group, errorCode: KafkaErrorCode): void {
    this.timers.stopAll(group);
    for (const member of group.members.values()) this.answerParkedRequests(member, errorCode);
  }

  // ---------------------------------------------------------------- expiry

  /** A parked member is waiting on the coordinator, so its session cannot lapse meanwhile. */
  private restartSessionTimer(group: Group, member: GroupMember): void {
    this.timers.stopSession(member);
    if (member.isParked) return;
    this.timers.startSession(group, member, () => {
      this.events.memberRemoved(group, member, `session timeout (${member.sessionTimeoutMs} ms without a heartbeat)`);
      this.removeMemberAndRebalance(group, member, `session timeout of ${labelOf(member)}`);
    });
  }

  /** A group created only by a MEMBER_ID_REQUIRED handshake that was never followed up leaves no trace. */
  private forgetGroupIfNeverUsed(group: Group): void {
    if (
      group.state === "Empty" &&
      group.generationId === 0 &&
      group.members.size === 0 &&
      group.pendingMemberTimers.size === 0 &&
      !this.metadata.hasOffsets(group.groupId)
    ) {
      group.transitionTo("Dead");
      this.metadata.removeGroup(group.groupId);
    }
  }

  // ---------------------------------------------------------------- parked requests

  private answerParkedSync(group: Group, member: GroupMember, result: SyncGroupResult): void {
    const pending = member.awaitingSync;
    if (pending === null) return;
    member.awaitingSync = null;
    pending.answer(result);
    this.restartSessionTimer(group, member);
  }

  private answerParkedRequests(member: GroupMember, errorCode: KafkaErrorCode): void {
    member.awaitingJoin?.answer(failedJoin(member.memberId, errorCode));
    member.awaitingJoin = null;
    member.awaitingSync?.answer(failedSync(errorCode));
    member.awaitingSync = null;
  }
}

function labelOf(member: GroupMember): string {
  return memberLabel(member.memberId, member.clientId);
}
