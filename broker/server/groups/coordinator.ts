// The consumer-group coordinator: classic group membership (JoinGroup, SyncGroup, Heartbeat,
// LeaveGroup), group admin (DescribeGroups, ListGroups, DeleteGroups) and committed offsets.
//
// Ownership rule: one owner per piece of mutable state. Each group's state — its members, timers,
// parked responses and committed offsets — is mutated only by that group's serial queue:
// operations on one group run one after another, different groups run independently, and no
// locks are taken. Timers never touch a group directly; when one fires it queues a task on its
// group. Parked JoinGroup/SyncGroup answers are handed out of the queue as promises, so a waiting
// member never blocks the queue. The coordinator's own registry (`groups`) changes only inside
// the queue of the group being added or removed.
//
// Kafka error conditions are returned as error codes inside results, never thrown; a throw means
// a bug in the caller or here.

import { randomUUID } from "node:crypto";
import { ErrorCode } from "../../protocol/errors.ts";
import type { GroupCoordinatorConfig } from "./config.ts";
import { resolveGroupCoordinatorConfig } from "./config.ts";
import type { GroupState } from "./group.ts";
import { EMPTY_BYTES, GROUP_STATES, Group, GroupMember, PendingResponse } from "./group.ts";
import type { OffsetsLog, OffsetToStore, TopicPartitionsQuery } from "./offsets.ts";
import { OffsetStore } from "./offsets.ts";
import type { Scheduler } from "./scheduler.ts";
import { systemScheduler } from "./scheduler.ts";
import { KeyedSerialQueue } from "./serial-queue.ts";
import type {
  DeleteGroupResult,
  DescribedGroup,
  HeartbeatRequest,
  HeartbeatResult,
  JoinGroupRequest,
  JoinGroupResult,
  KafkaErrorCode,
  LeaveGroupRequest,
  LeaveGroupResult,
  ListGroupsResult,
  OffsetCommitPartitionResult,
  OffsetCommitRequest,
  OffsetFetchResult,
  SyncGroupRequest,
  SyncGroupResult,
} from "./types.ts";

export interface GroupCoordinatorOptions {
  offsetsLog: OffsetsLog;
  config?: Partial<GroupCoordinatorConfig>;
  scheduler?: Scheduler;
  /** Lets OffsetCommit answer UNKNOWN_TOPIC_OR_PARTITION; without it every partition is accepted. */
  partitionExists?: (topic: string, partition: number) => boolean;
}

type Lifecycle = "loading" | "active" | "closed";

/** A queued task's answer that may still be waiting; wrapped so the queue does not wait for it. */
interface Eventually<Result> {
  response: Promise<Result>;
}

function answered<Result>(result: Result): Eventually<Result> {
  return { response: Promise.resolve(result) };
}

function failedJoin(memberId: string, errorCode: KafkaErrorCode): JoinGroupResult {
  return {
    errorCode,
    generationId: -1,
    protocolType: null,
    protocolName: null,
    leaderId: "",
    memberId,
    members: [],
  };
}

function failedSync(errorCode: KafkaErrorCode): SyncGroupResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY_BYTES };
}

/** JoinGroup v0 carries no rebalance timeout (-1): the session timeout serves instead, as in Kafka. */
function rebalanceTimeoutOf(request: JoinGroupRequest): number {
  return request.rebalanceTimeoutMs >= 0 ? request.rebalanceTimeoutMs : request.sessionTimeoutMs;
}

export class GroupCoordinator {
  readonly config: GroupCoordinatorConfig;
  private readonly scheduler: Scheduler;
  private readonly offsets: OffsetStore;
  private readonly partitionExists: (topic: string, partition: number) => boolean;
  private readonly queues = new KeyedSerialQueue<string>();
  private readonly groups = new Map<string, Group>();
  private lifecycle: Lifecycle = "loading";

  constructor(options: GroupCoordinatorOptions) {
    this.config = resolveGroupCoordinatorConfig(options.config);
    this.scheduler = options.scheduler ?? systemScheduler;
    this.offsets = new OffsetStore(options.offsetsLog, this.config.offsetsTopicNumPartitions);
    this.partitionExists = options.partitionExists ?? (() => true);
  }

  /** Rebuilds committed offsets from `__consumer_offsets`; until then requests get COORDINATOR_LOAD_IN_PROGRESS. */
  async load(): Promise<void> {
    if (this.lifecycle !== "loading") throw new Error(`group coordinator cannot load while ${this.lifecycle}`);
    this.offsets.load();
    // Groups that only have offsets still exist for ListGroups/DescribeGroups/DeleteGroups, as in
    // Kafka. No queue runs yet: every request is refused until loading ends.
    for (const groupId of this.offsets.groupIds()) this.groups.set(groupId, new Group(groupId));
    this.lifecycle = "active";
  }

  /**
   * Stops the coordinator: new requests get NOT_COORDINATOR at once; each group, in its own queue
   * and after the work already queued there, cancels its timers and answers parked requests with
   * NOT_COORDINATOR (clients then look for the coordinator again).
   */
  async close(): Promise<void> {
    if (this.lifecycle === "closed") return;
    this.lifecycle = "closed";
    await Promise.all(
      [...this.groups.keys()].map((groupId) =>
        this.queues.run(groupId, () => {
          const group = this.groups.get(groupId);
          if (group !== undefined) this.shutDownGroup(group);
        }),
      ),
    );
    await this.queues.drain();
  }

  /** The `__consumer_offsets` partition whose leader coordinates this group (FindCoordinator). */
  partitionFor(groupId: string): number {
    return this.offsets.partitionFor(groupId);
  }

  // ---------------------------------------------------------------- membership

  async join(request: JoinGroupRequest): Promise<JoinGroupResult> {
    const unavailable = this.unavailableError();
    if (unavailable !== ErrorCode.NONE) return failedJoin(request.memberId, unavailable);
    if (request.groupId === "") return failedJoin(request.memberId, ErrorCode.INVALID_GROUP_ID);
    const outcome = await this.queues.run(request.groupId, () => this.joinInQueue(request));
    return outcome.response;
  }

  async sync(request: SyncGroupRequest): Promise<SyncGroupResult> {
    const unavailable = this.unavailableError();
    if (unavailable !== ErrorCode.NONE) return failedSync(unavailable);
    if (request.groupId === "") return failedSync(ErrorCode.INVALID_GROUP_ID);
    const outcome = await this.queues.run(request.groupId, () => this.syncInQueue(request));
    return outcome.response;
  }

  async heartbeat(request: HeartbeatRequest): Promise<HeartbeatResult> {
    const unavailable = this.unavailableError();
    if (unavailable !== ErrorCode.NONE) return { errorCode: unavailable };
    if (request.groupId === "") return { errorCode: ErrorCode.INVALID_GROUP_ID };
    return this.queues.run(request.groupId, () => ({ errorCode: this.heartbeatInQueue(request) }));
  }

  async leave(request: LeaveGroupRequest): Promise<LeaveGroupResult> {
    const unavailable = this.unavailableError();
    const requestError =
      unavailable !== ErrorCode.NONE
        ? unavailable
        : request.groupId === ""
          ? ErrorCode.INVALID_GROUP_ID
          : ErrorCode.NONE;
    if (requestError !== ErrorCode.NONE) {
      const members = request.members.map((member) => ({ ...member, errorCode: requestError }));
      return { errorCode: requestError, members };
    }
    return this.queues.run(request.groupId, () => this.leaveInQueue(request));
  }

  // ---------------------------------------------------------------- administration

  async describe(groupIds: readonly string[]): Promise<DescribedGroup[]> {
    return Promise.all(
      groupIds.map((groupId) => {
        const unavailable = this.unavailableError();
        if (unavailable !== ErrorCode.NONE) return describedUnknownGroup(groupId, unavailable);
        return this.queues.run(groupId, () => this.describeInQueue(groupId));
      }),
    );
  }

  /** `statesFilter` as in ListGroups v4: empty or absent lists every group; names match case-insensitively. */
  async list(statesFilter?: readonly string[]): Promise<ListGroupsResult> {
    const unavailable = this.unavailableError();
    if (unavailable !== ErrorCode.NONE) return { errorCode: unavailable, groups: [] };
    const wanted =
      statesFilter === undefined || statesFilter.length === 0
        ? new Set<GroupState>(GROUP_STATES)
        : new Set(
            GROUP_STATES.filter((state) => statesFilter.some((name) => name.toLowerCase() === state.toLowerCase())),
          );
    // A read-only snapshot: each group's fields are consistent because queue tasks never yield mid-change.
    const groups = [...this.groups.values()]
      .filter((group) => wanted.has(group.state))
      .map((group) => ({ groupId: group.groupId, protocolType: group.protocolType ?? "", state: group.state }));
    return { errorCode: ErrorCode.NONE, groups };
  }

  /** Deletes empty groups together with their committed offsets (tombstones in `__consumer_offsets`). */
  async delete(groupIds: readonly string[]): Promise<DeleteGroupResult[]> {
    return Promise.all(
      groupIds.map(async (groupId) => {
        const unavailable = this.unavailableError();
        if (unavailable !== ErrorCode.NONE) return { groupId, errorCode: unavailable };
        return { groupId, errorCode: await this.queues.run(groupId, () => this.deleteInQueue(groupId)) };
      }),
    );
  }

  // ---------------------------------------------------------------- offsets

  /**
   * Resolves once the accepted offsets are appended to `__consumer_offsets`. One error code per
   * offset, in request order.
   */
  async commitOffsets(request: OffsetCommitRequest): Promise<OffsetCommitPartitionResult[]> {
    const unavailable = this.unavailableError();
    if (unavailable !== ErrorCode.NONE) return everyOffsetFailed(request, unavailable);
    return this.queues.run(request.groupId, () => this.commitInQueue(request));
  }

  /** `topics` null asks for every partition the group has committed; never-committed partitions answer offset -1. */
  async fetchOffsets(groupId: string, topics: readonly TopicPartitionsQuery[] | null): Promise<OffsetFetchResult> {
    const unavailable = this.unavailableError();
    if (unavailable !== ErrorCode.NONE) return { errorCode: unavailable, topics: [] };
    return this.queues.run(groupId, () => {
      if (this.lifecycle === "closed") return { errorCode: ErrorCode.NOT_COORDINATOR, topics: [] };
      return { errorCode: ErrorCode.NONE, topics: this.offsets.fetch(groupId, topics) };
    });
  }

  // ---------------------------------------------------------------- queue tasks: JoinGroup

  private joinInQueue(request: JoinGroupRequest): Eventually<JoinGroupResult> {
    if (this.lifecycle === "closed") return answered(failedJoin(request.memberId, ErrorCode.NOT_COORDINATOR));
    if (
      request.sessionTimeoutMs < this.config.groupMinSessionTimeoutMs ||
      request.sessionTimeoutMs > this.config.groupMaxSessionTimeoutMs
    ) {
      return answered(failedJoin(request.memberId, ErrorCode.INVALID_SESSION_TIMEOUT));
    }
    const isFirstJoin = request.memberId === "";
    const known = this.groups.get(request.groupId);
    if (known === undefined && !isFirstJoin) return answered(failedJoin(request.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    // A new group is registered only once someone is actually in it (or holds a pending id).
    const group = known ?? new Group(request.groupId);
    if (!group.acceptsProtocols(request.protocolType, request.protocols, request.memberId)) {
      return answered(failedJoin(request.memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    return isFirstJoin ? this.joinWithoutMemberId(group, request) : this.joinWithMemberId(group, request);
  }

  private joinWithoutMemberId(group: Group, request: JoinGroupRequest): Eventually<JoinGroupResult> {
    if (group.members.size >= this.config.groupMaxSize) {
      return answered(failedJoin(request.memberId, ErrorCode.GROUP_MAX_SIZE_REACHED));
    }
    const memberId = `${request.clientId}-${randomUUID()}`;
    if (request.requireKnownMemberId) {
      this.groups.set(group.groupId, group);
      this.trackPendingMember(group, memberId, request.sessionTimeoutMs);
      return answered(failedJoin(memberId, ErrorCode.MEMBER_ID_REQUIRED));
    }
    return this.addMemberAndRebalance(group, memberId, request);
  }

  private joinWithMemberId(group: Group, request: JoinGroupRequest): Eventually<JoinGroupResult> {
    const memberId = request.memberId;
    const pendingTimer = group.pendingMemberTimers.get(memberId);
    if (pendingTimer !== undefined) {
      pendingTimer.cancel();
      group.pendingMemberTimers.delete(memberId);
      if (group.members.size >= this.config.groupMaxSize) {
        this.completeJoinIfAllRejoined(group);
        return answered(failedJoin(memberId, ErrorCode.GROUP_MAX_SIZE_REACHED));
      }
      return this.addMemberAndRebalance(group, memberId, request);
    }
    const member = group.members.get(memberId);
    if (member === undefined) return answered(failedJoin(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    switch (group.state) {
      case "PreparingRebalance":
        return this.updateMemberAndRebalance(group, member, request);
      case "CompletingRebalance":
        // Same protocols: the member lost our JoinGroup answer and asks again; repeat it.
        if (member.hasSameProtocols(request.protocols)) return answered(this.repeatJoinAnswer(group, member));
        return this.updateMemberAndRebalance(group, member, request);
      case "Stable":
        // A rejoining leader may have seen metadata change (e.g. new partitions) and needs a new round.
        if (group.isLeader(memberId) || !member.hasSameProtocols(request.protocols)) {
          return this.updateMemberAndRebalance(group, member, request);
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
    const member = new GroupMember({
      memberId,
      groupInstanceId: request.groupInstanceId,
      clientId: request.clientId,
      clientHost: request.clientHost,
      sessionTimeoutMs: request.sessionTimeoutMs,
      rebalanceTimeoutMs: rebalanceTimeoutOf(request),
      protocolType: request.protocolType,
      protocols: request.protocols,
    });
    this.groups.set(group.groupId, group);
    group.addMember(member);
    if (group.initialDelay !== null) group.initialDelay.memberJoinedDuringDelay = true;
    const response = this.parkJoin(member);
    this.rebalanceAfterJoin(group);
    return { response };
  }

  private updateMemberAndRebalance(
    group: Group,
    member: GroupMember,
    request: JoinGroupRequest,
  ): Eventually<JoinGroupResult> {
    member.protocols = request.protocols;
    member.protocolType = request.protocolType;
    // A lone member may switch protocol type; with others present acceptsProtocols kept it equal.
    if (group.members.size === 1) group.protocolType = request.protocolType;
    member.sessionTimeoutMs = request.sessionTimeoutMs;
    member.rebalanceTimeoutMs = rebalanceTimeoutOf(request);
    const response = this.parkJoin(member);
    this.rebalanceAfterJoin(group);
    return { response };
  }

  private parkJoin(member: GroupMember): Promise<JoinGroupResult> {
    // Only one JoinGroup per member can be outstanding; an older one is told to try again.
    member.awaitingJoin?.answer(failedJoin(member.memberId, ErrorCode.REBALANCE_IN_PROGRESS));
    const pending = new PendingResponse<JoinGroupResult>();
    member.awaitingJoin = pending;
    this.stopSessionTimer(member);
    return pending.promise;
  }

  private rebalanceAfterJoin(group: Group): void {
    if (group.state === "PreparingRebalance") this.completeJoinIfAllRejoined(group);
    else this.prepareRebalance(group);
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

  private prepareRebalance(group: Group): void {
    // Members waiting for this generation's assignment will never get it; they must rejoin.
    if (group.state === "CompletingRebalance") {
      for (const member of group.members.values()) {
        member.assignment = EMPTY_BYTES;
        this.answerParkedSync(group, member, failedSync(ErrorCode.REBALANCE_IN_PROGRESS));
      }
    }
    const wasEmpty = group.state === "Empty";
    group.transitionTo("PreparingRebalance");
    const initialDelayMs = this.config.groupInitialRebalanceDelayMs;
    if (wasEmpty && initialDelayMs > 0) {
      group.initialDelay = {
        remainingMs: Math.max(group.rebalanceTimeoutMs() - initialDelayMs, 0),
        memberJoinedDuringDelay: false,
      };
      this.startRebalanceTimer(group, initialDelayMs, () => this.onInitialDelayElapsed(group));
      return;
    }
    this.startRebalanceTimer(group, group.rebalanceTimeoutMs(), () => this.completeJoin(group));
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
      this.startRebalanceTimer(group, nextStepMs, () => this.onInitialDelayElapsed(group));
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
   * Ends the join phase: drops members that did not rejoin, starts the next generation and answers
   * every parked JoinGroup.
   */
  private completeJoin(group: Group): void {
    group.rebalanceTimer?.cancel();
    group.rebalanceTimer = null;
    group.initialDelay = null;
    for (const member of [...group.members.values()]) {
      if (member.awaitingJoin === null) this.removeMember(group, member);
    }
    group.generationId += 1;
    if (group.members.size === 0) {
      group.protocolName = null;
      group.leaderId = null;
      group.transitionTo("Empty");
      return;
    }
    group.protocolName = group.selectProtocol();
    group.transitionTo("CompletingRebalance");
    for (const member of group.members.values()) {
      const pending = member.awaitingJoin!;
      member.awaitingJoin = null;
      pending.answer(this.joinAnswer(group, member));
      this.restartSessionTimer(group, member);
    }
  }

  private removeMemberAndRebalance(group: Group, member: GroupMember): void {
    this.removeMember(group, member);
    switch (group.state) {
      case "Stable":
      case "CompletingRebalance":
        this.prepareRebalance(group);
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
    this.stopSessionTimer(member);
    this.answerParkedRequests(member, ErrorCode.UNKNOWN_MEMBER_ID);
    group.removeMember(member.memberId);
  }

  // ---------------------------------------------------------------- queue tasks: SyncGroup, Heartbeat, LeaveGroup

  private syncInQueue(request: SyncGroupRequest): Eventually<SyncGroupResult> {
    if (this.lifecycle === "closed") return answered(failedSync(ErrorCode.NOT_COORDINATOR));
    const group = this.groups.get(request.groupId);
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
        this.stopSessionTimer(member);
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

  private heartbeatInQueue(request: HeartbeatRequest): KafkaErrorCode {
    if (this.lifecycle === "closed") return ErrorCode.NOT_COORDINATOR;
    const group = this.groups.get(request.groupId);
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

  private leaveInQueue(request: LeaveGroupRequest): LeaveGroupResult {
    if (this.lifecycle === "closed") {
      return {
        errorCode: ErrorCode.NOT_COORDINATOR,
        members: request.members.map((each) => ({ ...each, errorCode: ErrorCode.NOT_COORDINATOR })),
      };
    }
    const group = this.groups.get(request.groupId);
    const members = request.members.map((leaving) => {
      if (group === undefined) return { ...leaving, errorCode: ErrorCode.UNKNOWN_MEMBER_ID };
      const pendingTimer = group.pendingMemberTimers.get(leaving.memberId);
      if (pendingTimer !== undefined) {
        pendingTimer.cancel();
        group.pendingMemberTimers.delete(leaving.memberId);
        this.completeJoinIfAllRejoined(group);
        return { ...leaving, errorCode: ErrorCode.NONE };
      }
      const member = group.members.get(leaving.memberId);
      if (member === undefined) return { ...leaving, errorCode: ErrorCode.UNKNOWN_MEMBER_ID };
      this.removeMemberAndRebalance(group, member);
      return { ...leaving, errorCode: ErrorCode.NONE };
    });
    return { errorCode: ErrorCode.NONE, members };
  }

  // ---------------------------------------------------------------- queue tasks: administration and offsets

  private describeInQueue(groupId: string): DescribedGroup {
    if (this.lifecycle === "closed") return describedUnknownGroup(groupId, ErrorCode.NOT_COORDINATOR);
    const group = this.groups.get(groupId);
    if (group === undefined) return describedUnknownGroup(groupId, ErrorCode.NONE);
    // Like Kafka, member metadata and assignments are shown only for a settled (Stable) group.
    const stableProtocol = group.state === "Stable" ? group.protocolName : null;
    return {
      groupId,
      errorCode: ErrorCode.NONE,
      state: group.state,
      protocolType: group.protocolType ?? "",
      protocolName: stableProtocol ?? "",
      members: [...group.members.values()].map((member) => ({
        memberId: member.memberId,
        groupInstanceId: member.groupInstanceId,
        clientId: member.clientId,
        clientHost: member.clientHost,
        metadata: stableProtocol === null ? EMPTY_BYTES : member.metadataFor(stableProtocol),
        assignment: stableProtocol === null ? EMPTY_BYTES : member.assignment,
      })),
    };
  }

  private async deleteInQueue(groupId: string): Promise<KafkaErrorCode> {
    if (this.lifecycle === "closed") return ErrorCode.NOT_COORDINATOR;
    const group = this.groups.get(groupId);
    if (group === undefined) return ErrorCode.GROUP_ID_NOT_FOUND;
    if (group.state !== "Empty" || group.members.size > 0) return ErrorCode.NON_EMPTY_GROUP;
    try {
      await this.offsets.deleteGroup(groupId);
    } catch {
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
    for (const timer of group.pendingMemberTimers.values()) timer.cancel();
    group.pendingMemberTimers.clear();
    group.transitionTo("Dead");
    this.groups.delete(groupId);
    return ErrorCode.NONE;
  }

  private async commitInQueue(request: OffsetCommitRequest): Promise<OffsetCommitPartitionResult[]> {
    if (this.lifecycle === "closed") return everyOffsetFailed(request, ErrorCode.NOT_COORDINATOR);
    const group = this.groups.get(request.groupId);
    const groupError = this.commitAuthorizationError(group, request);
    if (groupError !== ErrorCode.NONE) return everyOffsetFailed(request, groupError);
    const member = group?.members.get(request.memberId);
    // A commit is a sign of life, like a heartbeat.
    if (group !== undefined && member !== undefined) this.restartSessionTimer(group, member);

    const errorCodes: KafkaErrorCode[] = request.offsets.map((offset) => {
      if (offset.metadata !== null && offset.metadata.length > this.config.offsetMetadataMaxBytes) {
        return ErrorCode.OFFSET_METADATA_TOO_LARGE;
      }
      if (!this.partitionExists(offset.topic, offset.partition)) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      return ErrorCode.NONE;
    });
    const accepted: OffsetToStore[] = request.offsets.filter((_, index) => errorCodes[index] === ErrorCode.NONE);
    if (accepted.length > 0) {
      try {
        await this.offsets.store(request.groupId, accepted, BigInt(this.scheduler.now()));
        // A standalone consumer's first commit creates its group, so admin tools can see and delete it.
        if (group === undefined) this.groups.set(request.groupId, new Group(request.groupId));
      } catch {
        errorCodes.forEach((code, index) => {
          if (code === ErrorCode.NONE) errorCodes[index] = ErrorCode.COORDINATOR_NOT_AVAILABLE;
        });
      }
    }
    return request.offsets.map((offset, index) => ({
      topic: offset.topic,
      partition: offset.partition,
      errorCode: errorCodes[index]!,
    }));
  }

  /**
   * Who may commit: a consumer without group management (generation -1, member "") only while the
   * group has no members; anyone naming a member or generation must be the current member of the
   * current generation. The current generation may still commit while the group prepares a
   * rebalance (clients commit before rejoining), but not while it waits for the leader's SyncGroup.
   */
  private commitAuthorizationError(group: Group | undefined, request: OffsetCommitRequest): KafkaErrorCode {
    const claimsMembership = request.generationId >= 0 || request.memberId !== "";
    if (group === undefined) {
      if (request.generationId >= 0) return ErrorCode.ILLEGAL_GENERATION;
      return claimsMembership ? ErrorCode.UNKNOWN_MEMBER_ID : ErrorCode.NONE;
    }
    if (group.state === "Dead") return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (claimsMembership) {
      if (!group.members.has(request.memberId)) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (request.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    } else if (group.state !== "Empty") {
      return ErrorCode.UNKNOWN_MEMBER_ID;
    }
    if (group.state === "CompletingRebalance") return ErrorCode.REBALANCE_IN_PROGRESS;
    return ErrorCode.NONE;
  }

  // ---------------------------------------------------------------- timers

  private restartSessionTimer(group: Group, member: GroupMember): void {
    this.stopSessionTimer(member);
    if (member.isParked) return;
    const timer = this.scheduler.setTimer(member.sessionTimeoutMs, () =>
      this.runTimerTask(group, () => {
        if (member.sessionTimer !== timer || group.members.get(member.memberId) !== member) return;
        member.sessionTimer = null;
        this.removeMemberAndRebalance(group, member);
      }),
    );
    member.sessionTimer = timer;
  }

  private stopSessionTimer(member: GroupMember): void {
    member.sessionTimer?.cancel();
    member.sessionTimer = null;
  }

  private startRebalanceTimer(group: Group, delayMs: number, onElapsed: () => void): void {
    group.rebalanceTimer?.cancel();
    const timer = this.scheduler.setTimer(delayMs, () =>
      this.runTimerTask(group, () => {
        if (group.rebalanceTimer !== timer) return;
        group.rebalanceTimer = null;
        onElapsed();
      }),
    );
    group.rebalanceTimer = timer;
  }

  /** A MEMBER_ID_REQUIRED id is held for one session timeout; a rebalance waits for it meanwhile. */
  private trackPendingMember(group: Group, memberId: string, sessionTimeoutMs: number): void {
    const timer = this.scheduler.setTimer(sessionTimeoutMs, () =>
      this.runTimerTask(group, () => {
        if (group.pendingMemberTimers.get(memberId) !== timer) return;
        group.pendingMemberTimers.delete(memberId);
        this.forgetGroupIfNeverUsed(group);
        this.completeJoinIfAllRejoined(group);
      }),
    );
    group.pendingMemberTimers.set(memberId, timer);
  }

  /** A group created only by a MEMBER_ID_REQUIRED handshake that was never followed up leaves no trace. */
  private forgetGroupIfNeverUsed(group: Group): void {
    if (
      group.state === "Empty" &&
      group.generationId === 0 &&
      group.members.size === 0 &&
      group.pendingMemberTimers.size === 0 &&
      !this.offsets.hasOffsets(group.groupId)
    ) {
      group.transitionTo("Dead");
      this.groups.delete(group.groupId);
    }
  }

  /** Timer callbacks run outside any queue; they only queue work on their group, which checks it is still current. */
  private runTimerTask(group: Group, task: () => void): void {
    void this.queues.run(group.groupId, () => {
      if (this.lifecycle !== "active" || this.groups.get(group.groupId) !== group) return;
      task();
    });
  }

  // ---------------------------------------------------------------- helpers

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

  private shutDownGroup(group: Group): void {
    group.rebalanceTimer?.cancel();
    group.rebalanceTimer = null;
    for (const timer of group.pendingMemberTimers.values()) timer.cancel();
    group.pendingMemberTimers.clear();
    for (const member of group.members.values()) {
      this.stopSessionTimer(member);
      this.answerParkedRequests(member, ErrorCode.NOT_COORDINATOR);
    }
  }

  private unavailableError(): KafkaErrorCode {
    switch (this.lifecycle) {
      case "loading":
        return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
      case "closed":
        return ErrorCode.NOT_COORDINATOR;
      case "active":
        return ErrorCode.NONE;
    }
  }
}

function describedUnknownGroup(groupId: string, errorCode: KafkaErrorCode): DescribedGroup {
  return { groupId, errorCode, state: "Dead", protocolType: "", protocolName: "", members: [] };
}

function everyOffsetFailed(request: OffsetCommitRequest, errorCode: KafkaErrorCode): OffsetCommitPartitionResult[] {
  return request.offsets.map((offset) => ({ topic: offset.topic, partition: offset.partition, errorCode }));
}
