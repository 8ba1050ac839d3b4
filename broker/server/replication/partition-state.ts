// The replication half of one partition hosted by this broker (the leader/ISR part of Kafka's
// Partition): whether this broker leads it or follows another, the leader and partition epochs,
// the assigned replicas and the ISR; on the leader, what each follower has fetched (replica-state.ts),
// the high watermark derived from it, and the ISR changes it proposes to the controller.
//
// Rules, as Kafka's:
// - High watermark = the smallest log end offset among the leader and the followers in the
//   maximal ISR (the ISR plus a replica whose joining is pending) or caught up and eligible to
//   join; it never moves back, and does not move at all while the ISR is smaller than the
//   effective min.insync.replicas (min of the config and the replica count: Kafka 3.7's rule).
// - A follower joins the ISR once its fetch offset reaches the high watermark and the start of
//   the current leader epoch; an ISR member leaves it once it has not been caught up for
//   replica.lag.time.max.ms. Both are proposals to the controller (isr-state.ts: pending until
//   the controller answers or new metadata arrives).
//
// Ownership: a PartitionState is made with its Partition (partition.ts) and owns everything
// above (the ISR through its IsrState); the replica manager changes its role (makeLeader /
// makeFollower) from metadata, the fetch and produce paths call it, all synchronously on the
// event loop.
import { ErrorCode } from "../../protocol/errors.ts";
import type { FetchExpiry } from "../fetch/delayed-fetch.ts";
import type { Logger } from "../logger.ts";
import type { AppendOrigin, Partition, ProduceOutcome } from "../partition.ts";
import type { MarkerIdentity } from "../producer-state.ts";
import {
  type AlterPartitionProposal,
  type AlterPartitionSender,
  type AlterPartitionUpdate,
  IsrState,
} from "./isr-state.ts";
import {
  type EpochEndOffset,
  lastOffsetForLeaderEpoch,
  type OffsetSnapshot,
  offsetSnapshot,
} from "./partition-offsets.ts";
import { FollowerReplica } from "./replica-state.ts";

export type { AlterPartitionProposal, AlterPartitionResult, AlterPartitionSender } from "./isr-state.ts";
export type { EpochEndOffset, OffsetSnapshot } from "./partition-offsets.ts";

/** What every partition of one broker shares (the replica manager's settings). */
export interface ReplicationContext {
  readonly localBrokerId: number;
  readonly clock: () => number;
  /** replica.lag.time.max.ms */
  readonly replicaLagTimeMaxMs: number;
  readonly alterPartition: AlterPartitionSender;
  /** KRaft's rule: only an unfenced broker that is not shutting down may join an ISR. */
  isReplicaIsrEligible(brokerId: number): boolean;
  /** Times produce requests waiting for acks and AlterPartition retries; tests expire by hand. */
  readonly timers: FetchExpiry;
  readonly log: Logger;
}

export interface LeaderAndIsr {
  leaderEpoch: number;
  partitionEpoch: number;
  replicas: readonly number[];
  isr: readonly number[];
}

export interface FollowerAssignment {
  /** The leader's broker id, or -1 while the partition has none. */
  leader: number;
  leaderEpoch: number;
  partitionEpoch: number;
  replicas: readonly number[];
}

/** A leader's append: `requiredOffset` is what the high watermark must reach before acks=all may be answered. */
export type AppendAsLeaderOutcome = ProduceOutcome & { requiredOffset: bigint };

/** A transaction marker the transaction coordinator has a leader write (WriteTxnMarkers, or its own). */
export type TxnMarkerRequest = MarkerIdentity;

export class PartitionState {
  #leaderId = -1;
  #leaderEpoch = -1;
  #partitionEpoch = 0;
  /** Where this broker's current leader epoch started, while it leads. */
  #leaderEpochStartOffset: bigint | null = null;
  #replicas: readonly number[] = [];
  readonly #isr: IsrState;
  readonly #followers = new Map<number, FollowerReplica>();
  readonly #changeListeners = new Set<() => void>();

  constructor(
    readonly partition: Partition,
    readonly topicId: Buffer,
    private readonly context: ReplicationContext,
    private minInsyncReplicas: number,
  ) {
    this.#isr = new IsrState(context.alterPartition, context.timers, context.log, (update) =>
      this.#isrCommitted(update),
    );
  }

  get isLeader(): boolean {
    return this.#leaderId === this.context.localBrokerId;
  }

  /** -1 while the partition has no leader (or none known yet). */
  get leaderId(): number {
    return this.#leaderId;
  }

  get leaderEpoch(): number {
    return this.#leaderEpoch;
  }

  get partitionEpoch(): number {
    return this.#partitionEpoch;
  }

  get replicas(): readonly number[] {
    return this.#replicas;
  }

  /** The ISR as last committed by the controller (empty on a follower). */
  get isr(): readonly number[] {
    return this.#isr.isr;
  }

  /** The ISR plus a member whose joining is pending: the replicas acks=all and the high watermark wait for. */
  get maximalIsr(): readonly number[] {
    return this.#isr.maximalIsr;
  }

  get hasPendingIsrChange(): boolean {
    return this.#isr.isPending;
  }

  get highWatermark(): bigint {
    return this.partition.highWatermark;
  }

  /** What read_committed readers may read up to (Partition.lastStableOffset). */
  get lastStableOffset(): bigint {
    return this.partition.lastStableOffset;
  }

  /** The broker's clock, which the ISR rules measure time with. */
  now(): number {
    return this.context.clock();
  }

  /** The timers of the broker's delayed operations (acks=all waits). */
  get timers(): FetchExpiry {
    return this.context.timers;
  }

  /** The leader's view of a follower, for tests and diagnostics. */
  follower(brokerId: number): FollowerReplica | undefined {
    return this.#followers.get(brokerId);
  }

  setMinInsyncReplicas(value: number): void {
    this.minInsyncReplicas = value;
  }

  /** min.insync.replicas, but never more than the partition has replicas. */
  get effectiveMinIsr(): number {
    return Math.min(this.minInsyncReplicas, this.#followers.size + 1);
  }

  get isUnderMinIsr(): boolean {
    return this.isLeader && this.#isr.isr.length < this.effectiveMinIsr;
  }

  /**
   * Runs `listener` whenever a waiting acks=all produce may have its answer: the high watermark
   * advanced, the ISR changed, or leadership moved. Returns the unsubscribe function.
   */
  onChange(listener: () => void): () => void {
    this.#changeListeners.add(listener);
    return () => this.#changeListeners.delete(listener);
  }

  /**
   * Becomes (or stays) the leader as the metadata says. A new leader epoch starts at the log end,
   * and the followers' states start over.
   * Returns whether this broker was not the leader before. Metadata older than what this partition
   * knows (a smaller partition epoch) is ignored.
   */
  makeLeader(state: LeaderAndIsr): boolean {
    if (state.partitionEpoch < this.#partitionEpoch) return false;
    const now = this.context.clock();
    const isNewLeader = !this.isLeader;
    this.#updateAssignmentAndIsr(state.replicas, true, state.isr);
    const log = this.partition.log;
    if (state.leaderEpoch > this.#leaderEpoch) {
      const startOffset = log.logEndOffset;
      // Batches appended from now on carry the new epoch; the log records where it starts.
      log.setLeaderEpoch(state.leaderEpoch);
      for (const follower of this.#followers.values())
        follower.reset(now, startOffset, isNewLeader, state.isr.includes(follower.brokerId));
      this.#leaderEpoch = state.leaderEpoch;
      this.#leaderEpochStartOffset = startOffset;
      this.context.log.info("partition leader", {
        topic: this.partition.topic,
        partition: this.partition.index,
        leaderEpoch: state.leaderEpoch,
        startOffset: String(startOffset),
        highWatermark: String(log.highWatermark),
        isr: state.isr,
      });
    }
    this.#partitionEpoch = state.partitionEpoch;
    this.#leaderId = this.context.localBrokerId;
    this.#maybeIncrementLeaderHighWatermark(now);
    this.#changed();
    return isNewLeader;
  }

  /**
   * Follows `leader` as the metadata says. Returns whether the leader epoch is new: the fetcher
   * must then start over (truncate before fetching again), even if the leader is the same broker.
   */
  makeFollower(state: FollowerAssignment): boolean {
    if (state.partitionEpoch < this.#partitionEpoch) return false;
    const isNewLeaderEpoch = state.leaderEpoch > this.#leaderEpoch;
    this.#leaderId = state.leader;
    this.#leaderEpoch = state.leaderEpoch;
    this.#leaderEpochStartOffset = null;
    this.#partitionEpoch = state.partitionEpoch;
    this.#updateAssignmentAndIsr(state.replicas, false, []);
    this.#changed();
    return isNewLeaderEpoch;
  }

  /** Kafka's check of the epoch a request carries against this replica's: -1 means none to check. */
  checkCurrentLeaderEpoch(currentLeaderEpoch: number): number {
    if (currentLeaderEpoch < 0 || currentLeaderEpoch === this.#leaderEpoch) return ErrorCode.NONE;
    return currentLeaderEpoch < this.#leaderEpoch ? ErrorCode.FENCED_LEADER_EPOCH : ErrorCode.UNKNOWN_LEADER_EPOCH;
  }

  /**
   * A produce on this replica. acks=all is refused before anything is written while the ISR is
   * smaller than min.insync.replicas. After the append the answer carries `requiredOffset`, what
   * the high watermark must reach before acks=all may be answered. A coordinator writing its own
   * transactional batches passes origin "coordinator": no sequence checks (Partition.append).
   */
  appendAsLeader(records: Buffer | null, requiredAcks: number, origin: AppendOrigin = "client"): AppendAsLeaderOutcome {
    return this.#appendAsLeader(requiredAcks, records, origin, null);
  }

  /**
   * Writes a transaction marker as this partition's leader (Kafka's append of WriteTxnMarkers, with
   * acks=all): NOT_LEADER_OR_FOLLOWER on a follower, NOT_ENOUGH_REPLICAS under min ISR,
   * INVALID_PRODUCER_EPOCH below the producer's epoch, TRANSACTION_COORDINATOR_FENCED below the
   * coordinator epoch of its last marker (see Partition.appendTxnMarker). Await `requiredOffset`
   * (replication/delayed-produce.ts) before the marker counts as written.
   */
  appendTxnMarkerAsLeader(marker: TxnMarkerRequest): AppendAsLeaderOutcome {
    return this.#appendAsLeader(-1, null, "coordinator", marker);
  }

  /** Appends `marker` if given, else `records` (no closure: this is every produce's path). */
  #appendAsLeader(
    requiredAcks: number,
    records: Buffer | null,
    origin: AppendOrigin,
    marker: TxnMarkerRequest | null,
  ): AppendAsLeaderOutcome {
    const refuse = (errorCode: number, errorMessage: string) => ({
      errorCode,
      errorMessage,
      baseOffset: -1n,
      logAppendTime: -1n,
      requiredOffset: -1n,
    });
    if (!this.isLeader)
      return refuse(ErrorCode.NOT_LEADER_OR_FOLLOWER, `broker ${this.context.localBrokerId} does not lead it`);
    const minIsr = this.effectiveMinIsr;
    if (requiredAcks === -1 && this.#isr.isr.length < minIsr)
      return refuse(
        ErrorCode.NOT_ENOUGH_REPLICAS,
        `ISR [${this.#isr.isr}] is smaller than min.insync.replicas ${minIsr}`,
      );
    const outcome = marker === null ? this.partition.append(records, origin) : this.partition.appendTxnMarker(marker);
    if (outcome.errorCode !== ErrorCode.NONE) return { ...outcome, requiredOffset: -1n };
    if (this.#maybeIncrementLeaderHighWatermark(this.context.clock())) this.#changed();
    // A request of retried batches only is answered once the whole log so far is committed: at
    // least as late as the first attempt's own answer.
    return { ...outcome, requiredOffset: this.partition.log.logEndOffset };
  }

  /**
   * Whether acks=all for offsets below `requiredOffset` may be answered, and with which error
   * (Kafka's checkEnoughReplicasReachOffset): done once the high watermark passed them, with
   * NOT_ENOUGH_REPLICAS_AFTER_APPEND if the maximal ISR is then below min.insync.replicas; at once
   * with NOT_LEADER_OR_FOLLOWER if this broker no longer leads.
   */
  checkEnoughReplicasReachOffset(requiredOffset: bigint): { done: boolean; errorCode: number } {
    if (!this.isLeader) return { done: true, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
    if (this.partition.highWatermark < requiredOffset) return { done: false, errorCode: ErrorCode.NONE };
    const enough = this.effectiveMinIsr <= this.maximalIsr.length;
    return { done: true, errorCode: enough ? ErrorCode.NONE : ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND };
  }

  /** The offsets a ListOffsets answers from (partition-offsets.ts). */
  offsetSnapshot(currentLeaderEpoch: number, fetchOnlyFromLeader: boolean): OffsetSnapshot {
    return offsetSnapshot(this, currentLeaderEpoch, fetchOnlyFromLeader);
  }

  /**
   * Records where a follower's fetch says its log ends (Kafka's updateFollowerFetchState), then
   * lets it join the ISR if it caught up and moves the high watermark if it can.
   */
  updateFollowerFetchState(
    replicaId: number,
    fetchOffset: bigint,
    followerLogStartOffset: bigint,
    fetchTimeMs: number,
    leaderEndOffset: bigint,
  ): void {
    const follower = this.#followers.get(replicaId);
    if (!follower || !this.isLeader) return;
    const previousEnd = follower.logEndOffset;
    follower.updateFetchState(fetchOffset, followerLogStartOffset, fetchTimeMs, leaderEndOffset);
    this.#maybeExpandIsr(follower);
    if (previousEnd !== follower.logEndOffset && this.#maybeIncrementLeaderHighWatermark(fetchTimeMs)) this.#changed();
  }

  /** What OffsetForLeaderEpoch answers for `leaderEpoch` (partition-offsets.ts). */
  lastOffsetForLeaderEpoch(
    currentLeaderEpoch: number,
    leaderEpoch: number,
    fetchOnlyFromLeader: boolean,
  ): EpochEndOffset {
    return lastOffsetForLeaderEpoch(this, currentLeaderEpoch, leaderEpoch, fetchOnlyFromLeader);
  }

  /** On a follower: moves the high watermark to what the leader answered, within this log, never back. */
  updateFollowerHighWatermark(leaderHighWatermark: bigint): void {
    const log = this.partition.log;
    const bounded = leaderHighWatermark < log.logEndOffset ? leaderHighWatermark : log.logEndOffset;
    if (bounded <= log.highWatermark) return;
    log.updateHighWatermark(bounded);
    this.partition.notifyReaders();
  }

  /**
   * DeleteRecords on this replica (Kafka's Partition.deleteRecordsOnLeader): moves the log start
   * offset up to `offset` (-1: the high watermark), never past the high watermark, and answers the
   * log start offset then (the low watermark). Only the leader deletes, and only from a log whose
   * cleanup.policy includes delete; the followers move theirs from the leader's fetch answers.
   */
  deleteRecordsOnLeader(offset: bigint): { errorCode: number; lowWatermark: bigint } {
    const log = this.partition.log;
    const refused = (errorCode: number) => ({ errorCode, lowWatermark: -1n });
    if (log.isOffline) return refused(ErrorCode.KAFKA_STORAGE_ERROR);
    if (!this.isLeader) return refused(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    if (log.config.cleanupPolicy !== "delete") return refused(ErrorCode.POLICY_VIOLATION);
    const target = offset === -1n ? log.highWatermark : offset;
    if (target < 0n || target > log.highWatermark) return refused(ErrorCode.OFFSET_OUT_OF_RANGE);
    try {
      log.advanceLogStartOffset(target);
    } catch (error) {
      if (log.isOffline) return refused(ErrorCode.KAFKA_STORAGE_ERROR);
      throw error;
    }
    // A parked read below the new start now gets its out-of-range answer.
    this.partition.notifyReaders();
    return { errorCode: ErrorCode.NONE, lowWatermark: log.logStartOffset };
  }

  /**
   * On a follower: moves the log start offset up to the leader's, as its fetch answer says
   * (Kafka's follower does the same), but not past this replica's high watermark; the rest follows
   * with later answers, once this replica has caught up.
   */
  updateFollowerLogStartOffset(leaderLogStartOffset: bigint): void {
    const log = this.partition.log;
    const bounded = leaderLogStartOffset < log.highWatermark ? leaderLogStartOffset : log.highWatermark;
    if (bounded <= log.logStartOffset) return;
    log.advanceLogStartOffset(bounded);
  }

  /** Proposes to drop the ISR members that have not caught up within replica.lag.time.max.ms. */
  maybeShrinkIsr(): void {
    if (!this.isLeader || this.#isr.isPending) return;
    const now = this.context.clock();
    const leaderEnd = this.partition.log.logEndOffset;
    const isr = this.#isr.isr;
    const outOfSync = isr.filter((id) => {
      if (id === this.context.localBrokerId) return false;
      const follower = this.#followers.get(id);
      return !follower?.isCaughtUp(leaderEnd, now, this.context.replicaLagTimeMaxMs);
    });
    if (outOfSync.length === 0) return;
    const newIsr = isr.filter((id) => !outOfSync.includes(id));
    this.context.log.info("shrinking ISR", {
      topic: this.partition.topic,
      partition: this.partition.index,
      isr,
      newIsr,
      outOfSync: outOfSync.map((id) => ({ id, ...this.#followers.get(id)?.state })),
    });
    this.#isr.propose("shrink", this.#proposal(newIsr));
  }

  #maybeExpandIsr(follower: FollowerReplica): void {
    if (this.#isr.isPending) return;
    const isr = this.#isr.isr;
    if (isr.includes(follower.brokerId) || !this.context.isReplicaIsrEligible(follower.brokerId)) return;
    const end = follower.logEndOffset;
    const inSync =
      end >= this.partition.log.highWatermark &&
      this.#leaderEpochStartOffset !== null &&
      end >= this.#leaderEpochStartOffset;
    if (!inSync) return;
    this.context.log.info("expanding ISR", {
      topic: this.partition.topic,
      partition: this.partition.index,
      isr,
      joining: follower.brokerId,
    });
    this.#isr.propose("expand", this.#proposal([...isr, follower.brokerId]));
  }

  #proposal(newIsr: readonly number[]): AlterPartitionProposal {
    return {
      topic: this.partition.topic,
      topicId: this.topicId,
      partition: this.partition.index,
      leaderId: this.context.localBrokerId,
      leaderEpoch: this.#leaderEpoch,
      partitionEpoch: this.#partitionEpoch,
      newIsr,
    };
  }

  /** The controller committed a proposed ISR (its answer; the metadata follows). */
  #isrCommitted(update: AlterPartitionUpdate): void {
    this.#partitionEpoch = update.partitionEpoch;
    this.context.log.info("ISR updated", {
      topic: this.partition.topic,
      partition: this.partition.index,
      isr: update.isr,
      partitionEpoch: update.partitionEpoch,
      underMinIsr: this.isUnderMinIsr,
    });
    this.#maybeIncrementLeaderHighWatermark(this.context.clock());
    this.#changed();
  }

  /**
   * Moves the high watermark to the smallest log end offset among the leader, the maximal ISR and
   * the followers caught up enough to join it; never back, and not at all under min ISR.
   */
  #maybeIncrementLeaderHighWatermark(nowMs: number): boolean {
    if (!this.isLeader || this.isUnderMinIsr) return false;
    const log = this.partition.log;
    const leaderEnd = log.logEndOffset;
    const maximalIsr = this.maximalIsr;
    let candidate = leaderEnd;
    for (const follower of this.#followers.values()) {
      const end = follower.logEndOffset;
      if (end >= candidate) continue;
      const waitsForIt =
        maximalIsr.includes(follower.brokerId) ||
        (follower.isCaughtUp(leaderEnd, nowMs, this.context.replicaLagTimeMaxMs) &&
          this.context.isReplicaIsrEligible(follower.brokerId));
      if (waitsForIt) candidate = end;
    }
    if (candidate <= log.highWatermark) return false;
    log.updateHighWatermark(candidate);
    return true;
  }

  #updateAssignmentAndIsr(replicas: readonly number[], isLeader: boolean, isr: readonly number[]): void {
    if (isLeader) {
      const followers = replicas.filter((id) => id !== this.context.localBrokerId);
      for (const id of followers) if (!this.#followers.has(id)) this.#followers.set(id, new FollowerReplica(id));
      for (const id of [...this.#followers.keys()]) if (!followers.includes(id)) this.#followers.delete(id);
    } else {
      this.#followers.clear();
    }
    this.#replicas = [...replicas];
    this.#isr.commit(isr);
  }

  /** Wakes the parked readers and the produces waiting for acks. */
  #changed(): void {
    this.partition.notifyReaders();
    for (const listener of [...this.#changeListeners]) listener();
  }
}
