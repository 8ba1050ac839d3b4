// The runner: one run of a consumer, from run() until stop() or a crash. It keeps a session (a
// generation of group membership with its assignment, or a standalone assignment; see
// session.ts), has the fetcher fetch for it, delivers the fetched batches to eachMessage or
// eachBatch (at most partitionsConsumedConcurrently at a time), rejoins when the group
// rebalances, and retries failures by the retry policy (Backoff's delays) until it gives up and
// crashes.
//
// Ownership: a Runner owns its sessions, its retry count and the group membership it was given,
// and moves partitions' positions on as the app processes messages. Fetching is the fetcher's
// (fetcher.ts: a partition belongs to one fetch loop, which fetches again only once its batches
// are processed, so each partition's messages reach the app in order); commits are the offset
// manager's (offset-manager.ts). Pause and seek requests belong to the consumer and outlive
// runners.
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
import type { Batch } from "./batch.ts";
import { Fetcher, type FetchOptions, type PendingBatch, STALE_METADATA_ERRORS } from "./fetcher.ts";
import { type GroupMembership, type GroupOffsets, isRejoinError } from "./group.ts";
import { OffsetManager } from "./offset-manager.ts";
import type { PartitionState, PauseState } from "./partition-state.ts";
import { openSession, type Session, subscribedPartitionCounts } from "./session.ts";
import { Signal, Slots, waitFor } from "./signals.ts";
import type {
  ConsumerEvents,
  EachBatchHandler,
  EachMessageHandler,
  IBatchProcessEvent,
  StandaloneAssignment,
} from "./types.ts";

export interface RunnerOptions {
  cluster: Cluster;
  logger: Logger;
  emitter: InstrumentationEmitter<ConsumerEvents>;
  groupId: string;
  /** null for a standalone consumer. */
  group: GroupMembership | null;
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
  private readonly slots: Slots;
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

  constructor(private readonly options: RunnerOptions) {
    const { run } = options;
    this.logger = options.logger;
    this.slots = new Slots(Math.max(1, run.concurrency));
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
      process: (session, round, batches) => this.processBatches(session, round, batches),
    });
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
      ? [...this.session.partitions.values()].map(({ topic, partition }) => ({ topic, partition }))
      : [];
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

  /** Final commit of what was processed, then leaving the group. */
  private async windDown(): Promise<void> {
    if (this.session) await this.closeSession(this.session);
    this.session = undefined;
    try {
      await this.options.group?.leave();
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
    // A heartbeat may have learnt of the next rebalance while this session was being set up.
    if (this.rejoinRequested) this.endSession(session, this.rejoinRequested);
    return session;
  }

  /** Ends the session when the group needs us to rejoin (heartbeat or commit said so). */
  endSession(session: Session | undefined, reason: Error): void {
    if (!session || session.ended) return;
    session.ended = true;
    if (
      reason instanceof KafkaJSProtocolError &&
      (reason.code === ErrorCode.UNKNOWN_MEMBER_ID || reason.code === ErrorCode.ILLEGAL_GENERATION)
    ) {
      session.canCommit = false;
      // The coordinator has forgotten this member: join again as a new one.
      const { group } = this.options;
      if (reason.code === ErrorCode.UNKNOWN_MEMBER_ID && group?.memberId === session.identity.memberId)
        group.memberId = "";
    }
    if (this.session === session) this.fetcher.endRound();
    if (this.running && this.options.group) {
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
  }

  /** Called by the group membership when a heartbeat learns that the group needs us to rejoin. */
  onRejoinNeeded(reason: KafkaJSProtocolError): void {
    if (this.session && !this.session.ended) this.endSession(this.session, reason);
    else this.rejoinRequested = reason;
  }

  private async closeSession(session: Session): Promise<void> {
    session.ended = true;
    await this.offsetManager.commitBeforeLeaving(session);
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

  // ------------------------------------------------------------------------------ handing over

  private async processBatches(session: Session, round: Signal, batches: PendingBatch[]): Promise<void> {
    if (batches.length === 0) return;
    let firstError: unknown;
    await Promise.all(
      batches.map((pending) =>
        this.slots
          .run(() => this.processBatch(session, round, pending))
          .catch((error: unknown) => {
            firstError ??= error;
          }),
      ),
    );
    if (firstError !== undefined) throw firstError;
    // A whole fetch handed over without error: earlier failures are behind us.
    this.failures = 0;
  }

  private async processBatch(session: Session, round: Signal, { state, batch }: PendingBatch): Promise<void> {
    // Nothing reaches the app once a rebalance, a stop or a failure has begun.
    if (round.fired || !this.running) return;
    const { emitter, run } = this.options;
    const started = Date.now();
    const eventPayload = (): IBatchProcessEvent => ({
      topic: batch.topic,
      partition: batch.partition,
      highWatermark: batch.highWatermark,
      offsetLag: batch.offsetLag(),
      offsetLagLow: batch.offsetLagLow(),
      batchSize: batch.messages.length,
      firstOffset: batch.firstOffset() ?? batch.lastOffset(),
      lastOffset: batch.lastOffset(),
    });
    emitter.emit(consumerEvents.START_BATCH_PROCESS, eventPayload);
    if (batch.isEmptyDueToFiltering()) {
      state.resolved = batch.nextOffset();
      this.offsetManager.commitIfDue(session);
    } else if (run.eachMessage) {
      await this.deliverMessages(session, round, state, batch, run.eachMessage);
    } else if (run.eachBatch) {
      await this.deliverBatch(session, state, batch, run.eachBatch);
    }
    emitter.emit(consumerEvents.END_BATCH_PROCESS, () => ({ ...eventPayload(), duration: Date.now() - started }));
    this.offsetManager.commitAfterBatch(session);
  }

  private async deliverMessages(
    session: Session,
    round: Signal,
    state: PartitionState,
    batch: Batch,
    eachMessage: EachMessageHandler,
  ): Promise<void> {
    const { pauses, seeks } = this.options;
    const { offsetManager } = this;
    const { topic, partition } = state;
    const pause = this.pauseFunction(topic, partition);
    const heartbeat = this.heartbeatFunction(session);
    const messages = batch.messages;
    for (let i = 0; i < messages.length; i++) {
      if (round.fired || !this.running || seeks.has(state.key) || pauses.isPaused(topic, partition)) return;
      const message = messages[i]!;
      try {
        await eachMessage({ topic, partition, message, heartbeat, pause });
      } catch (error) {
        if (!(error instanceof KafkaJSError)) {
          this.logger.error("Error when calling eachMessage", {
            topic,
            partition,
            offset: message.offset,
            error: (error as Error)?.message,
          });
        }
        // What was processed before the failing message is committed (kafkajs).
        await this.offsetManager.autoCommitQuietly(session);
        throw error;
      }
      state.resolved = BigInt(message.offset) + 1n;
      offsetManager.commitIfDue(session);
    }
    // Every message handed over: step over what followed them in the batch (transaction markers).
    state.resolved = batch.nextOffset() ?? state.resolved;
  }

  private async deliverBatch(
    session: Session,
    state: PartitionState,
    batch: Batch,
    eachBatch: EachBatchHandler,
  ): Promise<void> {
    const { seeks } = this.options;
    const lastMessage = batch.messages[batch.messages.length - 1];
    try {
      await eachBatch({
        batch,
        resolveOffset: (offset) => {
          // Resolving the last message steps over control records after it too (kafkajs).
          const value =
            lastMessage !== undefined && String(offset) === lastMessage.offset
              ? batch.lastOffsetValue()
              : BigInt(offset);
          state.resolved = value + 1n;
        },
        heartbeat: this.heartbeatFunction(session),
        pause: this.pauseFunction(state.topic, state.partition),
        commitOffsetsIfNecessary: async (offsets?: Offsets) => {
          if (offsets) await this.commitGiven(session, offsets);
          else if (this.offsetManager.commitDue(session)) await this.offsetManager.autoCommit(session);
        },
        uncommittedOffsets: () => this.offsetManager.uncommittedOffsets(session),
        isRunning: () => this.running,
        isStale: () => session.ended || seeks.has(state.key),
      });
    } catch (error) {
      if (!(error instanceof KafkaJSError)) {
        this.logger.error("Error when calling eachBatch", {
          topic: batch.topic,
          partition: batch.partition,
          offset: batch.firstOffset(),
          error: (error as Error)?.message,
        });
      }
      await this.offsetManager.autoCommitQuietly(session);
      throw error;
    }
    // A batch cut short by a rebalance or a seek is not marked processed.
    if (this.options.run.eachBatchAutoResolve && !session.ended && !seeks.has(state.key))
      state.resolved = batch.lastOffsetValue() + 1n;
  }

  private pauseFunction(topic: string, partition: number): () => () => void {
    return () => {
      this.options.pauses.pause([{ topic, partitions: [partition] }]);
      return () => {
        this.options.pauses.resume([{ topic, partitions: [partition] }]);
        this.wake();
      };
    };
  }

  /** Heartbeats are sent by their own timer; this one reports a rebalance to a handler that asks, as kafkajs's does. */
  private heartbeatFunction(session: Session): () => Promise<void> {
    return async () => {
      if (session.ended && this.options.group)
        throw new KafkaJSProtocolError(ErrorCode.REBALANCE_IN_PROGRESS, "the group is rebalancing");
    };
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
