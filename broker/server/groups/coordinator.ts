// The consumer-group coordinator: the one entry point the wire handlers call for classic group
// membership (JoinGroup, SyncGroup, Heartbeat, LeaveGroup), committed offsets (OffsetCommit,
// OffsetFetch) and group admin (DescribeGroups, ListGroups, DeleteGroups). It decides whether this
// broker coordinates a group right now and runs each request in its group's serial queue; the
// work itself is done by membership.ts, offsets.ts and group-admin.ts over the state kept by
// group-metadata-manager.ts.
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
// parked responses and committed offsets — is mutated only by that group's serial queue, owned
// here: operations on one group run one after another, different groups run independently, and
// no locks are taken. Which partitions this broker leads, and whether each is loaded, is owned
// here too: changed synchronously by onElection / onResignation, and a partition's loading and
// unloading run one after another in that partition's own queue. A partition's groups are loaded
// only while no request of theirs may run (the partition is not loaded yet), and unloaded in
// their group queues.
//
// Kafka error conditions are returned as error codes inside results, never thrown; a throw means
// a bug in the caller or here.

import { ErrorCode } from "../../protocol/errors.ts";
import { type Logger, silentLogger } from "../logger.ts";
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
  log?: Logger;
}

/** Before startup every request waits (COORDINATOR_LOAD_IN_PROGRESS); once closed, none is served. */
type Lifecycle = "starting" | "running" | "closed";

/** A `__consumer_offsets` partition this broker leads; its groups are served once it is loaded. */
interface LedPartition {
  leaderEpoch: number;
  loaded: boolean;
}

export class GroupCoordinator {
  readonly config: GroupCoordinatorConfig;
  private readonly queues = new KeyedSerialQueue<string>();
  private readonly metadata: GroupMetadataManager;
  private readonly membership: GroupMembership;
  private readonly offsets: GroupOffsets;
  private readonly admin: GroupAdmin;
  private readonly scheduler: Scheduler;
  private readonly log: Logger;
  private readonly led = new Map<number, LedPartition>();
  private readonly partitionQueues = new KeyedSerialQueue<number>();
  private lifecycle: Lifecycle = "starting";

  constructor(options: GroupCoordinatorOptions) {
    this.config = resolveGroupCoordinatorConfig(options.config);
    const scheduler = options.scheduler ?? systemScheduler;
    this.scheduler = scheduler;
    this.log = options.log ?? silentLogger;
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

  /**
   * Starts as the leader of every partition of `__consumer_offsets`, all loaded when this resolves
   * (a coordinator on its own, as the group tests run it). Until then requests get
   * COORDINATOR_LOAD_IN_PROGRESS.
   */
  async load(): Promise<void> {
    if (this.lifecycle !== "starting") throw new Error(`group coordinator cannot load while ${this.lifecycle}`);
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
    if (this.lifecycle !== "starting") throw new Error(`group coordinator cannot start while ${this.lifecycle}`);
    this.lifecycle = "running";
    await Promise.all([...this.led].map(([partition, led]) => this.scheduleLoad(partition, led)));
  }

  /**
   * This broker now leads `partition` of `__consumer_offsets` at `leaderEpoch`: its groups load
   * (once running) and are served when loaded. A newer epoch of a partition led already only
   * moves the epoch, as Kafka does: what is loaded stays valid.
   */
  onElection(partition: number, leaderEpoch: number): void {
    if (this.lifecycle === "closed") return;
    const current = this.led.get(partition);
    if (current !== undefined) {
      current.leaderEpoch = Math.max(current.leaderEpoch, leaderEpoch);
      return;
    }
    const led: LedPartition = { leaderEpoch, loaded: false };
    this.led.set(partition, led);
    if (this.lifecycle === "running") {
      this.scheduleLoad(partition, led).catch((error: unknown) =>
        this.log.error("group coordinator could not load a partition", {
          partition,
          leaderEpoch,
          error: error instanceof Error ? error.message : String(error),
        }),
      );
    }
  }

  /**
   * This broker no longer leads `partition` (it follows another leader at `leaderEpoch`, or its
   * replica is gone: no epoch). Its groups' requests get NOT_COORDINATOR from now on, and the
   * groups are unloaded. News older than the epoch led is ignored, as Kafka compares epochs.
   */
  onResignation(partition: number, leaderEpoch?: number): void {
    const current = this.led.get(partition);
    if (current === undefined) return;
    if (leaderEpoch !== undefined && leaderEpoch < current.leaderEpoch) return;
    this.led.delete(partition);
    if (this.lifecycle !== "running") return;
    this.partitionQueues
      .run(partition, () => this.unloadPartition(partition, current))
      .catch((error: unknown) =>
        this.log.error("group coordinator could not unload a partition", {
          partition,
          error: error instanceof Error ? error.message : String(error),
        }),
      );
  }

  /** The partitions this broker leads, and whether each is loaded (for diagnostics and tests). */
  ledPartitions(): { partition: number; leaderEpoch: number; loaded: boolean }[] {
    return [...this.led]
      .map(([partition, led]) => ({ partition, ...led }))
      .sort((left, right) => left.partition - right.partition);
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
    const refused = this.refusal(request.groupId, true);
    if (refused !== ErrorCode.NONE) return failedJoin(request.memberId, refused);
    const outcome = await this.inGroupQueue(
      request.groupId,
      (errorCode) => answered(failedJoin(request.memberId, errorCode)),
      () => this.membership.join(request),
    );
    return outcome.response;
  }

  async sync(request: SyncGroupRequest): Promise<SyncGroupResult> {
    const refused = this.refusal(request.groupId, true);
    if (refused !== ErrorCode.NONE) return failedSync(refused);
    const outcome = await this.inGroupQueue(
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
    const refused = this.refusal(request.groupId, true);
    if (refused !== ErrorCode.NONE) return { errorCode: blindly(refused) };
    const errorCode = await this.inGroupQueue(request.groupId, blindly, () => this.membership.heartbeat(request));
    return { errorCode };
  }

  /** An empty group id fails every member; a coordinator that cannot serve answers at the top level only, as Kafka. */
  async leave(request: LeaveGroupRequest): Promise<LeaveGroupResult> {
    const notServed = (errorCode: KafkaErrorCode): LeaveGroupResult => ({ errorCode, members: [] });
    const refused = this.refusal(request.groupId, true);
    if (refused === ErrorCode.INVALID_GROUP_ID) {
      return { errorCode: refused, members: request.members.map((member) => ({ ...member, errorCode: refused })) };
    }
    if (refused !== ErrorCode.NONE) return notServed(refused);
    return this.inGroupQueue(request.groupId, notServed, () => this.membership.leave(request));
  }

  // ---------------------------------------------------------------- offsets

  /**
   * Resolves once the accepted offsets are appended to `__consumer_offsets`. One error code per
   * offset, in request order.
   */
  async commitOffsets(request: OffsetCommitRequest): Promise<OffsetCommitPartitionResult[]> {
    const refused = this.refusal(request.groupId, false);
    if (refused !== ErrorCode.NONE) return everyOffsetFailed(request, refused);
    return this.inGroupQueue(
      request.groupId,
      (errorCode) => everyOffsetFailed(request, errorCode),
      () => this.offsets.commit(request),
    );
  }

  /** `topics` null asks for every partition the group has committed; never-committed partitions answer offset -1. */
  async fetchOffsets(groupId: string, topics: readonly TopicPartitionsQuery[] | null): Promise<OffsetFetchResult> {
    const refused = this.refusal(groupId, false);
    if (refused !== ErrorCode.NONE) return { errorCode: refused, topics: [] };
    return this.inGroupQueue(
      groupId,
      (errorCode) => ({ errorCode, topics: [] }),
      () => this.offsets.fetch(groupId, topics),
    );
  }

  // ---------------------------------------------------------------- administration

  async describe(groupIds: readonly string[]): Promise<DescribedGroup[]> {
    return Promise.all(
      groupIds.map((groupId) => {
        const refused = this.refusal(groupId, false);
        if (refused !== ErrorCode.NONE) return describedUnknownGroup(groupId, refused);
        return this.inGroupQueue(
          groupId,
          (errorCode) => describedUnknownGroup(groupId, errorCode),
          () => this.admin.describe(groupId),
        );
      }),
    );
  }

  /**
   * The groups of the loaded partitions; COORDINATOR_LOAD_IN_PROGRESS beside them while a
   * partition loads, as Kafka's ListGroups. `statesFilter` as in ListGroups v4: empty or absent
   * lists every group; names match case-insensitively.
   */
  async list(statesFilter?: readonly string[]): Promise<ListGroupsResult> {
    const unavailable = this.lifecycleError();
    if (unavailable !== ErrorCode.NONE) return { errorCode: unavailable, groups: [] };
    const loading = [...this.led.values()].some((led) => !led.loaded);
    return {
      errorCode: loading ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NONE,
      groups: this.admin.list(statesFilter).filter((group) => this.partitionError(group.groupId) === ErrorCode.NONE),
    };
  }

  /** Deletes empty groups together with their committed offsets (tombstones in `__consumer_offsets`). */
  async delete(groupIds: readonly string[]): Promise<DeleteGroupResult[]> {
    return Promise.all(
      groupIds.map(async (groupId) => {
        const refused = this.refusal(groupId, false);
        if (refused !== ErrorCode.NONE) return { groupId, errorCode: refused };
        const errorCode = await this.inGroupQueue(
          groupId,
          (refusedLater): KafkaErrorCode => refusedLater,
          () => this.admin.delete(groupId),
        );
        return { groupId, errorCode };
      }),
    );
  }

  // ---------------------------------------------------------------- partitions

  /**
   * Loads a partition led here, in its partition queue (after an unload queued before): once what
   * its replica holds is committed, unless the partition was given up meanwhile.
   */
  private scheduleLoad(partition: number, led: LedPartition): Promise<void> {
    return this.partitionQueues.run(partition, async () => {
      const startedAt = this.scheduler.now();
      const loadable = await this.metadata.awaitLoadable(partition);
      // Given up meanwhile: its unload is queued behind this; a new election brings a new LedPartition.
      if (!loadable || this.led.get(partition) !== led || this.lifecycle !== "running") return;
      const loaded = this.metadata.loadPartition(partition);
      led.loaded = true;
      // Every partition a broker leads loads when it starts: only those with groups are news.
      this.log[loaded.groups > 0 ? "info" : "debug"]("group coordinator loaded a partition", {
        partition,
        leaderEpoch: led.leaderEpoch,
        groups: loaded.groups,
        offsets: loaded.offsets,
        ms: this.scheduler.now() - startedAt,
      });
    });
  }

  /**
   * Unloads the groups of a partition no longer led here, each in its own queue after the work
   * queued there (which answers NOT_COORDINATOR by then): timers stop, parked requests are
   * answered NOT_COORDINATOR, the group and its offsets are forgotten. A request that was already
   * running may still add a group of the partition; the next round waits behind it.
   */
  private async unloadPartition(partition: number, led: LedPartition): Promise<void> {
    let groups = 0;
    for (let ids = this.metadata.groupIdsOf(partition); ids.length > 0; ids = this.metadata.groupIdsOf(partition)) {
      await Promise.all(
        ids.map((groupId) =>
          this.queues.run(groupId, () => {
            const group = this.metadata.group(groupId);
            if (group !== undefined) {
              this.membership.shutDown(group, ErrorCode.NOT_COORDINATOR);
              group.transitionTo("Dead");
            }
            this.metadata.unloadGroup(groupId);
          }),
        ),
      );
      groups += ids.length;
    }
    if (led.loaded)
      this.log.info("group coordinator unloaded a partition", { partition, leaderEpoch: led.leaderEpoch, groups });
  }

  // ---------------------------------------------------------------- queues

  /**
   * Runs `task` in the group's queue, after the work already queued there. A group this
   * coordinator stopped serving meanwhile gets `whenRefused` with the reason instead.
   */
  private inGroupQueue<Result>(
    groupId: string,
    whenRefused: (errorCode: KafkaErrorCode) => Result,
    task: () => Result | Promise<Result>,
  ): Promise<Result> {
    return this.queues.run(groupId, () => {
      const refused = this.refusal(groupId, false);
      return refused === ErrorCode.NONE ? task() : whenRefused(refused);
    });
  }

  /** Timer callbacks run outside any queue; they only queue work on their group, which checks it is still current. */
  private runTimerTask(group: Group, task: () => void): void {
    void this.queues.run(group.groupId, () => {
      if (this.refusal(group.groupId, false) !== ErrorCode.NONE || this.metadata.group(group.groupId) !== group) return;
      task();
    });
  }

  /**
   * Why a request for `groupId` cannot be served now, in Kafka's order (validateGroupStatus): the
   * coordinator's own state, an empty group id (for the membership APIs), then whether this
   * broker leads the group's partition and has loaded it.
   */
  private refusal(groupId: string, rejectsEmptyGroupId: boolean): KafkaErrorCode {
    const unavailable = this.lifecycleError();
    if (unavailable !== ErrorCode.NONE) return unavailable;
    if (rejectsEmptyGroupId && groupId === "") return ErrorCode.INVALID_GROUP_ID;
    return this.partitionError(groupId);
  }

  private lifecycleError(): KafkaErrorCode {
    switch (this.lifecycle) {
      case "starting":
        return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
      case "closed":
        return ErrorCode.NOT_COORDINATOR;
      case "running":
        return ErrorCode.NONE;
    }
  }

  private partitionError(groupId: string): KafkaErrorCode {
    const led = this.led.get(this.partitionFor(groupId));
    if (led === undefined) return ErrorCode.NOT_COORDINATOR;
    return led.loaded ? ErrorCode.NONE : ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
  }
}
