// The runner: one run of a consumer, from run() until stop() or a crash. It keeps a session (a
// generation of group membership with its assignment, or a standalone assignment; see
// session.ts), has the fetcher fetch for it and the delivery hand the fetched batches to
// eachMessage or eachBatch (delivery.ts), rejoins when the group rebalances, and retries failures
// by the retry policy (Backoff's delays) until it gives up and crashes.
//
// Rebalancing: with the eager protocol (kafkajs's, the default) a rebalance ends the session: every
// partition is committed and dropped, and a new session joins. With the cooperative protocol
// (KIP-429, when every assigner supports it) the session lives on through rebalances and only what
// moves is revoked (cooperative.ts). Every change of what the member owns is reported as
// PARTITIONS_ASSIGNED / PARTITIONS_REVOKED.
//
// Ownership: a Runner owns its sessions, its retry count, the group membership it was given and
// its cooperative rebalancing. Fetching is the fetcher's (fetcher.ts: a partition belongs to one
// fetch loop, which fetches again only once its batches are processed, so each partition's
// messages reach the app in order); handing batches over and moving positions on is the
// delivery's; commits are the offset manager's (offset-manager.ts). Pause and seek requests
// belong to the consumer and outlive runners.
import { ErrorCode } from "../../protocol/errors.ts";
import { Backoff } from "../backoff.ts";
import type { Cluster } from "../cluster.ts";
import {
  isRetriable,
  KafkaJSConnectionError,
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
} from "../errors.ts";
import { consumerEvents } from "../events.ts";
import type { InstrumentationEmitter } from "../instrumentation.ts";
import type { Logger } from "../logger.ts";
import { defaultRetry, type RetryOptions } from "../retry.ts";
import type { Offsets } from "../types.ts";
import { CooperativeRebalance, isLost } from "./cooperative.ts";
import { Delivery } from "./delivery.ts";
import { Fetcher, type FetchOptions, STALE_METADATA_ERRORS } from "./fetcher.ts";
import { CONSUMER_CLOSING_REASON, type GroupMember, type GroupOffsets, isRejoinError } from "./group.ts";
import { OffsetManager } from "./offset-manager.ts";
import type { PauseState } from "./partition-state.ts";
import { POLL_TIMEOUT_REASON, POLL_TIMEOUT_WARNING, PollTimeout } from "./poll-timeout.ts";
import { openSession, type Session, subscribedPartitionCounts, toTopicPartitions } from "./session.ts";
import { Signal, waitFor } from "./signals.ts";
import type {
  AssignmentChangeReason,
  ConsumerEvents,
  EachBatchHandler,
  EachMessageHandler,
  StandaloneAssignment,
} from "./types.ts";

export interface RunnerOptions {
  cluster: Cluster;
  logger: Logger;
  emitter: InstrumentationEmitter<ConsumerEvents>;
  groupId: string;
  /** null for a standalone consumer. */
  group: GroupMember | null;
  /** Commits and committed offsets; null without a groupId. */
  offsets: GroupOffsets | null;
  subscription: { topics: string[]; fromBeginning: Map<string, boolean> };
  standalone: StandaloneAssignment[] | null;
  pauses: PauseState;
  seeks: Map<string, { topic: string; partition: number; offset: bigint }>;
  retry: RetryOptions | undefined;
  fetch: FetchOptions;
  run: {
    eachMessage: EachMessageHandler | null;
    eachBatch: EachBatchHandler | null;
    autoCommit: boolean;
    autoCommitInterval: number | null;
    autoCommitThreshold: number | null;
    eachBatchAutoResolve: boolean;
    concurrency: number;
    /** Java's max.poll.interval.ms; null for no limit (see poll-timeout.ts). */
    maxPollInterval: number | null;
  };
  /** Called once the runner has wound down after an error it could not get past. */
  onCrash(error: Error): void;
}

export class Runner {
  running = false;
  private session: Session | undefined;
  private stopSignal = new Signal();
  private starting: Promise<void> | undefined;
  private loopDone: Promise<void> | undefined;
  private readonly logger: Logger;
  private readonly fetcher: Fetcher;
  private readonly offsetManager: OffsetManager;
  /** Failed rounds since the last one that handed batches over; retries stop at `retries`. */
  private failures = 0;
  private readonly retries: number;
  private readonly backoff: Backoff;
  /** A rejoin asked for while no session was current, applied to the next one. */
  private rejoinRequested: KafkaJSProtocolError | undefined;
  private metadataCheckedAt = Date.now();
  /** null unless every assigner supports the cooperative protocol. */
  private readonly cooperative: CooperativeRebalance | null;
  private readonly delivery: Delivery;
  /** Generations joined in this run: the first assignment is a "join", later ones a "rebalance". */
  private generations = 0;
  /** The LeaveGroup of a member whose handler stalled (poll-timeout.ts): the next join waits for it. */
  private leavingAfterPollTimeout: Promise<void> | undefined;
  /** Sessions whose member has left for a poll timeout: it leaves once, whichever of its calls stalled. */
  private readonly pollTimedOut = new WeakSet<Session>();

  constructor(private readonly options: RunnerOptions) {
    const { run } = options;
    this.logger = options.logger;
    const retry = { ...defaultRetry, ...options.retry };
    this.retries = retry.retries;
    this.backoff = new Backoff(retry);
    this.offsetManager = new OffsetManager({
      store: options.offsets,
      logger: options.logger,
      groupId: options.groupId,
      inGroup: options.group !== null,
      autoCommit: run.autoCommit,
      autoCommitInterval: run.autoCommitInterval,
      autoCommitThreshold: run.autoCommitThreshold,
      endSession: (session, reason) => this.endSession(session, reason),
    });
    this.delivery = new Delivery({
      logger: options.logger,
      emitter: options.emitter,
      inGroup: options.group !== null,
      pauses: options.pauses,
      seeks: options.seeks,
      run,
      offsetManager: this.offsetManager,
      pollTimeout: new PollTimeout(run.maxPollInterval, (session) => this.pollTimeoutExpired(session)),
      isRunning: () => this.running,
      wake: () => this.wake(),
      onHandedOver: () => {
        this.failures = 0;
      },
    });
    this.fetcher = new Fetcher({
      cluster: options.cluster,
      logger: options.logger,
      emitter: options.emitter,
      groupId: options.groupId,
      pauses: options.pauses,
      seeks: options.seeks,
      fetch: options.fetch,
      offsetManager: this.offsetManager,
      prefetching: run.eachMessage !== null || run.eachBatchAutoResolve,
      isRunning: () => this.running,
      process: (session, round, batches) => this.delivery.process(session, round, batches),
    });
    const { group } = options;
    this.cooperative =
      group?.rebalanceProtocol === "COOPERATIVE"
        ? new CooperativeRebalance({
            ...options,
            group,
            offsetManager: this.offsetManager,
            fetcher: this.fetcher,
            isRunning: () => this.running,
            deliveryOf: (key) => this.delivery.inProgress(key),
            finishSession: (session, reason, endReason) => this.finishSession(session, reason, endReason),
            announceRebalance: (session, reason) => this.announceRebalance(session, reason),
            reportChange: (event, session, reason, states) => this.reportChange(event, session, reason, states),
            onGeneration: () => {
              this.generations++;
            },
          })
        : null;
  }

  /** Resolves once the first session is open (joined and synced); a failure crashes the runner. */
  start(): Promise<void> {
    this.running = true;
    this.starting = this.openFirstSession();
    return this.starting;
  }

  private async openFirstSession(): Promise<void> {
    try {
      await this.options.cluster.connect();
      this.session = await this.openSession();
    } catch (error) {
      const stopped = this.stopSignal.fired;
      this.running = false;
      await this.windDown();
      if (!stopped) this.options.onCrash(asError(error));
      return;
    }
    if (!this.running) {
      await this.windDown();
      return;
    }
    this.loopDone = this.loop().then((fatal) => {
      if (fatal) this.options.onCrash(fatal);
    });
  }

  /** Lets the handler in progress finish, commits what was processed and leaves the group. */
  async stop(): Promise<void> {
    this.running = false;
    this.stopSignal.fire();
    this.fetcher.endRound();
    await this.starting;
    await this.loopDone;
  }

  /** Wakes fetch loops idling with nothing to fetch (after resume or seek). */
  wake(): void {
    this.fetcher.wake();
  }

  assigned(): { topic: string; partition: number }[] {
    return this.session
      ? [...this.session.partitions.values()]
          .filter(({ revoked }) => !revoked)
          .map(({ topic, partition }) => ({ topic, partition }))
      : [];
  }

  /** COOPERATIVE when the group's assigners all support it; EAGER (kafkajs's) otherwise and when standalone. */
  private get rebalanceProtocol(): "EAGER" | "COOPERATIVE" {
    return this.options.group?.rebalanceProtocol ?? "EAGER";
  }

  // ------------------------------------------------------------------------------ main loop

  private async loop(): Promise<Error | undefined> {
    let retryTime = this.backoff.first();
    while (this.running) {
      const session = this.session;
      if (!session || session.ended) {
        if (session) await this.closeSession(session);
        this.session = undefined;
        if (!this.running) break;
        // A cooperative rejoin still answering for the old session must not race the new join.
        await this.cooperative?.settled();
        await this.leavingAfterPollTimeout;
        try {
          this.session = await this.openSession();
        } catch (error) {
          if (!this.running) break;
          return this.fail(asError(error));
        }
        continue;
      }
      try {
        await this.refreshMetadataIfOld(session);
        await this.fetcher.consumeRound(session);
      } catch (caught) {
        const error = asError(caught);
        if (!this.running) break;
        if (isRejoinError(error)) {
          this.endSession(session, error);
          continue;
        }
        if (session.ended) continue;
        if (
          error instanceof KafkaJSConnectionError ||
          (error instanceof KafkaJSProtocolError && STALE_METADATA_ERRORS.has(error.code))
        ) {
          await this.options.cluster.refreshMetadata().catch(() => undefined);
        }
        if (!isRetriable(error)) {
          return this.fail(
            error instanceof KafkaJSNonRetriableError ? error : new KafkaJSNonRetriableError(error, { cause: error }),
          );
        }
        if (this.failures === 0) retryTime = this.backoff.first();
        if (this.failures >= this.retries) {
          return this.fail(new KafkaJSNumberOfRetriesExceeded(error, { retryCount: this.failures, retryTime }));
        }
        this.failures++;
        this.logger.debug("Error while consuming, trying again", {
          groupId: this.options.groupId,
          error: error.message,
          retryCount: this.failures,
          retryTime,
        });
        await this.sleep(retryTime);
        retryTime = this.backoff.next(retryTime);
      }
    }
    await this.windDown();
    return undefined;
  }

  private async fail(error: Error): Promise<Error> {
    this.running = false;
    await this.windDown();
    return error;
  }

  /** Final commit of what was processed, then leaving the group with Java's reason for a closing consumer. */
  private async windDown(): Promise<void> {
    await this.cooperative?.settled();
    await this.leavingAfterPollTimeout;
    if (this.session) await this.closeSession(this.session);
    this.session = undefined;
    try {
      await this.options.group?.leave(CONSUMER_CLOSING_REASON);
    } catch (error) {
      this.logger.debug("Leaving the group failed", { groupId: this.options.groupId, error: (error as Error).message });
    }
  }

  private sleep(ms: number): Promise<void> {
    return waitFor(ms, this.stopSignal);
  }

  // ------------------------------------------------------------------------------ sessions

  /** With a group, a generation: the retry count starts again, and a rejoin asked for meanwhile ends it at once. */
  private async openSession(): Promise<Session> {
    const { group } = this.options;
    if (group) this.rejoinRequested = undefined;
    const session = await openSession({ ...this.options, offsetManager: this.offsetManager }, () => this.running);
    if (!group) return session;
    this.failures = 0;
    this.reportChange(consumerEvents.PARTITIONS_ASSIGNED, session, this.generations++ === 0 ? "join" : "rebalance", [
      ...session.partitions.values(),
    ]);
    // A heartbeat may have learnt of the next rebalance while this session was being set up.
    if (this.rejoinRequested) this.endSession(session, this.rejoinRequested);
    return session;
  }

  /**
   * The group needs us to rejoin (heartbeat or commit said so, or the subscribed topics grew). Eager:
   * the session ends. Cooperative: the member rejoins in the background and the session goes on,
   * unless what it owned is lost (the group no longer counts its generation).
   */
  endSession(session: Session | undefined, reason: Error): void {
    if (!session || session.ended) return;
    if (this.cooperative && this.running) {
      // Until its assignment is in, a rejoin explains the refusals of commits made meanwhile.
      if (this.cooperative.awaitingAssignment) return;
      if (!isLost(reason)) {
        this.cooperative.request(session, reason);
        return;
      }
    }
    this.finishSession(session, reason, isLost(reason) ? "lost" : "rebalance");
  }

  /** Ends the session: nothing more of it reaches the app, and the loop commits, drops it and joins again. */
  private finishSession(session: Session, reason: Error, endReason: AssignmentChangeReason): void {
    if (session.ended) return;
    session.ended = true;
    if (
      reason instanceof KafkaJSProtocolError &&
      (reason.code === ErrorCode.UNKNOWN_MEMBER_ID ||
        reason.code === ErrorCode.ILLEGAL_GENERATION ||
        reason.code === ErrorCode.FENCED_MEMBER_EPOCH)
    ) {
      session.canCommit = false;
      // The coordinator has forgotten this member: join again as a new one.
      const { group } = this.options;
      if (reason.code === ErrorCode.UNKNOWN_MEMBER_ID && group?.memberId === session.identity.memberId)
        group.forgetMember();
    }
    if (this.session === session) this.fetcher.endRound();
    if (this.running && this.options.group) {
      session.endReason = { reason: endReason, cause: reason.message };
      this.announceRebalance(session, reason);
    }
  }

  private announceRebalance(session: Session, reason: Error): void {
    this.logger.warn("The group is rebalancing, re-joining", {
      groupId: this.options.groupId,
      memberId: session.identity.memberId,
      error: reason.message,
    });
    this.options.emitter.emit(consumerEvents.REBALANCING, {
      groupId: this.options.groupId,
      memberId: session.identity.memberId,
    });
  }

  /** PARTITIONS_ASSIGNED / PARTITIONS_REVOKED (our extension), for a group member's change that moved something. */
  private reportChange(
    event: ConsumerEvents["PARTITIONS_ASSIGNED"] | ConsumerEvents["PARTITIONS_REVOKED"],
    session: Session,
    reason: AssignmentChangeReason,
    states: Array<{ topic: string; partition: number }>,
    cause?: string,
  ): void {
    if (!this.options.group || states.length === 0) return;
    const partitions = toTopicPartitions(states);
    this.options.emitter.emit(event, () => ({
      groupId: this.options.groupId,
      memberId: session.identity.memberId,
      generationId: session.identity.generationId,
      rebalanceProtocol: this.rebalanceProtocol,
      reason,
      partitions,
      ...(cause === undefined ? {} : { cause }),
    }));
  }

  /**
   * A handler call of `session` has run past maxPollInterval (Java's poll timeout): what the member
   * owns is lost, not revoked (the call still running may not commit it), and it leaves the group at
   * once, so that the others take its partitions over; the loop joins again once the call returns.
   * The session may have ended already: a rebalance that began while the call ran (another member
   * joined), or a stop. The member leaves all the same, as Java's heartbeat thread does: otherwise
   * the coordinator would wait out the member's whole rebalance timeout for a join that the stalled
   * call holds back, and only then remove it, while every other member waits too.
   */
  private pollTimeoutExpired(session: Session): void {
    const { group } = this.options;
    if (!group || this.pollTimedOut.has(session)) return;
    this.pollTimedOut.add(session);
    const { groupId } = this.options;
    const { memberId, generationId } = session.identity;
    this.logger.warn(POLL_TIMEOUT_WARNING, { groupId, memberId, generationId });
    session.canCommit = false;
    if (!session.ended) this.finishSession(session, new KafkaJSError(POLL_TIMEOUT_REASON), "lost");
    else if (this.running) session.endReason = { reason: "lost", cause: POLL_TIMEOUT_REASON };
    this.leavingAfterPollTimeout = group.leave(POLL_TIMEOUT_REASON).catch((error: unknown) => {
      // The coordinator removes the member anyway once its session times out (no more heartbeats).
      this.logger.warn("Leaving the group after the poll timeout failed", {
        groupId,
        error: (error as Error).message,
      });
    });
  }

  /** Called by the group membership when a heartbeat learns that the group needs us to rejoin. */
  onRejoinNeeded(reason: KafkaJSProtocolError): void {
    if (this.session && !this.session.ended) this.endSession(this.session, reason);
    else this.rejoinRequested = reason;
  }

  private async closeSession(session: Session): Promise<void> {
    session.ended = true;
    await this.offsetManager.commitBeforeLeaving(session);
    const { reason, cause } = session.endReason;
    const owned = [...session.partitions.values()].filter(({ revoked }) => !revoked);
    this.reportChange(consumerEvents.PARTITIONS_REVOKED, session, reason, owned, cause);
  }

  /** kafkajs's metadataMaxAge: refresh now and then; new partitions of a subscribed topic call for a new assignment. */
  private async refreshMetadataIfOld(session: Session): Promise<void> {
    if (Date.now() - this.metadataCheckedAt < this.options.fetch.metadataMaxAge) return;
    this.metadataCheckedAt = Date.now();
    await this.options.cluster.refreshMetadata();
    if (!this.options.group) return;
    for (const [topic, count] of subscribedPartitionCounts(this.options.cluster, this.options.subscription.topics)) {
      if (session.partitionCounts.get(topic) !== count) {
        this.endSession(session, new KafkaJSError(`Topic ${topic} now has ${count} partitions`));
        return;
      }
    }
  }

  // ------------------------------------------------------------------------------ commits asked for by the app

  /** consumer.commitOffsets and commitOffsetsIfNecessary(offsets): exactly these offsets. */
  commitGiven(session: Session | undefined, given: Offsets): Promise<void> {
    return this.offsetManager.commitGiven(session ?? this.session, given);
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
