// Membership of one consumer group under the KIP-848 consumer protocol (`groupProtocol: "consumer"`,
// Java's group.protocol=consumer): no JoinGroup/SyncGroup barrier. The member heartbeats
// (ConsumerGroupHeartbeat) on a timer at the interval the coordinator gives, and the coordinator
// computes the assignment and answers with the member's part of it, by topic id. The member's
// epoch plays the part of the classic generation: commits carry it, and a stale one is fenced.
//
// It offers the runner the same surface as the classic GroupMembership (group.ts), so the runner's
// cooperative path (cooperative.ts) drives it: joinAndSync is "heartbeat now, naming what I own,
// and tell me my assignment". A heartbeat that brings a changed assignment asks the runner to
// rejoin; the runner then revokes what was taken away (committing it) and calls joinAndSync again,
// and that heartbeat, owning no more than what stays, acknowledges the revocation — which the
// coordinator waits for before it hands those partitions on.
//
// Errors: FENCED_MEMBER_EPOCH and UNKNOWN_MEMBER_ID mean the member's partitions are lost (not
// revoked: nothing is committed); it joins again with epoch 0 under the same member id, as Java's
// consumer does. Coordinator errors rediscover the coordinator and retry. UNRELEASED_INSTANCE_ID,
// UNSUPPORTED_ASSIGNOR, INVALID_REQUEST, GROUP_ID_NOT_FOUND (the group id is a classic group's) and
// INVALID_REGULAR_EXPRESSION are fatal. Leaving is a heartbeat with epoch -1 (a static member: -2,
// its instance keeps its partitions until its session runs out).
//
// Ownership: a ConsumerGroupMembership owns its coordinator connection (GroupOffsets), its heartbeat
// timer, the member epoch and the last assignment the coordinator sent. Heartbeats go one at a time
// (a queue), so each answer is applied in the order the coordinator gave it. It does not decide when
// the session changes: it reports through `onRejoinNeeded` and the runner acts when it is ready.

import { randomUUID } from "node:crypto";
import { Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse } from "../../protocol/messages/index.ts";
import type { Cluster } from "../cluster.ts";
import { KafkaJSError, KafkaJSNonRetriableError, KafkaJSProtocolError } from "../errors.ts";
import { consumerEvents } from "../events.ts";
import type { InstrumentationEmitter } from "../instrumentation.ts";
import type { Logger } from "../logger.ts";
import type { Retrier } from "../retry.ts";
import {
  type CommitIdentity,
  type CommittedOffset,
  type GroupJoinResult,
  type GroupMember,
  GroupOffsets,
} from "./group.ts";
import { HeartbeatTimer } from "./heartbeat-timer.ts";
import type { ConsumerEvents, IMemberAssignment, OwnedSubscription, RebalanceProtocol } from "./types.ts";

/** The epochs a member sends to leave: a dynamic member, and a static one (whose instance keeps its place). */
export const LEAVE_GROUP_MEMBER_EPOCH = -1;
export const LEAVE_GROUP_STATIC_MEMBER_EPOCH = -2;

/** The group no longer counts this member at its epoch: what it owned is lost; it joins again with epoch 0. */
const FENCING_ERRORS = new Set<number>([ErrorCode.FENCED_MEMBER_EPOCH, ErrorCode.UNKNOWN_MEMBER_ID]);

const COORDINATOR_ERRORS = new Set<number>([
  ErrorCode.NOT_COORDINATOR,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
]);

/** Misconfiguration that another heartbeat cannot mend: the consumer stops (Java's consumer fails too). */
const FATAL_ERRORS = new Set<number>([
  ErrorCode.UNRELEASED_INSTANCE_ID,
  ErrorCode.UNSUPPORTED_ASSIGNOR,
  ErrorCode.INVALID_REQUEST,
  ErrorCode.GROUP_ID_NOT_FOUND,
  ErrorCode.INVALID_REGULAR_EXPRESSION,
  ErrorCode.GROUP_AUTHORIZATION_FAILED,
  ErrorCode.UNSUPPORTED_VERSION,
]);

export interface ConsumerGroupMembershipOptions {
  cluster: Cluster;
  logger: Logger;
  emitter: InstrumentationEmitter<ConsumerEvents>;
  retrier: Retrier;
  groupId: string;
  /** How long the member may take to revoke partitions (the coordinator fences it after). */
  rebalanceTimeout: number;
  /** Used until the coordinator names its own interval (its answer to the first heartbeat). */
  heartbeatInterval: number;
  /** Java's group.remote.assignor: a server-side assignor by name; null for the group's default. */
  groupRemoteAssignor?: string | null;
  /** Static membership (Java's group.instance.id); null or left out for a dynamic member. */
  groupInstanceId?: string | null;
  rackId?: string | null;
  onRejoinNeeded(reason: KafkaJSProtocolError): void;
}

/** What one heartbeat says beyond the member's epoch: its subscription (sent on joining) and what it owns. */
interface HeartbeatContent {
  /** null for a timer's heartbeat, which has nothing to say when the member is not in the group. */
  topics: string[] | null;
  /** null: unchanged since the last heartbeat that said. */
  owned: { topic: string; partitions: number[] }[] | null;
}

export class ConsumerGroupMembership extends GroupOffsets implements GroupMember {
  /** Version 1 lets the member choose its id (Java: a random one), kept for the consumer's lifetime. */
  memberId: string = randomUUID();
  /** 0 until the coordinator counts the member (and again after it was fenced). */
  memberEpoch = 0;
  /** The first epoch of this stint in the group: commits of an earlier stint must not borrow a newer epoch. */
  private joinedAtEpoch = 0;
  /** The member's assignment as the coordinator last sent it, by topic name. */
  private assignment: IMemberAssignment = {};
  private heartbeatIntervalMs: number;
  private readonly heartbeats = new HeartbeatTimer(
    () => this.heartbeatOnTimer(),
    () => this.heartbeatIntervalMs,
  );
  /** The heartbeat in flight (at most one), so that answers are applied in order. */
  private queue: Promise<unknown> = Promise.resolve();
  private fatal: KafkaJSNonRetriableError | null = null;
  readonly rebalanceProtocol: RebalanceProtocol = "COOPERATIVE";
  private readonly logger: Logger;

  constructor(private readonly options: ConsumerGroupMembershipOptions) {
    super(options.cluster, options.groupId, options.emitter);
    this.logger = options.logger;
    this.heartbeatIntervalMs = options.heartbeatInterval;
    // The coordinator names topics by id: the metadata must carry them.
    options.cluster.useTopicIds();
  }

  get identity(): CommitIdentity {
    return { generationId: this.memberEpoch, memberId: this.memberId };
  }

  protected override get groupInstanceId(): string | null {
    return this.options.groupInstanceId ?? null;
  }

  /** The current assignment, by topic name (a copy). */
  get currentAssignment(): IMemberAssignment {
    return Object.fromEntries(Object.entries(this.assignment).map(([topic, list]) => [topic, [...list]]));
  }

  /** Fenced or forgotten: the next heartbeat joins with epoch 0 (the member id stays, as in Java). */
  forgetMember(): void {
    this.memberEpoch = 0;
    this.joinedAtEpoch = 0;
    this.assignment = {};
  }

  /**
   * The member epoch is a fencing token rather than a generation: a commit carries the newest epoch
   * of this stint in the group (as Java's consumer does), since a heartbeat may have moved the epoch
   * on without changing the partitions; a commit answered STALE_MEMBER_EPOCH waits for the heartbeat
   * in flight and tries once more.
   */
  override async commit(identity: CommitIdentity, offsets: CommittedOffset[]): Promise<void> {
    try {
      await super.commit(this.commitIdentity(identity), offsets);
    } catch (error) {
      if (!(error instanceof KafkaJSProtocolError) || error.code !== ErrorCode.STALE_MEMBER_EPOCH) throw error;
      await this.queue.catch(() => undefined);
      await super.commit(this.commitIdentity(identity), offsets);
    }
  }

  private commitIdentity(identity: CommitIdentity): CommitIdentity {
    const sameStint =
      identity.memberId === this.memberId && this.joinedAtEpoch > 0 && identity.generationId >= this.joinedAtEpoch;
    return sameStint && this.memberEpoch > 0 ? this.identity : identity;
  }

  /**
   * Heartbeats now — joining with epoch 0 and the subscription, or naming what the member owns —
   * and answers with the member's current assignment, retrying coordinator errors with backoff.
   * A fenced member that owns nothing joins again at once; one that owns partitions gets the error
   * (its partitions are lost, which is the runner's to handle).
   */
  async joinAndSync(
    topics: string[],
    shouldContinue: () => boolean,
    owned: OwnedSubscription = {},
  ): Promise<GroupJoinResult> {
    this.stopHeartbeats();
    const ownsPartitions = (owned.ownedPartitions ?? []).some(({ partitions }) => partitions.length > 0);
    return this.options.retrier(async (bail) => {
      for (let immediateRetries = 0; ; immediateRetries++) {
        if (!shouldContinue()) bail(new KafkaJSNonRetriableError("The consumer stopped while joining the group"));
        if (this.fatal) bail(this.fatal);
        if (immediateRetries > 5) throw new KafkaJSError("The group keeps fencing this member");
        try {
          // A session that has just opened owns nothing, whatever the member owned before.
          await this.heartbeatNow({ topics, owned: owned.ownedPartitions ?? [] });
          this.startHeartbeats();
          return this.joinResult();
        } catch (error) {
          if (!(error instanceof KafkaJSProtocolError)) throw error;
          if (FENCING_ERRORS.has(error.code)) {
            this.forgetMember();
            if (ownsPartitions) bail(error);
            continue;
          }
          if (COORDINATOR_ERRORS.has(error.code)) {
            this.forgetCoordinator();
            throw new KafkaJSError(error, { cause: error });
          }
          if (this.fatal) bail(this.fatal);
          if (!error.retriable) bail(error);
          throw error;
        }
      }
    });
  }

  private joinResult(): GroupJoinResult {
    return {
      generationId: this.memberEpoch,
      memberId: this.memberId,
      // The coordinator assigns: there is no leader among the members.
      leaderId: "",
      isLeader: false,
      groupProtocol: this.options.groupRemoteAssignor ?? "consumer",
      assignment: this.currentAssignment,
    };
  }

  /** Heartbeats run on a timer of their own, at the coordinator's interval. */
  startHeartbeats(): void {
    this.heartbeats.start();
  }

  stopHeartbeats(): void {
    this.heartbeats.stop();
  }

  private async heartbeatOnTimer(): Promise<void> {
    if (this.memberEpoch <= 0) return;
    const epoch = this.memberEpoch;
    try {
      const changed = await this.heartbeatNow({ topics: null, owned: null });
      if (changed) {
        this.options.onRejoinNeeded(
          new KafkaJSProtocolError(ErrorCode.REBALANCE_IN_PROGRESS, "the coordinator changed this member's assignment"),
        );
      }
    } catch (error) {
      if (!(error instanceof KafkaJSProtocolError)) {
        // The next tick tries again (on a fresh coordinator lookup); the session timeout decides.
        this.logger.debug("Heartbeat failed", { groupId: this.groupId, error: (error as Error).message });
        return;
      }
      if (COORDINATOR_ERRORS.has(error.code)) return;
      // An answer about an epoch already left behind says nothing about the current one.
      if (epoch !== this.memberEpoch) return;
      if (FENCING_ERRORS.has(error.code)) {
        this.forgetMember();
        this.options.onRejoinNeeded(error);
      } else if (this.fatal) {
        this.options.onRejoinNeeded(error);
      } else {
        this.logger.warn("Heartbeat failed", { groupId: this.groupId, error: error.message });
      }
    }
  }

  /** One heartbeat, after the one in flight; applies its answer and says whether the assignment changed. */
  private heartbeatNow(content: HeartbeatContent): Promise<boolean> {
    const next = this.queue.catch(() => undefined).then(() => this.sendHeartbeat(content));
    this.queue = next;
    return next;
  }

  private async sendHeartbeat(content: HeartbeatContent): Promise<boolean> {
    const { groupId, rebalanceTimeout } = this.options;
    const joining = this.memberEpoch <= 0;
    // A timer's heartbeat queued before the member was fenced: the runner's join will follow.
    if (joining && content.topics === null) return false;
    const coordinator = await this.coordinatorConnection();
    const request: ConsumerGroupHeartbeatRequest = {
      groupId,
      memberId: this.memberId,
      memberEpoch: joining ? 0 : this.memberEpoch,
      instanceId: this.groupInstanceId,
      rackId: this.options.rackId || null,
      rebalanceTimeoutMs: joining ? rebalanceTimeout : -1,
      subscribedTopicNames: joining ? content.topics : null,
      subscribedTopicRegex: null,
      serverAssignor: joining ? (this.options.groupRemoteAssignor ?? null) : null,
      topicPartitions: joining ? [] : content.owned === null ? null : await this.toWire(content.owned),
    };
    const response = await this.guard(coordinator.request(Apis.ConsumerGroupHeartbeat, request));
    return this.apply(request, response);
  }

  private async apply(
    request: ConsumerGroupHeartbeatRequest,
    response: ConsumerGroupHeartbeatResponse,
  ): Promise<boolean> {
    const { groupId } = this.options;
    if (response.errorCode !== ErrorCode.NONE) {
      const error = new KafkaJSProtocolError(
        response.errorCode,
        `heartbeat of ${this.memberId} (epoch ${request.memberEpoch}) in group ${groupId}${
          response.errorMessage ? `: ${response.errorMessage}` : ""
        }`,
      );
      if (COORDINATOR_ERRORS.has(response.errorCode)) this.forgetCoordinator();
      if (FATAL_ERRORS.has(response.errorCode)) this.fatal ??= new KafkaJSNonRetriableError(error, { cause: error });
      throw error;
    }
    if (response.memberId) this.memberId = response.memberId;
    if (request.memberEpoch === 0) this.joinedAtEpoch = response.memberEpoch;
    this.memberEpoch = response.memberEpoch;
    if (response.heartbeatIntervalMs > 0) this.heartbeatIntervalMs = response.heartbeatIntervalMs;
    this.options.emitter.emit(consumerEvents.HEARTBEAT, {
      groupId,
      memberId: this.memberId,
      groupGenerationId: this.memberEpoch,
    });
    if (response.assignment == null) return false;
    const next = await this.fromWire(response.assignment.topicPartitions);
    const changed = assignmentKey(next) !== assignmentKey(this.assignment);
    this.assignment = next;
    return changed;
  }

  /** Topic names to ids; a topic the metadata does not know (yet) is looked up once more, else left out. */
  private async toWire(
    owned: { topic: string; partitions: number[] }[],
  ): Promise<{ topicId: Buffer; partitions: number[] }[]> {
    const { cluster } = this.options;
    const idOf = (topic: string): string | undefined =>
      cluster.hasTopic(topic) ? cluster.topicMetadata(topic).topicId : undefined;
    const listed = owned.filter(({ partitions }) => partitions.length > 0);
    if (listed.some(({ topic }) => idOf(topic) === undefined)) await cluster.refreshMetadata();
    const wire: { topicId: Buffer; partitions: number[] }[] = [];
    for (const { topic, partitions } of listed) {
      const id = idOf(topic);
      if (id === undefined) this.logger.warn("No topic id for an owned topic", { groupId: this.groupId, topic });
      else wire.push({ topicId: Buffer.from(id, "hex"), partitions: [...partitions].sort((a, b) => a - b) });
    }
    return wire;
  }

  /** Topic ids to names, refreshing the metadata once if an id is new to it. */
  private async fromWire(topicPartitions: { topicId: Buffer; partitions: number[] }[]): Promise<IMemberAssignment> {
    const { cluster } = this.options;
    const ids = topicPartitions.map(({ topicId }) => topicId.toString("hex"));
    if (ids.some((id) => cluster.topicNameById(id) === undefined)) await cluster.refreshMetadata();
    const assignment: IMemberAssignment = {};
    topicPartitions.forEach(({ partitions }, index) => {
      const id = ids[index]!;
      const topic = cluster.topicNameById(id);
      if (topic === undefined) {
        this.logger.warn("Assigned partitions of a topic the metadata does not know", {
          groupId: this.groupId,
          topicId: id,
        });
        return;
      }
      assignment[topic] = [...(assignment[topic] ?? []), ...partitions].sort((a, b) => a - b);
    });
    return assignment;
  }

  /**
   * Leaves the group: a heartbeat with epoch -1, or -2 for a static member, whose instance keeps
   * its partitions until its session runs out (so that a restart within it moves nothing). The
   * heartbeat has no field for a reason; the member joins again with epoch 0 if the runner goes on.
   */
  async leave(_reason?: string): Promise<void> {
    this.stopHeartbeats();
    await this.queue.catch(() => undefined);
    if (this.memberEpoch <= 0) return;
    const memberEpoch = this.groupInstanceId === null ? LEAVE_GROUP_MEMBER_EPOCH : LEAVE_GROUP_STATIC_MEMBER_EPOCH;
    this.forgetMember();
    const coordinator = await this.coordinatorConnection();
    const response = await this.guard(
      coordinator.request(Apis.ConsumerGroupHeartbeat, {
        groupId: this.options.groupId,
        memberId: this.memberId,
        memberEpoch,
        instanceId: this.groupInstanceId,
        rackId: null,
        rebalanceTimeoutMs: -1,
        subscribedTopicNames: null,
        subscribedTopicRegex: null,
        serverAssignor: null,
        topicPartitions: null,
      }),
    );
    if (response.errorCode !== ErrorCode.NONE && response.errorCode !== ErrorCode.UNKNOWN_MEMBER_ID)
      throw new KafkaJSProtocolError(response.errorCode, `leaving group ${this.options.groupId}`);
  }
}

function assignmentKey(assignment: IMemberAssignment): string {
  return Object.keys(assignment)
    .sort()
    .map((topic) => `${topic}:${assignment[topic]!.join(",")}`)
    .join(";");
}
