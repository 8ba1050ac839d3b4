// Membership of one consumer group under the classic protocol: FindCoordinator, JoinGroup (with
// the MEMBER_ID_REQUIRED round trip), the leader's assignment, SyncGroup, heartbeats on a timer of
// their own, offset commits and fetches, LeaveGroup. A static member (`groupInstanceId`, KIP-345)
// names its instance in each of these, sends no LeaveGroup, and stops for good once fenced.
//
// Ownership: a GroupMembership owns its coordinator connection (a dedicated one, so heartbeats
// and commits never wait behind a long-polling Fetch) and its heartbeat timer. It does not decide
// when to rejoin: it reports through `onRejoinNeeded` and the runner rejoins when it is ready.

import { Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { Cluster } from "../cluster.ts";
import { KafkaJSError, KafkaJSNonRetriableError, KafkaJSProtocolError } from "../errors.ts";
import { consumerEvents } from "../events.ts";
import type { InstrumentationEmitter } from "../instrumentation.ts";
import type { Logger } from "../logger.ts";
import type { BrokerConnection } from "../network/broker-connection.ts";
import type { Retrier } from "../retry.ts";
import type { TopicOffsets } from "../types.ts";
import { MemberAssignment } from "./assigner-protocol.ts";
import { HeartbeatTimer } from "./heartbeat-timer.ts";
import type { Assigner, ConsumerEvents, IMemberAssignment, OwnedSubscription, RebalanceProtocol } from "./types.ts";

/**
 * Errors after which the member must join the group again before it may fetch or commit. The
 * member-epoch ones come only from a consumer-protocol group (consumer-group-membership.ts).
 */
const REJOIN_ERRORS = new Set<number>([
  ErrorCode.REBALANCE_IN_PROGRESS,
  ErrorCode.ILLEGAL_GENERATION,
  ErrorCode.UNKNOWN_MEMBER_ID,
  ErrorCode.NOT_COORDINATOR,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.FENCED_INSTANCE_ID,
  ErrorCode.FENCED_MEMBER_EPOCH,
  ErrorCode.STALE_MEMBER_EPOCH,
]);

const COORDINATOR_ERRORS = new Set<number>([
  ErrorCode.NOT_COORDINATOR,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
]);

export function isRejoinError(error: unknown): error is KafkaJSProtocolError {
  return error instanceof KafkaJSProtocolError && REJOIN_ERRORS.has(error.code);
}

/** The reason a stopping consumer gives in its LeaveGroup (KIP-800), word for word Java's on close(). */
export const CONSUMER_CLOSING_REASON = "the consumer is being closed";

export interface GroupJoinResult {
  generationId: number;
  memberId: string;
  leaderId: string;
  isLeader: boolean;
  groupProtocol: string;
  assignment: IMemberAssignment;
}

/**
 * What the runner, its sessions and its cooperative rebalancing use of a group membership, whichever
 * the protocol: GroupMembership (classic: JoinGroup/SyncGroup) or ConsumerGroupMembership (KIP-848).
 */
export interface GroupMember {
  readonly memberId: string;
  /** The member and the generation (classic) or member epoch (consumer protocol) commits carry. */
  readonly identity: CommitIdentity;
  readonly rebalanceProtocol: RebalanceProtocol;
  /** Joins, or rejoins naming what the member owns, and answers with the member's assignment. */
  joinAndSync(topics: string[], shouldContinue: () => boolean, owned?: OwnedSubscription): Promise<GroupJoinResult>;
  startHeartbeats(): void;
  stopHeartbeats(): void;
  /**
   * Leaves the group (a static member keeps its place until its session runs out), telling the
   * coordinator why where the protocol has room for it (KIP-800); CONSUMER_CLOSING_REASON unless
   * given. A join after it is a new member's.
   */
  leave(reason?: string): Promise<void>;
  /** The group no longer knows this member (UNKNOWN_MEMBER_ID): the next join starts afresh. */
  forgetMember(): void;
}

export interface GroupMembershipOptions {
  cluster: Cluster;
  logger: Logger;
  emitter: InstrumentationEmitter<ConsumerEvents>;
  retrier: Retrier;
  groupId: string;
  assigners: Assigner[];
  sessionTimeout: number;
  rebalanceTimeout: number;
  heartbeatInterval: number;
  /** Static membership (Java's group.instance.id); null or left out for a dynamic member. */
  groupInstanceId?: string | null;
  onRejoinNeeded(reason: KafkaJSProtocolError): void;
}

export interface CommittedOffset {
  topic: string;
  partition: number;
  offset: bigint;
}

/** Who commits: a member of a generation, or (standalone) nobody, as generation -1 and member "". */
export interface CommitIdentity {
  generationId: number;
  memberId: string;
}

/** Commit and offset-fetch requests for a group; shared by members and standalone consumers. */
export class GroupOffsets {
  private coordinator: BrokerConnection | undefined;

  constructor(
    protected readonly cluster: Cluster,
    readonly groupId: string,
    protected readonly emitter: InstrumentationEmitter<ConsumerEvents>,
  ) {}

  /** The coordinator, on a connection of our own (see the file comment). */
  async coordinatorConnection(): Promise<BrokerConnection> {
    if (this.coordinator) return this.coordinator;
    const shared = await this.cluster.findGroupCoordinator(this.groupId);
    const connection = this.cluster.createConnection(shared.host, shared.port);
    await connection.connect();
    this.coordinator = connection;
    return connection;
  }

  forgetCoordinator(): void {
    this.coordinator?.disconnect();
    this.coordinator = undefined;
  }

  /** The static member's instance id its commits carry; none outside a group. */
  protected get groupInstanceId(): string | null {
    return null;
  }

  /** Throws the first partition error; a coordinator error also drops the coordinator. */
  async commit(identity: CommitIdentity, offsets: CommittedOffset[]): Promise<void> {
    if (offsets.length === 0) return;
    const byTopic = new Map<
      string,
      {
        partitionIndex: number;
        committedOffset: bigint;
        committedLeaderEpoch: number;
        committedMetadata: string | null;
      }[]
    >();
    for (const { topic, partition, offset } of offsets) {
      let partitions = byTopic.get(topic);
      if (!partitions) byTopic.set(topic, (partitions = []));
      partitions.push({
        partitionIndex: partition,
        committedOffset: offset,
        committedLeaderEpoch: -1,
        committedMetadata: null,
      });
    }
    const topics = [...byTopic].map(([name, partitions]) => ({ name, partitions }));
    const coordinator = await this.coordinatorConnection();
    const response = await this.guard(
      coordinator.request(Apis.OffsetCommit, {
        groupId: this.groupId,
        generationIdOrMemberEpoch: identity.generationId,
        memberId: identity.memberId,
        groupInstanceId: this.groupInstanceId,
        retentionTimeMs: -1n,
        topics,
      }),
    );
    for (const topic of response.topics) {
      for (const partition of topic.partitions) {
        if (partition.errorCode !== ErrorCode.NONE) {
          if (COORDINATOR_ERRORS.has(partition.errorCode)) this.forgetCoordinator();
          throw new KafkaJSProtocolError(
            partition.errorCode,
            `committing ${topic.name}-${partition.partitionIndex} for group ${this.groupId}`,
          );
        }
      }
    }
    this.emitter.emit(consumerEvents.COMMIT_OFFSETS, () => ({
      groupId: this.groupId,
      memberId: identity.memberId,
      groupGenerationId: identity.generationId,
      topics: topics.map(
        ({ name, partitions }): TopicOffsets => ({
          topic: name,
          partitions: partitions.map((p) => ({ partition: p.partitionIndex, offset: String(p.committedOffset) })),
        }),
      ),
    }));
  }

  /** Committed offsets of the given partitions; a partition without one is left out. */
  async fetchCommitted(partitions: { topic: string; partition: number }[]): Promise<CommittedOffset[]> {
    if (partitions.length === 0) return [];
    const byTopic = new Map<string, number[]>();
    for (const { topic, partition } of partitions) {
      let list = byTopic.get(topic);
      if (!list) byTopic.set(topic, (list = []));
      list.push(partition);
    }
    const coordinator = await this.coordinatorConnection();
    const response = await this.guard(
      coordinator.request(Apis.OffsetFetch, {
        groupId: this.groupId,
        topics: [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes })),
      }),
    );
    if (response.errorCode !== undefined && response.errorCode !== ErrorCode.NONE) {
      if (COORDINATOR_ERRORS.has(response.errorCode)) this.forgetCoordinator();
      throw new KafkaJSProtocolError(response.errorCode, `fetching offsets of group ${this.groupId}`);
    }
    const committed: CommittedOffset[] = [];
    for (const topic of response.topics) {
      for (const partition of topic.partitions) {
        if (partition.errorCode !== ErrorCode.NONE)
          throw new KafkaJSProtocolError(
            partition.errorCode,
            `fetching the offset of ${topic.name}-${partition.partitionIndex}`,
          );
        if (partition.committedOffset >= 0n)
          committed.push({ topic: topic.name, partition: partition.partitionIndex, offset: partition.committedOffset });
      }
    }
    return committed;
  }

  /** A connection failure drops the coordinator, so the next attempt looks it up again. */
  protected async guard<T>(request: Promise<T>): Promise<T> {
    try {
      return await request;
    } catch (error) {
      if (!(error instanceof KafkaJSProtocolError)) this.forgetCoordinator();
      throw error;
    }
  }
}

export class GroupMembership extends GroupOffsets implements GroupMember {
  memberId = "";
  generationId = -1;
  leaderId = "";
  groupProtocol = "";
  private readonly heartbeats = new HeartbeatTimer(
    () => this.heartbeat(),
    () => this.options.heartbeatInterval,
  );
  private heartbeating = false;
  /** Set once the coordinator says another instance took over our group.instance.id: fatal, as in Java. */
  private fenced: KafkaJSProtocolError | null = null;
  private readonly logger: Logger;

  constructor(private readonly options: GroupMembershipOptions) {
    super(options.cluster, options.groupId, options.emitter);
    this.logger = options.logger;
  }

  get identity(): CommitIdentity {
    return { generationId: this.generationId, memberId: this.memberId };
  }

  /** The next JoinGroup is a new member's (the coordinator gives it a new id). */
  forgetMember(): void {
    this.memberId = "";
  }

  protected override get groupInstanceId(): string | null {
    return this.options.groupInstanceId ?? null;
  }

  /** A commit that finds this static member fenced makes it stop, like a heartbeat that does. */
  override async commit(identity: CommitIdentity, offsets: CommittedOffset[]): Promise<void> {
    try {
      await super.commit(identity, offsets);
    } catch (error) {
      this.noteFencing(error);
      throw error;
    }
  }

  private noteFencing(error: unknown): void {
    if (error instanceof KafkaJSProtocolError && error.code === ErrorCode.FENCED_INSTANCE_ID) this.fenced ??= error;
  }

  /** Java's rule: COOPERATIVE only when every configured assigner supports it (so whichever the group picks does). */
  get rebalanceProtocol(): RebalanceProtocol {
    const { assigners } = this.options;
    return assigners.length > 0 && assigners.every((a) => a.supportedProtocols?.includes("COOPERATIVE"))
      ? "COOPERATIVE"
      : "EAGER";
  }

  /**
   * Joins (or rejoins) and syncs, retrying with backoff; a rebalance that starts meanwhile simply
   * means another round. `shouldContinue` lets a stopping consumer give up between rounds.
   */
  async joinAndSync(
    topics: string[],
    shouldContinue: () => boolean,
    owned: OwnedSubscription = {},
  ): Promise<GroupJoinResult> {
    this.stopHeartbeats();
    return this.options.retrier(async (bail) => {
      // Rebalance answers mean "join again now"; only a run of them without progress backs off.
      for (let immediateRetries = 0; ; immediateRetries++) {
        if (!shouldContinue()) bail(new KafkaJSNonRetriableError("The consumer stopped while joining the group"));
        if (this.fenced) bail(this.fenced);
        if (immediateRetries > 20) throw new KafkaJSError("The group keeps rebalancing");
        try {
          const result = await this.joinOnce(topics, owned);
          this.startHeartbeats();
          return result;
        } catch (error) {
          if (error instanceof KafkaJSProtocolError) {
            if (error.code === ErrorCode.MEMBER_ID_REQUIRED) continue;
            if (error.code === ErrorCode.UNKNOWN_MEMBER_ID) {
              this.memberId = "";
              continue;
            }
            if (error.code === ErrorCode.REBALANCE_IN_PROGRESS || error.code === ErrorCode.ILLEGAL_GENERATION) continue;
            if (COORDINATOR_ERRORS.has(error.code)) {
              this.forgetCoordinator();
              throw new KafkaJSError(error, { cause: error });
            }
            if (!error.retriable) bail(error);
          }
          throw error;
        }
      }
    });
  }

  private async joinOnce(topics: string[], owned: OwnedSubscription): Promise<GroupJoinResult> {
    const { groupId, assigners, sessionTimeout, rebalanceTimeout } = this.options;
    const coordinator = await this.coordinatorConnection();
    const { groupInstanceId } = this;
    if (groupInstanceId !== null && coordinator.versionFor(Apis.JoinGroup) < 5)
      throw new KafkaJSNonRetriableError(`The group coordinator does not support static membership (JoinGroup v5)`);
    const joined = await this.guard(
      coordinator.request(
        Apis.JoinGroup,
        {
          groupId,
          sessionTimeoutMs: sessionTimeout,
          rebalanceTimeoutMs: rebalanceTimeout,
          memberId: this.memberId,
          groupInstanceId,
          protocolType: "consumer",
          protocols: assigners.map((assigner) => assigner.protocol({ topics, ...owned })),
        },
        { extraTimeout: rebalanceTimeout },
      ),
    );
    if (joined.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
      this.memberId = joined.memberId;
      throw new KafkaJSProtocolError(joined.errorCode);
    }
    if (joined.errorCode !== ErrorCode.NONE)
      throw new KafkaJSProtocolError(joined.errorCode, `joining group ${groupId}`);
    this.memberId = joined.memberId;
    this.generationId = joined.generationId ?? -1;
    this.leaderId = joined.leader;
    this.groupProtocol = joined.protocolName;
    const isLeader = joined.leader === joined.memberId;

    let assignments: { memberId: string; assignment: Buffer }[] = [];
    if (isLeader) {
      const assigner = assigners.find(({ name }) => name === joined.protocolName);
      if (!assigner)
        throw new KafkaJSNonRetriableError(
          `Unsupported partition assigner "${joined.protocolName}", the assigner wasn't found in the assigners list`,
        );
      await this.cluster.refreshMetadata();
      const members = joined.members.map((m) => ({ memberId: m.memberId, memberMetadata: m.metadata }));
      const result = await assigner.assign({ members, topics });
      assignments = result.map((a) => ({ memberId: a.memberId, assignment: a.memberAssignment }));
      this.logger.debug("Group assignment", {
        groupId,
        generationId: this.generationId,
        groupProtocol: joined.protocolName,
        members: members.length,
      });
    }

    const synced = await this.guard(
      coordinator.request(
        Apis.SyncGroup,
        {
          groupId,
          generationId: this.generationId,
          memberId: this.memberId,
          groupInstanceId,
          assignments,
        },
        { extraTimeout: rebalanceTimeout },
      ),
    );
    if (synced.errorCode !== ErrorCode.NONE)
      throw new KafkaJSProtocolError(synced.errorCode, `syncing group ${groupId}`);
    const decoded = synced.assignment.length > 0 ? MemberAssignment.decode(synced.assignment) : null;
    return {
      generationId: this.generationId,
      memberId: this.memberId,
      leaderId: this.leaderId,
      isLeader,
      groupProtocol: this.groupProtocol,
      assignment: decoded?.assignment ?? {},
    };
  }

  /** Heartbeats run on their own timer, so a slow eachMessage does not by itself expire the session. */
  startHeartbeats(): void {
    this.heartbeats.start();
  }

  stopHeartbeats(): void {
    this.heartbeats.stop();
  }

  private async heartbeat(): Promise<void> {
    if (this.heartbeating || this.memberId === "") return;
    this.heartbeating = true;
    const { groupId } = this.options;
    const identity = this.identity;
    try {
      const coordinator = await this.coordinatorConnection();
      const response = await this.guard(
        coordinator.request(Apis.Heartbeat, {
          groupId,
          generationId: identity.generationId,
          memberId: identity.memberId,
          groupInstanceId: this.groupInstanceId,
        }),
      );
      if (response.errorCode === ErrorCode.NONE) {
        this.options.emitter.emit(consumerEvents.HEARTBEAT, {
          groupId,
          memberId: identity.memberId,
          groupGenerationId: identity.generationId,
        });
        return;
      }
      const error = new KafkaJSProtocolError(
        response.errorCode,
        `heartbeat of ${identity.memberId} in group ${groupId}`,
      );
      if (COORDINATOR_ERRORS.has(response.errorCode)) this.forgetCoordinator();
      // An answer about a generation we have already left behind says nothing about the current one.
      const current = identity.memberId === this.memberId && identity.generationId === this.generationId;
      if (!current) return;
      if (response.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) this.memberId = "";
      this.noteFencing(error);
      if (REJOIN_ERRORS.has(response.errorCode)) this.options.onRejoinNeeded(error);
      else this.logger.warn("Heartbeat failed", { groupId, error: error.message });
    } catch (error) {
      // The next tick tries again (on a fresh coordinator lookup); the session timeout decides.
      this.logger.debug("Heartbeat failed", { groupId, error: (error as Error).message });
    } finally {
      this.heartbeating = false;
    }
  }

  /**
   * A static member sends no LeaveGroup (Java's behaviour): its instance keeps its place, and its
   * partitions, until its session times out, so that a restart within it causes no rebalance. The
   * reason (KIP-800) goes with LeaveGroup v5, which the coordinator logs and reports; an older
   * coordinator gets an older version without it. A member that joins again after leaving (after a
   * poll timeout) does so as a new member (Java's resetGenerationOnLeaveGroup), static or not.
   */
  async leave(reason: string = CONSUMER_CLOSING_REASON): Promise<void> {
    this.stopHeartbeats();
    const memberId = this.memberId;
    this.memberId = "";
    this.generationId = -1;
    if (memberId === "" || this.groupInstanceId !== null) return;
    const coordinator = await this.coordinatorConnection();
    await coordinator.request(Apis.LeaveGroup, {
      groupId: this.options.groupId,
      memberId,
      members: [{ memberId, groupInstanceId: null, reason }],
    });
  }
}
