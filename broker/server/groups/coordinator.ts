// The consumer-group coordinator: the one entry point the wire handlers call for classic group
// membership (JoinGroup, SyncGroup, Heartbeat, LeaveGroup), committed offsets (OffsetCommit,
// OffsetFetch) and group admin (DescribeGroups, ListGroups, DeleteGroups). It decides whether this
// broker coordinates a group right now and runs each request in its group's serial queue; the
// work itself is done by membership.ts, offsets.ts and group-admin.ts over the state kept by
// group-metadata-manager.ts.
//
// The KIP-848 consumer protocol (ConsumerGroupHeartbeat, ConsumerGroupDescribe) is served here too,
// by consumer-group-heartbeat.ts and consumer-group-admin.ts in the same group queues; a group id
// is a classic group or a consumer group, never both.
//
// A broker coordinates the groups of the `__consumer_offsets` partitions it leads (Kafka's
// onElection / onResignation): when it becomes a partition's leader it loads that partition's
// groups from its replica — once everything the replica holds is committed, so that no offset a
// client was told is committed goes missing — answering COORDINATOR_LOAD_IN_PROGRESS for them
// meanwhile; when it stops leading it, the partition's groups are unloaded (parked requests
// answered NOT_COORDINATOR) and their requests get NOT_COORDINATOR, which sends clients to
// FindCoordinator. A lone broker is a quorum of one and hears of its leaderships the same way.
//
// Ownership rule: one owner per piece of mutable state. Each group's state — its members, timers,
// parked responses, committed and pending transactional offsets — is mutated only by that group's
// serial queue, owned by its GroupQueues (group-queues.ts, which also says whether a group may be
// served): operations on one group run one after another, different groups run independently, and
// no locks are taken. Which partitions this broker leads, whether each is loaded, and the
// coordinator's lifecycle are owned by its OffsetsPartitions (offsets-partitions.ts); a partition's
// groups are loaded only while no request of theirs may run (the partition is not loaded yet), and
// unloaded in their group queues.
//
// Kafka error conditions are returned as error codes inside results, never thrown; a throw means
// a bug in the caller or here.

import { ErrorCode } from "../../protocol/errors.ts";
import type { EventJournal } from "../admin/cluster-events.ts";
import { type Logger, silentLogger } from "../logger.ts";
import type { GroupCoordinatorConfig } from "./config.ts";
import { resolveGroupCoordinatorConfig } from "./config.ts";
import type { ConsumerGroup, SubscribableTopic } from "./consumer-group.ts";
import {
  ConsumerGroupAdmin,
  type DescribedConsumerGroup,
  describeAsClassicGroup,
  describedUnknownConsumerGroup,
} from "./consumer-group-admin.ts";
import {
  type ConsumerGroupHeartbeatRequest,
  type ConsumerGroupHeartbeatResult,
  ConsumerGroupHeartbeats,
  failedHeartbeat,
} from "./consumer-group-heartbeat.ts";
import { consumerGroupCommitError, consumerGroupFetchError } from "./consumer-group-offsets.ts";
import { ConsumerGroupTimers } from "./consumer-group-timers.ts";
import type { Group } from "./group.ts";
import { describedUnknownGroup, GroupAdmin } from "./group-admin.ts";
import { answered, failedJoin, failedSync } from "./group-answers.ts";
import { GroupEvents } from "./group-events.ts";
import { GroupMetadataManager, type OffsetsLog } from "./group-metadata-manager.ts";
import { GroupQueues } from "./group-queues.ts";
import { GroupTimers } from "./group-timers.ts";
import { GroupMembership } from "./membership.ts";
import { everyOffsetFailed, GroupOffsets } from "./offsets.ts";
import { OffsetsPartitions } from "./offsets-partitions.ts";
import type { Scheduler } from "./scheduler.ts";
import { systemScheduler } from "./scheduler.ts";
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
  /** The cluster's topics, for consumer-protocol subscriptions; none without it. */
  subscribableTopics?: () => readonly SubscribableTopic[];
  log?: Logger;
  /** Where joins, leaves, removals and rebalances are recorded, with their causes; nowhere without it. */
  events?: EventJournal;
}

export class GroupCoordinator {
  readonly config: GroupCoordinatorConfig;
  private readonly requests: GroupQueues;
  private readonly metadata: GroupMetadataManager;
  private readonly membership: GroupMembership;
  private readonly offsets: GroupOffsets;
  private readonly admin: GroupAdmin;
  private readonly consumerTimers: ConsumerGroupTimers;
  private readonly consumerGroups: ConsumerGroupHeartbeats;
  private readonly consumerAdmin: ConsumerGroupAdmin;
  private readonly subscribableTopics: () => readonly SubscribableTopic[];
  private readonly log: Logger;
  private readonly partitions: OffsetsPartitions;

  constructor(options: GroupCoordinatorOptions) {
    this.config = resolveGroupCoordinatorConfig(options.config);
    const scheduler = options.scheduler ?? systemScheduler;
    this.log = options.log ?? silentLogger;
    this.metadata = new GroupMetadataManager(options.offsetsLog, this.config.offsetsTopicNumPartitions);
    const timers = new GroupTimers(scheduler, (group, task) => this.runTimerTask(group, task));
    const events = new GroupEvents(options.events);
    this.membership = new GroupMembership(this.config, this.metadata, timers, events);
    this.offsets = new GroupOffsets({
      config: this.config,
      scheduler,
      metadata: this.metadata,
      membership: this.membership,
      partitionExists: options.partitionExists ?? (() => true),
    });
    this.admin = new GroupAdmin(this.metadata, timers);
    this.subscribableTopics = options.subscribableTopics ?? (() => []);
    this.consumerTimers = new ConsumerGroupTimers(scheduler, (group, task) => this.runConsumerTimerTask(group, task));
    this.consumerGroups = new ConsumerGroupHeartbeats({
      config: this.config,
      metadata: this.metadata,
      timers: this.consumerTimers,
      topics: this.subscribableTopics,
      events,
    });
    this.consumerAdmin = new ConsumerGroupAdmin(this.metadata, this.consumerTimers);
    this.partitions = new OffsetsPartitions({
      awaitLoadable: (partition) => this.metadata.awaitLoadable(partition),
      load: (partition) => this.metadata.loadPartition(partition),
      unload: (partition) => this.unloadPartition(partition),
      now: () => scheduler.now(),
      log: this.log,
    });
    this.requests = new GroupQueues(this.partitions, (groupId) => this.partitionFor(groupId));
  }

  /**
   * Starts as the leader of every partition of `__consumer_offsets`, all loaded when this resolves
   * (a coordinator on its own, as the group tests run it). Until then requests get
   * COORDINATOR_LOAD_IN_PROGRESS.
   */
  async load(): Promise<void> {
    if (!this.partitions.starting) throw new Error("group coordinator cannot load once started");
    for (let partition = 0; partition < this.config.offsetsTopicNumPartitions; partition += 1) {
      this.onElection(partition, 0);
    }
    await this.startup();
  }

  /**
   * Starts serving the partitions this broker leads, as onElection and onResignation said and go
   * on saying (a cluster member calls it once its metadata has caught up, so that it does not act
   * on leaderships it lost while it was away). Resolves once the partitions led now are loaded;
   * rejects if one of them cannot be read.
   */
  async startup(): Promise<void> {
    await this.partitions.startup();
  }

  /**
   * This broker now leads `partition` of `__consumer_offsets` at `leaderEpoch`: its groups load
   * (once running) and are served when loaded (offsets-partitions.ts).
   */
  onElection(partition: number, leaderEpoch: number): void {
    this.partitions.onElection(partition, leaderEpoch);
  }

  /** This broker no longer leads `partition`: its groups get NOT_COORDINATOR and are unloaded. */
  onResignation(partition: number, leaderEpoch?: number): void {
    this.partitions.onResignation(partition, leaderEpoch);
  }

  /** The partitions this broker leads, and whether each is loaded (for diagnostics and tests). */
  ledPartitions(): { partition: number; leaderEpoch: number; loaded: boolean }[] {
    return this.partitions.ledPartitions();
  }

  /**
   * A classic group's generation, for the admin listener (DescribeGroups does not carry it); a read
   * between queue tasks, which never yield halfway through a change.
   */
  classicGeneration(groupId: string): number | undefined {
    return this.metadata.group(groupId)?.generationId;
  }

  /**
   * Stops the coordinator: new requests get NOT_COORDINATOR at once; each group, in its own queue
   * and after the work already queued there, cancels its timers and answers parked requests with
   * NOT_COORDINATOR (clients then look for the coordinator again).
   */
  async close(): Promise<void> {
    if (!this.partitions.close()) return;
    await Promise.all(
      [...this.metadata.groupIds(), ...[...this.metadata.allConsumerGroups()].map((group) => group.groupId)].map(
        (groupId) =>
          this.requests.run(groupId, () => {
            const group = this.metadata.group(groupId);
            if (group !== undefined) this.membership.shutDown(group, ErrorCode.NOT_COORDINATOR);
            this.consumerAdmin.shutDown(groupId);
          }),
      ),
    );
    await this.requests.drain();
  }

  /** The `__consumer_offsets` partition whose leader coordinates this group (FindCoordinator). */
  partitionFor(groupId: string): number {
    return this.metadata.partitionFor(groupId);
  }

  // ---------------------------------------------------------------- membership

  async join(request: JoinGroupRequest): Promise<JoinGroupResult> {
    const refused = this.requests.refusal(request.groupId, true);
    if (refused !== ErrorCode.NONE) return failedJoin(request.memberId, refused);
    const outcome = await this.requests.inGroupQueue(
      request.groupId,
      (errorCode) => answered(failedJoin(request.memberId, errorCode)),
      () => {
        // A JoinGroup for a consumer-protocol group is refused while it has members; an empty one gives way.
        const consumerGroup = this.metadata.consumerGroup(request.groupId);
        if (consumerGroup !== undefined && consumerGroup.members.size > 0) {
          return answered(failedJoin(request.memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
        }
        if (consumerGroup !== undefined) this.metadata.removeConsumerGroup(request.groupId);
        return this.membership.join(request);
      },
    );
    return outcome.response;
  }

  async sync(request: SyncGroupRequest): Promise<SyncGroupResult> {
    const refused = this.requests.refusal(request.groupId, true);
    if (refused !== ErrorCode.NONE) return failedSync(refused);
    const outcome = await this.requests.inGroupQueue(
      request.groupId,
      (errorCode) => answered(failedSync(errorCode)),
      () => this.membership.sync(request),
    );
    return outcome.response;
  }

  /** While the group's partition loads, a heartbeat is answered NONE, as Kafka answers it "blindly". */
  async heartbeat(request: HeartbeatRequest): Promise<HeartbeatResult> {
    const blindly = (errorCode: KafkaErrorCode): KafkaErrorCode =>
      errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS ? ErrorCode.NONE : errorCode;
    const refused = this.requests.refusal(request.groupId, true);
    if (refused !== ErrorCode.NONE) return { errorCode: blindly(refused) };
    const errorCode = await this.requests.inGroupQueue(request.groupId, blindly, () =>
      this.membership.heartbeat(request),
    );
    return { errorCode };
  }

  /** An empty group id fails every member; a coordinator that cannot serve answers at the top level only, as Kafka. */
  async leave(request: LeaveGroupRequest): Promise<LeaveGroupResult> {
    const notServed = (errorCode: KafkaErrorCode): LeaveGroupResult => ({ errorCode, members: [] });
    const refused = this.requests.refusal(request.groupId, true);
    if (refused === ErrorCode.INVALID_GROUP_ID) {
      return { errorCode: refused, members: request.members.map((member) => ({ ...member, errorCode: refused })) };
    }
    if (refused !== ErrorCode.NONE) return notServed(refused);
    return this.requests.inGroupQueue(request.groupId, notServed, () => this.membership.leave(request));
  }

  // ---------------------------------------------------------------- the consumer protocol (KIP-848)

  async consumerGroupHeartbeat(request: ConsumerGroupHeartbeatRequest): Promise<ConsumerGroupHeartbeatResult> {
    const refused = this.requests.refusal(request.groupId, false);
    if (refused !== ErrorCode.NONE) return failedHeartbeat(refused);
    return this.requests.inGroupQueue(
      request.groupId,
      (errorCode) => failedHeartbeat(errorCode),
      () => this.consumerGroups.heartbeat(request),
    );
  }

  /** A group that is not a consumer-protocol group answers GROUP_ID_NOT_FOUND, as Kafka does. */
  async consumerGroupDescribe(groupIds: readonly string[]): Promise<DescribedConsumerGroup[]> {
    const names = new Map(this.subscribableTopics().map((topic) => [topic.topicId.toString("hex"), topic.name]));
    return Promise.all(
      groupIds.map((groupId) => {
        const refused = this.requests.refusal(groupId, false);
        if (refused !== ErrorCode.NONE) return describedUnknownConsumerGroup(groupId, refused);
        return this.requests.inGroupQueue(
          groupId,
          (errorCode) => describedUnknownConsumerGroup(groupId, errorCode),
          () => this.consumerAdmin.describe(groupId, (topicId) => names.get(topicId)),
        );
      }),
    );
  }

  // ---------------------------------------------------------------- offsets

  /**
   * Resolves once the accepted offsets are appended to `__consumer_offsets`. One error code per
   * offset, in request order.
   */
  async commitOffsets(request: OffsetCommitRequest): Promise<OffsetCommitPartitionResult[]> {
    const refused = this.requests.refusal(request.groupId, false);
    if (refused !== ErrorCode.NONE) return everyOffsetFailed(request, refused);
    return this.requests.inGroupQueue(
      request.groupId,
      (errorCode) => everyOffsetFailed(request, errorCode),
      () => {
        // For a consumer-protocol group the generation is the member epoch.
        const consumerGroup = this.metadata.consumerGroup(request.groupId);
        if (consumerGroup === undefined) return this.offsets.commit(request);
        const refusedMember = consumerGroupCommitError(consumerGroup, request.memberId, request.generationId);
        if (refusedMember !== ErrorCode.NONE) return everyOffsetFailed(request, refusedMember);
        return this.offsets.commitAccepted(request);
      },
    );
  }

  /** TxnOffsetCommit: offsets pending in the producer's transaction until its marker (offsets.ts). */
  async commitTransactionalOffsets(
    request: OffsetCommitRequest & { producerId: bigint; producerEpoch: number },
  ): Promise<OffsetCommitPartitionResult[]> {
    const refused = this.requests.refusal(request.groupId, false);
    if (refused !== ErrorCode.NONE) return everyOffsetFailed(request, refused);
    const failed = (errorCode: KafkaErrorCode) => everyOffsetFailed(request, errorCode);
    return this.requests.inGroupQueue(request.groupId, failed, () => this.offsets.commitTransactional(request));
  }

  /** A marker of the producer reached `partition` here: its pending offsets there commit or go, group by group. */
  async onTransactionCompleted(partition: number, producerId: bigint, commit: boolean): Promise<void> {
    const groupIds = this.metadata.groupsWithPendingOffsets(partition, producerId);
    const complete = (groupId: string) => () => this.metadata.completeTransaction(groupId, producerId, commit);
    await Promise.all(groupIds.map((groupId) => this.requests.run(groupId, complete(groupId))));
  }

  /**
   * `topics` null asks for every partition the group has committed; never-committed partitions
   * answer offset -1; with `requireStable`, ones pending in a transaction UNSTABLE_OFFSET_COMMIT.
   */
  async fetchOffsets(
    groupId: string,
    topics: readonly TopicPartitionsQuery[] | null,
    member: { memberId: string | null; memberEpoch: number } = { memberId: null, memberEpoch: -1 },
    requireStable = false,
  ): Promise<OffsetFetchResult> {
    const refused = this.requests.refusal(groupId, false);
    if (refused !== ErrorCode.NONE) return { errorCode: refused, topics: [] };
    return this.requests.inGroupQueue(
      groupId,
      (errorCode) => ({ errorCode, topics: [] }),
      () => {
        const consumerGroup = this.metadata.consumerGroup(groupId);
        const refusedMember =
          consumerGroup === undefined
            ? ErrorCode.NONE
            : consumerGroupFetchError(consumerGroup, member.memberId, member.memberEpoch);
        if (refusedMember !== ErrorCode.NONE) return { errorCode: refusedMember, topics: [] };
        return this.offsets.fetch(groupId, topics, requireStable);
      },
    );
  }

  // ---------------------------------------------------------------- administration

  async describe(groupIds: readonly string[]): Promise<DescribedGroup[]> {
    return Promise.all(
      groupIds.map((groupId) => {
        const refused = this.requests.refusal(groupId, false);
        if (refused !== ErrorCode.NONE) return describedUnknownGroup(groupId, refused);
        return this.requests.inGroupQueue(
          groupId,
          (errorCode) => describedUnknownGroup(groupId, errorCode),
          () => {
            const consumerGroup = this.metadata.consumerGroup(groupId);
            return consumerGroup === undefined ? this.admin.describe(groupId) : describeAsClassicGroup(consumerGroup);
          },
        );
      }),
    );
  }

  /**
   * The groups of the loaded partitions; COORDINATOR_LOAD_IN_PROGRESS beside them while a
   * partition loads, as Kafka's ListGroups. `statesFilter` as in ListGroups v4: empty or absent
   * lists every group; names match case-insensitively.
   */
  async list(statesFilter?: readonly string[], typesFilter?: readonly string[]): Promise<ListGroupsResult> {
    const unavailable = this.partitions.lifecycleError();
    if (unavailable !== ErrorCode.NONE) return { errorCode: unavailable, groups: [] };
    return {
      errorCode: this.partitions.anyLoading ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NONE,
      groups: [...this.admin.list(statesFilter), ...this.consumerAdmin.list(statesFilter)].filter(
        (group) =>
          this.requests.partitionError(group.groupId) === ErrorCode.NONE &&
          (typesFilter === undefined ||
            typesFilter.length === 0 ||
            typesFilter.some((type) => type.toLowerCase() === (group.groupType ?? "classic"))),
      ),
    };
  }

  /** Deletes empty groups together with their committed offsets (tombstones in `__consumer_offsets`). */
  async delete(groupIds: readonly string[]): Promise<DeleteGroupResult[]> {
    return Promise.all(
      groupIds.map(async (groupId) => {
        const refused = this.requests.refusal(groupId, false);
        if (refused !== ErrorCode.NONE) return { groupId, errorCode: refused };
        const errorCode = await this.requests.inGroupQueue(
          groupId,
          (refusedLater): KafkaErrorCode => refusedLater,
          () => {
            const consumerGroup = this.metadata.consumerGroup(groupId);
            return consumerGroup === undefined ? this.admin.delete(groupId) : this.consumerAdmin.delete(consumerGroup);
          },
        );
        return { groupId, errorCode };
      }),
    );
  }

  // ---------------------------------------------------------------- partitions

  /**
   * Unloads the groups of a partition no longer led here, each in its own queue after the work
   * queued there (which answers NOT_COORDINATOR by then): timers stop, parked requests are
   * answered NOT_COORDINATOR, the group and its offsets are forgotten. A request that was already
   * running may still add a group of the partition; the next round waits behind it.
   */
  private async unloadPartition(partition: number): Promise<number> {
    let groups = 0;
    for (let ids = this.metadata.groupIdsOf(partition); ids.length > 0; ids = this.metadata.groupIdsOf(partition)) {
      await Promise.all(
        ids.map((groupId) =>
          this.requests.run(groupId, () => {
            const group = this.metadata.group(groupId);
            if (group !== undefined) {
              this.membership.shutDown(group, ErrorCode.NOT_COORDINATOR);
              group.transitionTo("Dead");
            }
            this.consumerAdmin.shutDown(groupId);
            this.metadata.unloadGroup(groupId);
          }),
        ),
      );
      groups += ids.length;
    }
    return groups;
  }

  // ---------------------------------------------------------------- queues

  /** Timer callbacks only queue work on their group, which checks it is still current. */
  private runTimerTask(group: Group, task: () => void): void {
    this.requests.runTimerTask(group.groupId, () => this.metadata.group(group.groupId) === group, task);
  }

  private runConsumerTimerTask(group: ConsumerGroup, task: () => void): void {
    this.requests.runTimerTask(group.groupId, () => this.metadata.consumerGroup(group.groupId) === group, task);
  }
}
