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
// handlers the server's API handlers call), its lifecycle, its serial path, and the one context
// (replica-context.ts) through which the protocol logic acts on its state: what requests and
// responses mean is in request-answers.ts and response-handling.ts, what each role does when its
// time comes in role-poll.ts, how the node changes role in role-transitions.ts, how its commit
// point moves and who hears of it in commits.ts. Those are plain functions that own nothing.
//
// Ownership: a RaftNode owns its QuorumState, RaftLog, LeaderState, commit point, outbound
// requests, held fetches, pending proposals, listeners and its serial path (serial-path.ts): every
// entry point (a timer, a request, a response, propose, close) runs to completion synchronously on
// the event loop — disk writes included — and the outermost one ends in a poll that acts on
// whatever became due and sets the one timer for the next deadline. Nothing awaits between reading
// the state and changing it; answers are checked against the epoch and role of the moment they
// arrive.

import { join } from "node:path";
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
import { advanceCommitted, onLeaderAppend, onLeaderHighWatermark, publishCommitted } from "./commits.ts";
import { FetchPurgatory } from "./fetch-purgatory.ts";
import type { LeaderState } from "./leader-state.ts";
import { OutboundRequests } from "./outbound-requests.ts";
import { NotLeaderError, PendingProposals } from "./pending-proposals.ts";
import type { RaftConfig } from "./quorum-config.ts";
import { QuorumState, QuorumStateStore } from "./quorum-state.ts";
import { dataBatch } from "./raft-batches.ts";
import type { RaftChannel } from "./raft-channel.ts";
import { type CommittedListener, type LeaderChangeListener, RaftListeners } from "./raft-listeners.ts";
import { METADATA_LOG_DIR_NAME, RaftLog } from "./raft-log.ts";
import type { LeaderAndEpoch } from "./raft-messages.ts";
import { errorText, type NodeContext } from "./replica-context.ts";
import {
  answerBeginQuorumEpochRequest,
  answerDescribeQuorumRequest,
  answerEndQuorumEpochRequest,
  answerFetchRequest,
  answerVoteRequest,
  describeQuorum,
  type Guarded,
} from "./request-answers.ts";
import { handleResponse } from "./response-handling.ts";
import { pollRole } from "./role-poll.ts";
import {
  becomeCandidate,
  becomeFollower,
  becomeLeader,
  becomeUnattached,
  maybeTransition,
  onBecomeCandidate,
  resign,
} from "./role-transitions.ts";
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
  readonly #context: NodeContext;
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
      if (this.#quorum.role === "candidate") onBecomeCandidate(this.#context);
      if (this.#quorum.isOnlyVoter && this.#quorum.role !== "candidate" && this.#quorum.role !== "leader") {
        becomeCandidate(this.#context);
      }
      publishCommitted(this.#context);
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
      onLeaderAppend(this.#context);
      return committed;
    });
  }

  /** Committed data batches in order, from the start of the log; returns how to stop listening. */
  onCommitted(listener: CommittedListener): () => void {
    const unsubscribe = this.#listeners.onCommitted(listener);
    if (this.#started) queueMicrotask(() => this.#run(() => publishCommitted(this.#context)));
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
    return answerDescribeQuorumRequest(this.#context, request);
  }

  handleVote(request: VoteRequest): VoteResponse {
    return answerVoteRequest(this.#context, request, this.#guarded);
  }

  handleBeginQuorumEpoch(request: BeginQuorumEpochRequest): BeginQuorumEpochResponse {
    return answerBeginQuorumEpochRequest(this.#context, request, this.#guarded);
  }

  handleEndQuorumEpoch(request: EndQuorumEpochRequest): EndQuorumEpochResponse {
    return answerEndQuorumEpochRequest(this.#context, request, this.#guarded);
  }

  /** A follower's or observer's Fetch of `__cluster_metadata-0`; held up to its max wait when there is nothing new. */
  handleFetch(request: FetchRequest): Promise<FetchResponse> {
    return answerFetchRequest(this.#context, request, (action) => this.#run(action));
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
        () => resign(this.#context),
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
  readonly #guarded: Guarded = (change, onFailure) =>
    this.#run(() => {
      try {
        return change();
      } catch (error) {
        this.#logger.error("raft state change failed", { nodeId: this.nodeId, error: errorText(error) });
        return onFailure();
      }
    });

  // -------------------------------------------------------------------------------------------
  // Helpers

  #current(): LeaderAndEpoch {
    return { leaderId: this.#quorum.leaderId, epoch: this.epoch };
  }

  /** The view the protocol logic, the transitions and the commits get: the state, and the effects they may cause. */
  #makeContext(): NodeContext {
    const node = this;
    const context: NodeContext = {
      nodeId: this.nodeId,
      config: this.#config,
      quorum: this.#quorum,
      log: this.#log,
      logger: this.#logger,
      requests: this.#requests,
      pending: this.#pending,
      purgatory: this.#purgatory,
      listeners: this.#listeners,
      get leader() {
        return node.#leader;
      },
      set leader(leader: LeaderState | null) {
        node.#leader = leader;
      },
      get committed() {
        return node.#committed;
      },
      set committed(offset: bigint) {
        node.#committed = offset;
      },
      get started() {
        return node.#started;
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
      leaderId: () => this.leaderId,
      becomeUnattached: (epoch) => becomeUnattached(context, epoch),
      becomeFollower: (epoch, leaderId) => becomeFollower(context, epoch, leaderId),
      becomeCandidate: () => becomeCandidate(context),
      becomeLeader: () => becomeLeader(context),
      resign: () => resign(context),
      maybeTransition: (leaderId, epoch) => maybeTransition(context, leaderId, epoch),
      advanceCommitted: (highWatermark) => advanceCommitted(context, highWatermark),
      onLeaderHighWatermark: () => onLeaderHighWatermark(context),
    };
    return context;
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
