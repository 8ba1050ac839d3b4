// The consumer-group coordinator: the one entry point the wire handlers call for classic group
// membership (JoinGroup, SyncGroup, Heartbeat, LeaveGroup), committed offsets (OffsetCommit,
// OffsetFetch) and group admin (DescribeGroups, ListGroups, DeleteGroups). It decides whether this
// broker coordinates groups right now and runs each request in its group's serial queue; the work
// itself is done by membership.ts, offsets.ts and group-admin.ts over the state kept by
// group-metadata-manager.ts.
//
// Ownership rule: one owner per piece of mutable state. Each group's state — its members, timers,
// parked responses and committed offsets — is mutated only by that group's serial queue, owned
// here: operations on one group run one after another, different groups run independently, and
// no locks are taken. The coordinator's own lifecycle changes only here.
//
// Coordinator failover will make "coordinates groups right now" a question per
// `__consumer_offsets` partition (`partitionFor`): this is where a broker would start or stop
// serving one partition's groups, with GroupMetadataManager loading or unloading them.
//
// Kafka error conditions are returned as error codes inside results, never thrown; a throw means
// a bug in the caller or here.

import { ErrorCode } from "../../protocol/errors.ts";
import type { GroupCoordinatorConfig } from "./config.ts";
import { resolveGroupCoordinatorConfig } from "./config.ts";
import type { Group } from "./group.ts";
import { describedUnknownGroup, GroupAdmin } from "./group-admin.ts";
import { GroupMetadataManager, type OffsetsLog } from "./group-metadata-manager.ts";
import { GroupTimers } from "./group-timers.ts";
import { answered, failedJoin, failedSync, GroupMembership } from "./membership.ts";
import { everyOffsetFailed, GroupOffsets } from "./offsets.ts";
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
  TopicPartitionsQuery,
} from "./types.ts";

export interface GroupCoordinatorOptions {
  offsetsLog: OffsetsLog;
  config?: Partial<GroupCoordinatorConfig>;
  scheduler?: Scheduler;
  /** Lets OffsetCommit answer UNKNOWN_TOPIC_OR_PARTITION; without it every partition is accepted. */
  partitionExists?: (topic: string, partition: number) => boolean;
}

type Lifecycle = "loading" | "active" | "closed";

export class GroupCoordinator {
  readonly config: GroupCoordinatorConfig;
  private readonly queues = new KeyedSerialQueue<string>();
  private readonly metadata: GroupMetadataManager;
  private readonly membership: GroupMembership;
  private readonly offsets: GroupOffsets;
  private readonly admin: GroupAdmin;
  private lifecycle: Lifecycle = "loading";

  constructor(options: GroupCoordinatorOptions) {
    this.config = resolveGroupCoordinatorConfig(options.config);
    const scheduler = options.scheduler ?? systemScheduler;
    this.metadata = new GroupMetadataManager(options.offsetsLog, this.config.offsetsTopicNumPartitions);
    const timers = new GroupTimers(scheduler, (group, task) => this.runTimerTask(group, task));
    this.membership = new GroupMembership(this.config, this.metadata, timers);
    this.offsets = new GroupOffsets({
      config: this.config,
      scheduler,
      metadata: this.metadata,
      membership: this.membership,
      partitionExists: options.partitionExists ?? (() => true),
    });
    this.admin = new GroupAdmin(this.metadata, timers);
  }

  /** Rebuilds groups and committed offsets from `__consumer_offsets`; until then requests get COORDINATOR_LOAD_IN_PROGRESS. */
  async load(): Promise<void> {
    if (this.lifecycle !== "loading") throw new Error(`group coordinator cannot load while ${this.lifecycle}`);
    // No queue runs yet: every request is refused until loading ends.
    this.metadata.load();
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
      this.metadata.groupIds().map((groupId) =>
        this.queues.run(groupId, () => {
          const group = this.metadata.group(groupId);
          if (group !== undefined) this.membership.shutDown(group, ErrorCode.NOT_COORDINATOR);
        }),
      ),
    );
    await this.queues.drain();
  }

  /** The `__consumer_offsets` partition whose leader coordinates this group (FindCoordinator). */
  partitionFor(groupId: string): number {
    return this.metadata.partitionFor(groupId);
  }

  // ---------------------------------------------------------------- membership

  async join(request: JoinGroupRequest): Promise<JoinGroupResult> {
    const unavailable = this.unavailableError();
    if (unavailable !== ErrorCode.NONE) return failedJoin(request.memberId, unavailable);
    if (request.groupId === "") return failedJoin(request.memberId, ErrorCode.INVALID_GROUP_ID);
    const outcome = await this.inGroupQueue(
      request.groupId,
      () => answered(failedJoin(request.memberId, ErrorCode.NOT_COORDINATOR)),
      () => this.membership.join(request),
    );
    return outcome.response;
  }

  async sync(request: SyncGroupRequest): Promise<SyncGroupResult> {
    const unavailable = this.unavailableError();
    if (unavailable !== ErrorCode.NONE) return failedSync(unavailable);
    if (request.groupId === "") return failedSync(ErrorCode.INVALID_GROUP_ID);
    const outcome = await this.inGroupQueue(
      request.groupId,
      () => answered(failedSync(ErrorCode.NOT_COORDINATOR)),
      () => this.membership.sync(request),
    );
    return outcome.response;
  }

  async heartbeat(request: HeartbeatRequest): Promise<HeartbeatResult> {
    const unavailable = this.unavailableError();
    if (unavailable !== ErrorCode.NONE) return { errorCode: unavailable };
    if (request.groupId === "") return { errorCode: ErrorCode.INVALID_GROUP_ID };
    const errorCode = await this.inGroupQueue(
      request.groupId,
      (): KafkaErrorCode => ErrorCode.NOT_COORDINATOR,
      () => this.membership.heartbeat(request),
    );
    return { errorCode };
  }

  async leave(request: LeaveGroupRequest): Promise<LeaveGroupResult> {
    const unavailable = this.unavailableError();
    const requestError =
      unavailable !== ErrorCode.NONE
        ? unavailable
        : request.groupId === ""
          ? ErrorCode.INVALID_GROUP_ID
          : ErrorCode.NONE;
    const everyMemberFailed = (errorCode: KafkaErrorCode): LeaveGroupResult => ({
      errorCode,
      members: request.members.map((member) => ({ ...member, errorCode })),
    });
    if (requestError !== ErrorCode.NONE) return everyMemberFailed(requestError);
    return this.inGroupQueue(
      request.groupId,
      () => everyMemberFailed(ErrorCode.NOT_COORDINATOR),
      () => this.membership.leave(request),
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
    return this.inGroupQueue(
      request.groupId,
      () => everyOffsetFailed(request, ErrorCode.NOT_COORDINATOR),
      () => this.offsets.commit(request),
    );
  }

  /** `topics` null asks for every partition the group has committed; never-committed partitions answer offset -1. */
  async fetchOffsets(groupId: string, topics: readonly TopicPartitionsQuery[] | null): Promise<OffsetFetchResult> {
    const unavailable = this.unavailableError();
    if (unavailable !== ErrorCode.NONE) return { errorCode: unavailable, topics: [] };
    return this.inGroupQueue(
      groupId,
      () => ({ errorCode: ErrorCode.NOT_COORDINATOR, topics: [] }),
      () => this.offsets.fetch(groupId, topics),
    );
  }

  // ---------------------------------------------------------------- administration

  async describe(groupIds: readonly string[]): Promise<DescribedGroup[]> {
    return Promise.all(
      groupIds.map((groupId) => {
        const unavailable = this.unavailableError();
        if (unavailable !== ErrorCode.NONE) return describedUnknownGroup(groupId, unavailable);
        return this.inGroupQueue(
          groupId,
          () => describedUnknownGroup(groupId, ErrorCode.NOT_COORDINATOR),
          () => this.admin.describe(groupId),
        );
      }),
    );
  }

  /** `statesFilter` as in ListGroups v4: empty or absent lists every group; names match case-insensitively. */
  async list(statesFilter?: readonly string[]): Promise<ListGroupsResult> {
    const unavailable = this.unavailableError();
    if (unavailable !== ErrorCode.NONE) return { errorCode: unavailable, groups: [] };
    return { errorCode: ErrorCode.NONE, groups: this.admin.list(statesFilter) };
  }

  /** Deletes empty groups together with their committed offsets (tombstones in `__consumer_offsets`). */
  async delete(groupIds: readonly string[]): Promise<DeleteGroupResult[]> {
    return Promise.all(
      groupIds.map(async (groupId) => {
        const unavailable = this.unavailableError();
        if (unavailable !== ErrorCode.NONE) return { groupId, errorCode: unavailable };
        const errorCode = await this.inGroupQueue(
          groupId,
          (): KafkaErrorCode => ErrorCode.NOT_COORDINATOR,
          () => this.admin.delete(groupId),
        );
        return { groupId, errorCode };
      }),
    );
  }

  // ---------------------------------------------------------------- queues

  /**
   * Runs `task` in the group's queue, after the work already queued there. A coordinator closed
   * meanwhile answers with `whenClosed` instead.
   */
  private inGroupQueue<Result>(
    groupId: string,
    whenClosed: () => Result,
    task: () => Result | Promise<Result>,
  ): Promise<Result> {
    return this.queues.run(groupId, () => (this.lifecycle === "closed" ? whenClosed() : task()));
  }

  /** Timer callbacks run outside any queue; they only queue work on their group, which checks it is still current. */
  private runTimerTask(group: Group, task: () => void): void {
    void this.queues.run(group.groupId, () => {
      if (this.lifecycle !== "active" || this.metadata.group(group.groupId) !== group) return;
      task();
    });
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
