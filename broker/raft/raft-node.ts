// One replica of the controller quorum's Raft log (Kafka's KafkaRaftClient, KIP-595). Voters elect
// a leader with randomized election timeouts and Vote requests, granted once per epoch and only to
// a candidate whose log is at least as up to date; the winner announces itself with
// BeginQuorumEpoch, opens its epoch with a LeaderChangeMessage control batch, and serves the log to
// followers and observers, who pull it with long-poll Fetch (v12: FetchOffset, LastFetchedEpoch,
// ReplicaId). A follower whose log diverged gets a DivergingEpoch, truncates to it and fetches
// again. The leader's high watermark is the largest offset a majority of voters holds, once that
// includes an entry of its own epoch. A leader that shuts down sends EndQuorumEpoch so the others
// elect at once; one that no majority fetches from steps down.
//
// This file holds the node's surface (propose, onCommitted, onLeaderChange, describe, the request
// handlers the server's API handlers call), its lifecycle, its transitions and its serial path;
// what requests and responses mean is in request-answers.ts and response-handling.ts, what each
// role does when its time comes in role-poll.ts.
//
// Ownership: a RaftNode owns its QuorumState, RaftLog, LeaderState, outbound requests, held fetches,
// pending proposals and its serial path (serial-path.ts): every entry point (a timer, a request, a
// response, propose, close) runs to completion synchronously on the event loop — disk writes
// included — and the outermost one ends in a poll that acts on whatever became due and sets the
// one timer for the next deadline. Nothing awaits between reading the state and changing it;
// answers are checked against the epoch and role of the moment they arrive.

import { join } from "node:path";
import { ErrorCode } from "../protocol/errors.ts";
import type {
  BeginQuorumEpochRequest,
  BeginQuorumEpochResponse,
  DescribeQuorumRequest,
  DescribeQuorumResponse,
  EndQuorumEpochRequest,
  EndQuorumEpochResponse,
  FetchRequest,
  FetchResponse,
  VoteRequest,
  VoteResponse,
} from "../protocol/messages/index.ts";
import { type Scheduler, systemScheduler } from "../server/groups/scheduler.ts";
import { type Logger, silentLogger } from "../server/logger.ts";
import { type FileSystem, nodeFileSystem } from "../storage/file-system.ts";
import { FetchPurgatory } from "./fetch-purgatory.ts";
import { LeaderState } from "./leader-state.ts";
import { OutboundRequests } from "./outbound-requests.ts";
import { NotLeaderError, PendingProposals } from "./pending-proposals.ts";
import type { RaftConfig } from "./quorum-config.ts";
import { QuorumState, QuorumStateStore } from "./quorum-state.ts";
import { dataBatch, leaderChangeBatch } from "./raft-batches.ts";
import type { RaftChannel } from "./raft-channel.ts";
import { type CommittedListener, type LeaderChangeListener, RaftListeners } from "./raft-listeners.ts";
import { METADATA_LOG_DIR_NAME, RaftLog } from "./raft-log.ts";
import {
  beginQuorumEpochResponse,
  describeQuorumError,
  endQuorumEpochResponse,
  fetchRequest,
  type LeaderAndEpoch,
  singlePartition,
  topLevelError,
  voteResponse,
} from "./raft-messages.ts";
import { errorText, type ReplicaContext } from "./replica-context.ts";
import {
  acceptBeginQuorumEpoch,
  acceptEndQuorumEpoch,
  answerFetch,
  checkLeaderAnnouncement,
  checkVote,
  decideVote,
  describeQuorum,
  fetchQueryOf,
  hasNothingNew,
} from "./request-answers.ts";
import { handleResponse } from "./response-handling.ts";
import { pollRole } from "./role-poll.ts";
import { SerialPath } from "./serial-path.ts";

export { CommitTimeoutError, NotLeaderError } from "./pending-proposals.ts";
export type { CommittedListener, LeaderChangeListener } from "./raft-listeners.ts";

export interface RaftNodeOptions {
  config: RaftConfig;
  /** The broker's data dir: the log goes in `__cluster_metadata-0` under it, the quorum state with it. */
  dataDir: string;
  channel: RaftChannel;
  fs?: FileSystem;
  scheduler?: Scheduler;
  random?: () => number;
  logger?: Logger;
}

export class RaftNode {
  readonly nodeId: number;
  readonly #config: RaftConfig;
  readonly #log: RaftLog;
  readonly #quorum: QuorumState;
  readonly #channel: RaftChannel;
  readonly #scheduler: Scheduler;
  readonly #random: () => number;
  readonly #logger: Logger;
  readonly #requests: OutboundRequests;
  readonly #purgatory: FetchPurgatory<FetchResponse>;
  readonly #pending: PendingProposals;
  readonly #listeners: RaftListeners;
  readonly #context: ReplicaContext;
  readonly #serial: SerialPath;
  #leader: LeaderState | null = null;
  #beginQuorumEpochDueAt = 0;
  /** Offsets below it are committed: never lost, never changed. Only grows. */
  #committed: bigint;
  #started = false;
  #shuttingDown = false;
  #closed = false;
  #shutdownWaiters: (() => void)[] = [];

  private constructor(options: RaftNodeOptions, log: RaftLog, quorum: QuorumState) {
    this.nodeId = options.config.nodeId;
    this.#config = options.config;
    this.#log = log;
    this.#quorum = quorum;
    this.#channel = options.channel;
    this.#scheduler = options.scheduler ?? systemScheduler;
    this.#random = options.random ?? Math.random;
    this.#logger = options.logger ?? silentLogger;
    this.#requests = new OutboundRequests({
      channel: this.#channel,
      retryBackoffMs: options.config.retryBackoffMs,
      now: () => this.#scheduler.now(),
      serially: (work) => {
        if (!this.#closed) this.#run(work);
      },
      onAnswer: (destination, api, response) => handleResponse(this.#context, destination, api, response),
      logger: this.#logger,
    });
    this.#purgatory = new FetchPurgatory(this.#scheduler);
    this.#pending = new PendingProposals(this.#scheduler);
    this.#listeners = new RaftListeners(log, this.#logger);
    this.#committed = log.highWatermark;
    this.#context = this.#makeContext();
    this.#serial = new SerialPath(this.#scheduler, (now) => this.#poll(now));
  }

  /** Opens the log and the quorum state (recovering both) without starting to take part. */
  static open(options: RaftNodeOptions): RaftNode {
    const fs = options.fs ?? nodeFileSystem;
    const scheduler = options.scheduler ?? systemScheduler;
    const log = RaftLog.open(fs, options.dataDir, () => scheduler.now());
    try {
      const quorum = new QuorumState({
        store: new QuorumStateStore(fs, join(options.dataDir, METADATA_LOG_DIR_NAME)),
        localId: options.config.nodeId,
        voters: options.config.voters,
        timeouts: options.config,
        now: () => scheduler.now(),
        random: options.random ?? Math.random,
        log: { endOffset: log.endOffset, lastEpoch: log.lastFetchedEpoch },
      });
      return new RaftNode(options, log, quorum);
    } catch (error) {
      log.close();
      throw error;
    }
  }

  /** Starts timers and requests; a single voter elects itself here. Committed batches replay to the listeners. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#serial.start();
    this.#logger.info("raft node starting", {
      nodeId: this.nodeId,
      role: this.#quorum.role,
      epoch: this.epoch,
      logEndOffset: this.#log.endOffset,
      highWatermark: this.#committed,
    });
    this.#run(() => {
      if (this.#quorum.role === "candidate") this.#onBecomeCandidate();
      if (this.#quorum.isOnlyVoter && this.#quorum.role !== "candidate" && this.#quorum.role !== "leader") {
        this.#becomeCandidate();
      }
      this.#publishCommitted();
    });
  }

  get epoch(): number {
    return this.#quorum.epoch;
  }

  get leaderId(): number | null {
    return this.#quorum.role === "resigned" ? null : this.#quorum.leaderId;
  }

  get isLeader(): boolean {
    return this.#quorum.role === "leader";
  }

  get role(): string {
    return this.#quorum.role;
  }

  /** Offsets below it are committed. */
  get highWatermark(): bigint {
    return this.#committed;
  }

  get logEndOffset(): bigint {
    return this.#log.endOffset;
  }

  /**
   * Appends `records` (encoded metadata records) as one batch of the current epoch and resolves
   * with its last offset once a majority of voters has it. Rejects with NotLeaderError on a node
   * that does not lead (naming the leader it knows) or if leadership is lost before the commit,
   * and with CommitTimeoutError after `timeoutMs` without a commit.
   */
  propose(records: readonly Buffer[], options: { timeoutMs?: number } = {}): Promise<bigint> {
    if (records.length === 0) return Promise.reject(new RangeError("a proposal needs at least one record"));
    return this.#run(() => {
      const leader = this.#leader;
      if (this.#shuttingDown || leader === null) return Promise.reject(new NotLeaderError(this.leaderId, this.epoch));
      let lastOffset: bigint;
      try {
        lastOffset = this.#log.appendAsLeader(
          dataBatch(records, leader.epoch, this.#scheduler.now()),
          leader.epoch,
        ).lastOffset;
        this.#log.flush();
      } catch (error) {
        this.#logger.error("metadata log append failed", { nodeId: this.nodeId, error: errorText(error) });
        return Promise.reject(error);
      }
      const committed = this.#pending.add(lastOffset, options.timeoutMs, this.#config.voters.length);
      this.#onLeaderAppend();
      return committed;
    });
  }

  /** Committed data batches in order, from the start of the log; returns how to stop listening. */
  onCommitted(listener: CommittedListener): () => void {
    const unsubscribe = this.#listeners.onCommitted(listener);
    if (this.#started) queueMicrotask(() => this.#run(() => this.#publishCommitted()));
    return unsubscribe;
  }

  /**
   * Told the leader and epoch whenever they change. This node's own leadership is told only once
   * its LeaderChangeMessage is committed and every committed listener has had everything before
   * it, so a listener that reacts to leadership sees the whole committed log first.
   */
  onLeaderChange(listener: LeaderChangeListener): () => void {
    return this.#listeners.onLeaderChange(listener);
  }

  /** The DescribeQuorum answer: leader, epoch, high watermark and every replica's progress (leader only). */
  describe(): DescribeQuorumResponse {
    return describeQuorum(this.#context);
  }

  // -------------------------------------------------------------------------------------------
  // Requests from other replicas (see request-answers.ts)

  handleDescribeQuorum(request: DescribeQuorumRequest): DescribeQuorumResponse {
    if (singlePartition(request.topics) === null) return describeQuorumError(ErrorCode.INVALID_REQUEST);
    return this.describe();
  }

  handleVote(request: VoteRequest): VoteResponse {
    const vote = singlePartition(request.topics);
    if (vote === null) return topLevelError<VoteResponse>(ErrorCode.INVALID_REQUEST);
    if (this.#closed) return topLevelError<VoteResponse>(ErrorCode.BROKER_NOT_AVAILABLE);
    const error = checkVote(this.#context, vote);
    if (error !== ErrorCode.NONE) return voteResponse(error, this.#current(), false);
    return this.#guarded(
      () => voteResponse(ErrorCode.NONE, this.#current(), decideVote(this.#context, vote)),
      () => voteResponse(ErrorCode.UNKNOWN_SERVER_ERROR, this.#current(), false),
    );
  }

  handleBeginQuorumEpoch(request: BeginQuorumEpochRequest): BeginQuorumEpochResponse {
    const begin = singlePartition(request.topics);
    if (begin === null) return topLevelError<BeginQuorumEpochResponse>(ErrorCode.INVALID_REQUEST);
    if (this.#closed) return topLevelError<BeginQuorumEpochResponse>(ErrorCode.BROKER_NOT_AVAILABLE);
    const error = checkLeaderAnnouncement(this.#context, begin);
    if (error !== ErrorCode.NONE) return beginQuorumEpochResponse(error, this.#current());
    return this.#guarded(
      () => {
        acceptBeginQuorumEpoch(this.#context, begin);
        return beginQuorumEpochResponse(ErrorCode.NONE, this.#current());
      },
      () => beginQuorumEpochResponse(ErrorCode.UNKNOWN_SERVER_ERROR, this.#current()),
    );
  }

  handleEndQuorumEpoch(request: EndQuorumEpochRequest): EndQuorumEpochResponse {
    const end = singlePartition(request.topics);
    if (end === null) return topLevelError<EndQuorumEpochResponse>(ErrorCode.INVALID_REQUEST);
    if (this.#closed) return topLevelError<EndQuorumEpochResponse>(ErrorCode.BROKER_NOT_AVAILABLE);
    const error = checkLeaderAnnouncement(this.#context, end);
    if (error !== ErrorCode.NONE) return endQuorumEpochResponse(error, this.#current());
    return this.#guarded(
      () => {
        acceptEndQuorumEpoch(this.#context, end);
        return endQuorumEpochResponse(ErrorCode.NONE, this.#current());
      },
      () => endQuorumEpochResponse(ErrorCode.UNKNOWN_SERVER_ERROR, this.#current()),
    );
  }

  /** A follower's or observer's Fetch of `__cluster_metadata-0`; held up to its max wait when there is nothing new. */
  handleFetch(request: FetchRequest): Promise<FetchResponse> {
    const query = fetchQueryOf(this.#context, request);
    if (!("fetchOffset" in query)) return Promise.resolve(query);
    const response = this.#run(() => answerFetch(this.#context, query));
    if (request.maxWaitMs === 0 || !hasNothingNew(response)) return Promise.resolve(response);
    return this.#purgatory.park(query.fetchOffset, request.maxWaitMs, () =>
      this.#run(() => answerFetch(this.#context, query)),
    );
  }

  /**
   * Leaves the quorum. A leader first resigns and tells the other voters (EndQuorumEpoch) so they
   * elect at once, waiting up to `timeoutMs` for their acknowledgement; then pending proposals
   * fail, held fetches are answered, and the log is flushed and closed.
   */
  async close(options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.#closed) return;
    this.#shuttingDown = true;
    if (this.#started && this.#quorum.role === "leader" && !this.#quorum.isOnlyVoter) {
      this.#guarded(
        () => this.#resign(),
        () => undefined,
      );
      await this.#waitForResignation(options.timeoutMs ?? this.#config.electionTimeoutMs);
    }
    this.#closed = true;
    this.#serial.stop();
    this.#pending.failAll(new NotLeaderError(null, this.epoch, "the raft node is shutting down"));
    this.#purgatory.completeAll();
    this.#channel.close();
    this.#log.close();
    this.#logger.info("raft node stopped", { nodeId: this.nodeId, epoch: this.epoch });
  }

  // -------------------------------------------------------------------------------------------
  // The serial path

  #run<T>(action: () => T): T {
    return this.#serial.run(action);
  }

  /** The poll of the serial path: what the role has to do now, and when to look again. */
  #poll(now: number): number {
    let wakeAt: number;
    try {
      wakeAt = pollRole(this.#context, now);
    } catch (error) {
      this.#logger.error("raft poll failed", { nodeId: this.nodeId, error: errorText(error) });
      wakeAt = now + this.#config.retryBackoffMs;
    }
    if (this.#shuttingDown) this.#checkResignation();
    return wakeAt;
  }

  /** Runs a state change whose disk write may fail; a failure is logged and answered with `onFailure`. */
  #guarded<T>(change: () => T, onFailure: () => T): T {
    return this.#run(() => {
      try {
        return change();
      } catch (error) {
        this.#logger.error("raft state change failed", { nodeId: this.nodeId, error: errorText(error) });
        return onFailure();
      }
    });
  }

  // -------------------------------------------------------------------------------------------
  // Transitions

  #becomeUnattached(epoch: number): void {
    this.#quorum.transitionToUnattached(epoch);
    this.#leaveLeadership();
    this.#requests.resetAll();
    this.#announceLeader();
  }

  #becomeFollower(epoch: number, leaderId: number): void {
    this.#quorum.transitionToFollower(epoch, leaderId);
    this.#leaveLeadership();
    this.#requests.resetAll();
    this.#logger.info("following", { nodeId: this.nodeId, leaderId, epoch });
    this.#announceLeader();
  }

  #becomeCandidate(): void {
    this.#quorum.transitionToCandidate();
    this.#leaveLeadership();
    this.#logger.info("standing for election", { nodeId: this.nodeId, epoch: this.epoch });
    this.#announceLeader();
    this.#onBecomeCandidate();
  }

  #onBecomeCandidate(): void {
    const state = this.#quorum.state;
    if (state.role === "candidate" && state.granted.size >= this.#quorum.majority) this.#becomeLeader();
    else this.#requests.resetAll();
  }

  #becomeLeader(): void {
    const role = this.#quorum.transitionToLeader();
    const now = this.#scheduler.now();
    const epochStartOffset = this.#log.endOffset;
    this.#leader = new LeaderState({
      localId: this.nodeId,
      epoch: role.epoch,
      epochStartOffset,
      voters: this.#quorum.voters,
      grantingVoters: role.grantingVoters,
      fetchTimeoutMs: this.#config.fetchTimeoutMs,
      now,
    });
    this.#logger.info("elected leader", { nodeId: this.nodeId, epoch: role.epoch, epochStartOffset });
    // Nothing commits before an entry of this epoch does, so the epoch opens with one at once.
    const opening = leaderChangeBatch(this.nodeId, this.#quorum.voters, role.grantingVoters, role.epoch, now);
    this.#log.appendAsLeader(opening, role.epoch);
    this.#log.flush();
    this.#requests.resetAll();
    this.#beginQuorumEpochDueAt = now;
    this.#onLeaderAppend();
  }

  #resign(): void {
    const leader = this.#leader!;
    this.#quorum.transitionToResigned(leader.successorsByEndOffset());
    this.#leaveLeadership();
    this.#requests.resetAll();
    this.#logger.info("resigned", { nodeId: this.nodeId, epoch: this.epoch });
  }

  /** Whatever a leadership had going ends with it: proposals fail, held fetches get their answer. */
  #leaveLeadership(): void {
    if (this.#leader === null) return;
    this.#leader = null;
    this.#pending.failAll(
      new NotLeaderError(this.leaderId, this.epoch, "leadership lost before the proposal committed"),
    );
    this.#purgatory.completeAll();
  }

  /**
   * Follows what a request or response says about the epoch and its leader (Kafka's
   * maybeTransition): a higher epoch is joined, as follower when its leader is named; a leader
   * named for the current epoch is followed if none was known.
   */
  #maybeTransition(leaderId: number | null, epoch: number): void {
    const known = this.#quorum.leaderId;
    if (epoch === this.epoch && leaderId !== null && known !== null && known !== leaderId) {
      this.#logger.error("two leaders claimed for one epoch; ignoring the second", {
        nodeId: this.nodeId,
        epoch,
        known,
        claimed: leaderId,
      });
      return;
    }
    if (epoch > this.epoch) {
      if (leaderId !== null && leaderId !== this.nodeId) this.#becomeFollower(epoch, leaderId);
      else this.#becomeUnattached(epoch);
    } else if (epoch === this.epoch && leaderId !== null && known === null && leaderId !== this.nodeId) {
      this.#becomeFollower(epoch, leaderId);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Fetching (answers handled in response-handling.ts)

  #sendFetch(destination: number): void {
    this.#requests.send(
      destination,
      "Fetch",
      fetchRequest({
        replicaId: this.nodeId,
        epoch: this.epoch,
        fetchOffset: this.#log.endOffset,
        lastFetchedEpoch: this.#log.lastFetchedEpoch,
        maxWaitMs: this.#config.fetchMaxWaitMs,
        maxBytes: this.#config.fetchMaxBytes,
      }),
    );
  }

  // -------------------------------------------------------------------------------------------
  // Commits

  /** The leader's log grew: count its own copy, wake the fetches that wait for it. */
  #onLeaderAppend(): void {
    const leader = this.#leader;
    if (leader === null) return;
    if (leader.updateLocalEndOffset(this.#log.endOffset, this.#scheduler.now())) this.#onLeaderHighWatermark();
    this.#purgatory.completeBelow(this.#log.endOffset);
  }

  #onLeaderHighWatermark(): void {
    const highWatermark = this.#leader?.highWatermark;
    if (highWatermark === null || highWatermark === undefined) return;
    this.#advanceCommitted(highWatermark);
    // Followers learn the new high watermark from their held fetches.
    this.#purgatory.completeAll();
  }

  /** Offsets below `highWatermark` (clamped to this log) are committed. */
  #advanceCommitted(highWatermark: bigint): void {
    const bounded = highWatermark < this.#log.endOffset ? highWatermark : this.#log.endOffset;
    if (bounded <= this.#committed) return;
    this.#committed = bounded;
    this.#log.updateHighWatermark(bounded);
    this.#pending.committedBelow(bounded);
    this.#publishCommitted();
  }

  #publishCommitted(): void {
    this.#listeners.publish(this.#committed);
    this.#announceLeader();
  }

  /** Tells the leader listeners about a new (leader, epoch); this node's own leadership once it is usable. */
  #announceLeader(): void {
    const leader = this.#leader;
    if (leader !== null) {
      const usable = leader.highWatermark !== null && this.#listeners.caughtUpTo(leader.epochStartOffset);
      if (!usable || !this.#started) return;
    }
    this.#listeners.announce({ leaderId: this.leaderId, epoch: this.epoch });
  }

  // -------------------------------------------------------------------------------------------
  // Helpers

  #current(): LeaderAndEpoch {
    return { leaderId: this.#quorum.leaderId, epoch: this.epoch };
  }

  /** The view the protocol logic gets: reads of the state, and the transitions and effects above. */
  #makeContext(): ReplicaContext {
    const node = this;
    return {
      nodeId: this.nodeId,
      config: this.#config,
      quorum: this.#quorum,
      log: this.#log,
      logger: this.#logger,
      requests: this.#requests,
      get leader() {
        return node.#leader;
      },
      get committed() {
        return node.#committed;
      },
      get shuttingDown() {
        return node.#shuttingDown;
      },
      get closed() {
        return node.#closed;
      },
      get beginQuorumEpochDueAt() {
        return node.#beginQuorumEpochDueAt;
      },
      set beginQuorumEpochDueAt(at: number) {
        node.#beginQuorumEpochDueAt = at;
      },
      now: () => this.#scheduler.now(),
      random: () => this.#random(),
      current: () => this.#current(),
      becomeUnattached: (epoch) => this.#becomeUnattached(epoch),
      becomeFollower: (epoch, leaderId) => this.#becomeFollower(epoch, leaderId),
      becomeCandidate: () => this.#becomeCandidate(),
      becomeLeader: () => this.#becomeLeader(),
      resign: () => this.#resign(),
      maybeTransition: (leaderId, epoch) => this.#maybeTransition(leaderId, epoch),
      sendFetch: (destination) => this.#sendFetch(destination),
      advanceCommitted: (highWatermark) => this.#advanceCommitted(highWatermark),
      onLeaderHighWatermark: () => this.#onLeaderHighWatermark(),
    };
  }

  /** A closing leader is done resigning once every voter acknowledged (or the epoch moved on). */
  #checkResignation(): void {
    const state = this.#quorum.state;
    if (state.role === "resigned" && state.unacknowledged.size > 0) return;
    const waiters = this.#shutdownWaiters;
    this.#shutdownWaiters = [];
    for (const wake of waiters) wake();
  }

  #waitForResignation(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = this.#scheduler.setTimer(timeoutMs, () => finish());
      const finish = () => {
        timer.cancel();
        resolve();
      };
      this.#shutdownWaiters.push(finish);
      this.#checkResignation();
    });
  }
}
