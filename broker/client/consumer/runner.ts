// One run of a consumer, from run() until stop() or a crash: it keeps a session (a generation of
// group membership with its assignment, or a standalone assignment), fetches from each partition
// leader and hands the batches to the app, commits, and rejoins when the group rebalances.
//
// Ownership: a Runner owns its sessions and their partition states, its fetch loops (one per
// leader broker, as in kafkajs) and the group membership it was given. Pause and seek requests
// belong to the consumer and outlive runners.
//
// Ordering: a partition belongs to one fetch loop, and a loop fetches again only once every batch
// of its previous fetch is processed, so each partition's messages reach the app strictly in
// order, whatever partitionsConsumedConcurrently allows across partitions.
import { Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { FetchResponse } from "../../protocol/messages/index.ts";
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
import { createRetrier, defaultRetry, type RetryOptions } from "../retry.ts";
import type { Offsets, TopicOffsets } from "../types.ts";
import { Batch } from "./batch.ts";
import { decodeFetchedRecords } from "./fetched-records.ts";
import {
  type CommitIdentity,
  type CommittedOffset,
  type GroupMembership,
  type GroupOffsets,
  isRejoinError,
} from "./group.ts";
import {
  createPartitionState,
  EARLIEST,
  type PartitionState,
  type PauseState,
  partitionKey,
} from "./partition-state.ts";
import type {
  ConsumerEvents,
  EachBatchHandler,
  EachMessageHandler,
  IBatchProcessEvent,
  OffsetsByTopicPartition,
  StandaloneAssignment,
} from "./types.ts";

/** Partition errors that mean our metadata is out of date: refresh and regroup by leader. */
const STALE_METADATA_ERRORS = new Set<number>([
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.FENCED_LEADER_EPOCH,
  ErrorCode.UNKNOWN_LEADER_EPOCH,
  ErrorCode.REPLICA_NOT_AVAILABLE,
  ErrorCode.KAFKA_STORAGE_ERROR,
  ErrorCode.UNKNOWN_TOPIC_ID,
]);

const PIPELINED_FETCH_BYTES = 2 * 1024 * 1024;

/**
 * The list started at a different element each time: a broker fills a response in request order,
 * so a fixed order would let the first busy partitions take every response.
 */
function rotate<T>(items: T[], by: number): T[] {
  if (items.length < 2) return items;
  const start = by % items.length;
  return start === 0 ? items : [...items.slice(start), ...items.slice(0, start)];
}

/**
 * A one-shot event. Waiters register and unregister a callback rather than chain on a promise,
 * so a session that lasts for millions of fetches does not pile up reactions on it.
 */
class Signal {
  fired = false;
  private readonly listeners = new Set<() => void>();

  fire(): void {
    if (this.fired) return;
    this.fired = true;
    for (const listener of this.listeners) listener();
    this.listeners.clear();
  }

  /** Calls `listener` once fired (at once if already); returns the way to unregister it. */
  onFire(listener: () => void): () => void {
    if (this.fired) {
      listener();
      return () => undefined;
    }
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }
}

/** Resolves after `ms`, or as soon as one of the signals fires. */
function waitFor(ms: number, ...signals: Signal[]): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      for (const off of offs) off();
      resolve();
    };
    const timer = setTimeout(done, ms);
    const offs = signals.map((signal) => signal.onFire(done));
  });
}

/** At most `size` tasks at a time, the others queued in order. */
class Slots {
  private readonly waiting: Array<() => void> = [];

  constructor(private free: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}

/** A generation's assignment (or a standalone one) and its positions. */
class Session {
  ended = false;
  /** False once the broker has told us this generation is gone: committing with it would fail. */
  canCommit = true;

  constructor(
    readonly identity: CommitIdentity,
    readonly partitions: Map<string, PartitionState>,
    /** Partition counts of the subscribed topics when assigned: a change calls for a new assignment. */
    readonly partitionCounts: Map<string, number>,
  ) {}
}

interface InFlightFetch {
  response: Promise<FetchResponse>;
  /** The offset each partition was fetched from: its answer only counts if the position is still that. */
  requested: Map<string, bigint>;
  started: number;
}

interface PendingBatch {
  state: PartitionState;
  batch: Batch;
}

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
  fetch: {
    maxWaitTimeInMs: number;
    minBytes: number;
    maxBytes: number;
    maxBytesPerPartition: number;
    readUncommitted: boolean;
    rackId: string;
    metadataMaxAge: number;
  };
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
  /** Fired to make every fetch loop of the current round stop (rebalance, stop, error, new leaders). */
  private round: Signal | undefined;
  private wakeSignal = new Signal();
  private stopSignal = new Signal();
  private starting: Promise<void> | undefined;
  private loopDone: Promise<void> | undefined;
  private readonly slots: Slots;
  private readonly logger: Logger;
  private failures = 0;
  private lastCommit = Date.now();
  private commitInFlight: Promise<void> | undefined;
  private commitFollowUp: Promise<void> | undefined;
  private commitFailure: Error | undefined;
  /** A rejoin asked for while no session was current, applied to the next one. */
  private rejoinRequested: KafkaJSProtocolError | undefined;
  private metadataCheckedAt = Date.now();
  private readonly commitPolicyActive: boolean;
  /** Prefetching pays off when processed batches end where they were predicted to. */
  private readonly prefetching: boolean;
  private readonly retryConfig: Required<Omit<RetryOptions, "restartOnFailure">>;

  constructor(private readonly options: RunnerOptions) {
    this.logger = options.logger;
    this.slots = new Slots(Math.max(1, options.run.concurrency));
    this.commitPolicyActive =
      options.run.autoCommit && (options.run.autoCommitInterval !== null || options.run.autoCommitThreshold !== null);
    this.retryConfig = { ...defaultRetry, ...options.retry };
    this.prefetching = options.run.eachMessage !== null || options.run.eachBatchAutoResolve;
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
    this.round?.fire();
    await this.starting;
    await this.loopDone;
  }

  /** Wakes fetch loops idling with nothing to fetch (after resume or seek). */
  wake(): void {
    const signal = this.wakeSignal;
    this.wakeSignal = new Signal();
    signal.fire();
  }

  assigned(): { topic: string; partition: number }[] {
    return this.session
      ? [...this.session.partitions.values()].map(({ topic, partition }) => ({ topic, partition }))
      : [];
  }

  // ------------------------------------------------------------------------------ main loop

  private async loop(): Promise<Error | undefined> {
    let retryTime = this.retryConfig.initialRetryTime;
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
        await this.consumeRound(session);
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
        if (this.failures === 0) retryTime = this.retryConfig.initialRetryTime;
        if (this.failures >= this.retryConfig.retries) {
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
        retryTime = Math.min(retryTime * this.retryConfig.multiplier, this.retryConfig.maxRetryTime);
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

  private async openSession(): Promise<Session> {
    const { group, cluster, emitter, groupId, subscription } = this.options;
    const started = Date.now();
    const retrier = createRetrier(this.options.retry);
    if (!group) {
      const assignment = this.options.standalone ?? [];
      await cluster.addTargetTopics([...new Set(assignment.map((a) => a.topic))]);
      const partitions = new Map<string, PartitionState>();
      for (const { topic, partitions: list, fromBeginning = false } of assignment) {
        for (const partition of list) {
          const state = createPartitionState(topic, partition, fromBeginning);
          partitions.set(state.key, state);
        }
      }
      const session = new Session({ generationId: -1, memberId: "" }, partitions, new Map());
      await retrier(() => this.loadCommittedOffsets(session));
      return session;
    }

    this.rejoinRequested = undefined;
    const joined = await group.joinAndSync(subscription.topics, () => this.running);
    const assignedTopics = Object.keys(joined.assignment);
    const topicsNotSubscribed = assignedTopics.filter((topic) => !subscription.topics.includes(topic));
    if (topicsNotSubscribed.length > 0) {
      const payload = {
        groupId,
        generationId: joined.generationId,
        memberId: joined.memberId,
        assignedTopics,
        topicsSubscribed: subscription.topics,
        topicsNotSubscribed,
      };
      emitter.emit(consumerEvents.RECEIVED_UNSUBSCRIBED_TOPICS, payload);
      this.logger.warn("Consumer group received unsubscribed topics", payload);
    }
    const memberAssignment: Record<string, number[]> = {};
    const partitions = new Map<string, PartitionState>();
    for (const topic of assignedTopics) {
      if (topicsNotSubscribed.includes(topic)) continue;
      const list = [...joined.assignment[topic]!].sort((a, b) => a - b);
      memberAssignment[topic] = list;
      for (const partition of list) {
        const state = createPartitionState(topic, partition, subscription.fromBeginning.get(topic) ?? false);
        partitions.set(state.key, state);
      }
    }
    if ([...partitions.values()].some(({ topic, partition }) => !this.knowsPartition(topic, partition)))
      await cluster.refreshMetadata();
    const session = new Session(
      { generationId: joined.generationId, memberId: joined.memberId },
      partitions,
      this.partitionCounts(),
    );
    await retrier(() => this.loadCommittedOffsets(session));
    this.failures = 0;
    emitter.emit(consumerEvents.GROUP_JOIN, {
      duration: Date.now() - started,
      groupId,
      isLeader: joined.isLeader,
      leaderId: joined.leaderId,
      groupProtocol: joined.groupProtocol,
      memberId: joined.memberId,
      memberAssignment,
    });
    this.logger.info("Consumer has joined the group", {
      groupId,
      memberId: joined.memberId,
      leaderId: joined.leaderId,
      isLeader: joined.isLeader,
      memberAssignment,
      groupProtocol: joined.groupProtocol,
    });
    // A heartbeat may have learnt of the next rebalance while this session was being set up.
    if (this.rejoinRequested) this.endSession(session, this.rejoinRequested);
    return session;
  }

  private async loadCommittedOffsets(session: Session): Promise<void> {
    const { offsets } = this.options;
    if (!offsets || session.partitions.size === 0) return;
    const committed = await offsets.fetchCommitted([...session.partitions.values()]);
    for (const { topic, partition, offset } of committed) {
      const state = session.partitions.get(partitionKey(topic, partition));
      if (state) state.resolved = state.committed = offset;
    }
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
    if (this.session === session) this.round?.fire();
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
    if (!this.options.run.autoCommit || !session.canCommit) return;
    try {
      await this.commitResolved(session);
    } catch (error) {
      this.logger.debug("Could not commit before leaving the generation", {
        groupId: this.options.groupId,
        error: (error as Error).message,
      });
    }
  }

  private knowsPartition(topic: string, partition: number): boolean {
    if (!this.options.cluster.hasTopic(topic)) return false;
    return this.options.cluster.topicMetadata(topic).partitions.some((p) => p.partitionId === partition);
  }

  private partitionCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const topic of this.options.subscription.topics) {
      if (this.options.cluster.hasTopic(topic))
        counts.set(topic, this.options.cluster.topicMetadata(topic).partitions.length);
    }
    return counts;
  }

  /** kafkajs's metadataMaxAge: refresh now and then; new partitions of a subscribed topic call for a new assignment. */
  private async refreshMetadataIfOld(session: Session): Promise<void> {
    if (Date.now() - this.metadataCheckedAt < this.options.fetch.metadataMaxAge) return;
    this.metadataCheckedAt = Date.now();
    await this.options.cluster.refreshMetadata();
    if (!this.options.group) return;
    for (const [topic, count] of this.partitionCounts()) {
      if (session.partitionCounts.get(topic) !== count) {
        this.endSession(session, new KafkaJSError(`Topic ${topic} now has ${count} partitions`));
        return;
      }
    }
  }

  // ------------------------------------------------------------------------------ fetching

  private async consumeRound(session: Session): Promise<void> {
    const round = new Signal();
    this.round = round;
    if (session.ended || !this.running) round.fire();
    try {
      await this.refreshMetadataIfOld(session);
      const byLeader = await this.partitionsByLeader(session);
      if (byLeader.size === 0) {
        await this.idle(round);
        return;
      }
      let firstError: unknown;
      await Promise.all(
        [...byLeader].map(([nodeId, states]) =>
          this.fetchLoop(session, round, nodeId, states).catch((error: unknown) => {
            firstError ??= error;
            round.fire();
          }),
        ),
      );
      if (firstError !== undefined) throw firstError;
    } finally {
      round.fire();
      if (this.round === round) this.round = undefined;
    }
  }

  private async partitionsByLeader(session: Session): Promise<Map<number, PartitionState[]>> {
    const { cluster } = this.options;
    const states = [...session.partitions.values()];
    if (states.some(({ topic, partition }) => !this.knowsPartition(topic, partition))) await cluster.refreshMetadata();
    const byLeader = new Map<number, PartitionState[]>();
    for (const state of states) {
      if (!this.knowsPartition(state.topic, state.partition)) {
        this.logger.warn("No metadata for an assigned partition", { topic: state.topic, partition: state.partition });
        continue;
      }
      const leader = cluster
        .topicMetadata(state.topic)
        .partitions.find((p) => p.partitionId === state.partition)!.leader;
      if (leader < 0)
        throw new KafkaJSProtocolError(ErrorCode.LEADER_NOT_AVAILABLE, `${state.topic}-${state.partition}`);
      let list = byLeader.get(leader);
      if (!list) byLeader.set(leader, (list = []));
      list.push(state);
    }
    return byLeader;
  }

  private idle(round: Signal): Promise<void> {
    return waitFor(this.options.fetch.maxWaitTimeInMs, round, this.wakeSignal);
  }

  /**
   * Fetch, hand over, repeat: one loop per leader broker. While the app processes a fetch's
   * batches, the next fetch is already on its way, asked from where those batches end and without
   * waiting at the broker (max wait 0), so a broker with nothing new answers at once instead of
   * holding the connection. A partition whose position turns out different once its batch is
   * processed (pause, seek, a handler that stopped early) has that prefetched data dropped and is
   * fetched again from its real position.
   */
  private async fetchLoop(session: Session, round: Signal, nodeId: number, states: PartitionState[]): Promise<void> {
    const { maxWaitTimeInMs } = this.options.fetch;
    let prefetched: InFlightFetch | undefined;
    let requests = 0;
    while (!round.fired) {
      if (this.commitFailure) {
        const failure = this.commitFailure;
        this.commitFailure = undefined;
        throw failure;
      }
      await this.applySeeks(session, states);
      await this.resolvePositions(nodeId, states);
      if (round.fired) return;
      let fetch = prefetched;
      prefetched = undefined;
      if (!fetch) {
        const active = this.fetchable(states);
        if (active.length === 0) {
          await this.idle(round);
          continue;
        }
        fetch = await this.sendFetch(
          nodeId,
          rotate(
            active.map((state): [PartitionState, bigint] => [state, state.resolved!]),
            requests++,
          ),
          maxWaitTimeInMs,
        );
      }
      const response = await untilFired(fetch.response, round);
      if (response === undefined) return;
      const { batches, staleMetadata } = this.collectBatches(session, response, fetch.requested);
      this.options.emitter.emit(consumerEvents.FETCH, {
        numberOfBatches: batches.length,
        duration: Date.now() - fetch.started,
        nodeId,
      });
      if (batches.length > 0 && this.prefetching && !staleMetadata && !round.fired) {
        const ends = new Map(batches.map(({ state, batch }) => [state.key, batch.nextOffset()]));
        const positions = this.fetchable(states).map((state): [PartitionState, bigint] => [
          state,
          ends.get(state.key) ?? state.resolved!,
        ]);
        prefetched = await this.sendFetch(nodeId, rotate(positions, requests++), 0);
      }
      await this.processBatches(session, round, batches);
      // A whole round handed over without error: earlier failures are behind us.
      if (batches.length > 0) this.failures = 0;
      if (staleMetadata) {
        await this.options.cluster.refreshMetadata();
        round.fire();
      }
    }
  }

  private fetchable(states: PartitionState[]): PartitionState[] {
    const { pauses, seeks } = this.options;
    return states.filter((s) => s.resolved !== null && !pauses.isPaused(s.topic, s.partition) && !seeks.has(s.key));
  }

  private async sendFetch(
    nodeId: number,
    positions: Array<[PartitionState, bigint]>,
    maxWaitMs: number,
  ): Promise<InFlightFetch> {
    const { minBytes, maxBytes, maxBytesPerPartition, readUncommitted, rackId } = this.options.fetch;
    // maxBytes bounds a response; asking for less per request lets the app process one response
    // while the broker prepares the next, instead of waiting for one large answer at a time.
    const requestMaxBytes = Math.min(maxBytes, Math.max(2 * maxBytesPerPartition, PIPELINED_FETCH_BYTES));
    const requested = new Map<string, bigint>();
    const topics = new Map<
      string,
      {
        partition: number;
        currentLeaderEpoch: number;
        fetchOffset: bigint;
        logStartOffset: bigint;
        partitionMaxBytes: number;
      }[]
    >();
    for (const [state, fetchOffset] of positions) {
      requested.set(state.key, fetchOffset);
      let list = topics.get(state.topic);
      if (!list) topics.set(state.topic, (list = []));
      list.push({
        partition: state.partition,
        currentLeaderEpoch: -1,
        fetchOffset,
        logStartOffset: -1n,
        partitionMaxBytes: maxBytesPerPartition,
      });
    }
    const connection = await this.options.cluster.connectionTo(nodeId);
    this.options.emitter.emit(consumerEvents.FETCH_START, { nodeId });
    const response = connection.request(
      Apis.Fetch,
      {
        replicaId: -1,
        maxWaitMs,
        minBytes,
        maxBytes: requestMaxBytes,
        isolationLevel: readUncommitted ? 0 : 1,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })),
        forgottenTopicsData: [],
        rackId,
      },
      { extraTimeout: maxWaitMs },
    );
    // A prefetch abandoned by a rebalance or a stop is never awaited: its failure must not go unhandled.
    response.catch(() => undefined);
    return { response, requested, started: Date.now() };
  }

  private collectBatches(
    session: Session,
    response: FetchResponse,
    requested: Map<string, bigint>,
  ): { batches: PendingBatch[]; staleMetadata: boolean } {
    const { pauses, seeks } = this.options;
    const readCommitted = !this.options.fetch.readUncommitted;
    if (response.errorCode !== undefined && response.errorCode !== ErrorCode.NONE)
      throw new KafkaJSProtocolError(response.errorCode, "fetch");
    const batches: PendingBatch[] = [];
    let staleMetadata = false;
    for (const { topic, partitions } of response.responses) {
      for (const data of partitions) {
        const key = partitionKey(topic, data.partitionIndex);
        const state = session.partitions.get(key);
        const fetchOffset = requested.get(key);
        if (!state || fetchOffset === undefined || state.resolved !== fetchOffset) continue;
        if (data.errorCode !== ErrorCode.NONE) {
          if (data.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
            this.logger.warn("Offset out of range, resetting to default offset", {
              topic,
              partition: data.partitionIndex,
              offset: String(fetchOffset),
            });
            state.resolved = null;
            continue;
          }
          if (STALE_METADATA_ERRORS.has(data.errorCode)) {
            staleMetadata = true;
            continue;
          }
          throw new KafkaJSProtocolError(data.errorCode, `fetching ${topic}-${data.partitionIndex}`);
        }
        if (pauses.isPaused(topic, data.partitionIndex) || seeks.has(key)) continue;
        const records = Array.isArray(data.records) ? Buffer.concat(data.records) : data.records;
        const decoded = decodeFetchedRecords(records, fetchOffset, data.abortedTransactions, readCommitted);
        const batch = new Batch(topic, data.partitionIndex, fetchOffset, data.highWatermark, decoded);
        if (batch.isEmpty() && !batch.isEmptyDueToFiltering()) continue;
        batches.push({ state, batch });
      }
    }
    return { batches, staleMetadata };
  }

  /** Positions still unknown: ListOffsets to the earliest or latest, per fromBeginning (or the seek asked for). */
  private async resolvePositions(nodeId: number, states: PartitionState[]): Promise<void> {
    const unknown = states.filter((s) => s.resolved === null);
    if (unknown.length === 0) return;
    const byTopic = new Map<string, { partitionIndex: number; timestamp: bigint }[]>();
    for (const state of unknown) {
      let list = byTopic.get(state.topic);
      if (!list) byTopic.set(state.topic, (list = []));
      list.push({ partitionIndex: state.partition, timestamp: state.reset });
    }
    const connection = await this.options.cluster.connectionTo(nodeId);
    const response = await connection.request(Apis.ListOffsets, {
      replicaId: -1,
      isolationLevel: this.options.fetch.readUncommitted ? 0 : 1,
      topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
    });
    for (const topic of response.topics) {
      for (const partition of topic.partitions) {
        if (partition.errorCode !== ErrorCode.NONE)
          throw new KafkaJSProtocolError(
            partition.errorCode,
            `listing offsets of ${topic.name}-${partition.partitionIndex}`,
          );
        const state = unknown.find((s) => s.topic === topic.name && s.partition === partition.partitionIndex);
        if (!state || partition.offset === undefined) continue;
        // As in kafkajs, a start position of our own choosing counts as committed: only progress is committed.
        state.resolved = partition.offset;
        if (state.committed === null) state.committed = partition.offset;
      }
    }
  }

  /** Seeks land before the next fetch; with autoCommit, the new position is committed at once (kafkajs). */
  private async applySeeks(session: Session, states: PartitionState[]): Promise<void> {
    const { seeks } = this.options;
    if (seeks.size === 0) return;
    const toCommit: CommittedOffset[] = [];
    for (const state of states) {
      const seek = seeks.get(state.key);
      if (!seek) continue;
      seeks.delete(state.key);
      this.logger.debug("Seek offset", {
        groupId: this.options.groupId,
        topic: state.topic,
        partition: state.partition,
        offset: String(seek.offset),
      });
      if (seek.offset < 0n) {
        state.resolved = null;
        state.reset = seek.offset === EARLIEST ? EARLIEST : -1n;
        continue;
      }
      state.resolved = seek.offset;
      if (this.options.run.autoCommit && this.options.offsets)
        toCommit.push({ topic: state.topic, partition: state.partition, offset: seek.offset });
    }
    if (toCommit.length > 0 && session.canCommit) {
      await this.options.offsets!.commit(session.identity, toCommit);
      for (const { topic, partition, offset } of toCommit)
        session.partitions.get(partitionKey(topic, partition))!.committed = offset;
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
      if (this.commitPolicyActive && this.commitDue(session)) this.commitInBackground(session);
    } else if (run.eachMessage) {
      await this.deliverMessages(session, round, state, batch, run.eachMessage);
    } else if (run.eachBatch) {
      await this.deliverBatch(session, state, batch, run.eachBatch);
    }
    emitter.emit(consumerEvents.END_BATCH_PROCESS, () => ({ ...eventPayload(), duration: Date.now() - started }));
    if (run.autoCommit) this.commitInBackground(session);
  }

  private async deliverMessages(
    session: Session,
    round: Signal,
    state: PartitionState,
    batch: Batch,
    eachMessage: EachMessageHandler,
  ): Promise<void> {
    const { pauses, seeks } = this.options;
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
        await this.autoCommitQuietly(session);
        throw error;
      }
      state.resolved = BigInt(message.offset) + 1n;
      if (this.commitPolicyActive && this.commitDue(session)) this.commitInBackground(session);
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
          else if (this.commitDue(session)) await this.autoCommit(session);
        },
        uncommittedOffsets: () => this.uncommittedOffsets(session),
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
      await this.autoCommitQuietly(session);
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

  // ------------------------------------------------------------------------------ commits

  private commitDue(session: Session): boolean {
    const { autoCommitInterval, autoCommitThreshold } = this.options.run;
    if (autoCommitInterval !== null && Date.now() >= this.lastCommit + autoCommitInterval) return true;
    if (autoCommitThreshold !== null) {
      let pending = 0n;
      for (const state of session.partitions.values()) {
        if (state.resolved !== null) pending += state.resolved - (state.committed ?? 0n);
      }
      return pending >= BigInt(autoCommitThreshold);
    }
    return false;
  }

  /** An auto-commit refused because the generation is over ends the session instead of failing. */
  private async autoCommit(session: Session): Promise<void> {
    try {
      await this.commitResolved(session);
    } catch (error) {
      // A standalone consumer has no generation to rejoin: its refused commit is a plain failure.
      if (!isRejoinError(error) || !this.options.group) throw error;
      this.endSession(session, error);
    }
  }

  /**
   * Auto-commits go out after each batch as in kafkajs, but the next fetch does not wait for them:
   * they only ever cover processed messages, and concurrent ones merge (see commitResolved). A
   * failure surfaces at the next fetch, where the retry policy applies; stopping and rebalancing
   * await the commits in flight.
   */
  private commitInBackground(session: Session): void {
    this.autoCommit(session).catch((error: unknown) => {
      this.logger.warn("Auto-commit failed", { groupId: this.options.groupId, error: (error as Error).message });
      this.commitFailure ??= asError(error);
    });
  }

  private async autoCommitQuietly(session: Session): Promise<void> {
    if (!this.options.run.autoCommit) return;
    try {
      await this.autoCommit(session);
    } catch (error) {
      this.logger.debug("Commit after a handler error failed", {
        groupId: this.options.groupId,
        error: (error as Error).message,
      });
    }
  }

  /** Concurrent callers share commits: one in flight, at most one more queued behind it for all of them. */
  private commitResolved(session: Session): Promise<void> {
    if (this.commitInFlight) {
      this.commitFollowUp ??= this.commitInFlight
        .catch(() => undefined)
        .then(() => {
          this.commitFollowUp = undefined;
          return this.commitResolved(session);
        });
      return this.commitFollowUp;
    }
    const commit = this.commitNow(session).finally(() => {
      this.commitInFlight = undefined;
    });
    this.commitInFlight = commit;
    return commit;
  }

  private async commitNow(session: Session): Promise<void> {
    this.lastCommit = Date.now();
    const { offsets } = this.options;
    if (!offsets || !session.canCommit) return;
    const pending: CommittedOffset[] = [];
    for (const state of session.partitions.values()) {
      if (state.resolved !== null && state.resolved !== state.committed)
        pending.push({ topic: state.topic, partition: state.partition, offset: state.resolved });
    }
    if (pending.length === 0) return;
    await offsets.commit(session.identity, pending);
    for (const { topic, partition, offset } of pending)
      session.partitions.get(partitionKey(topic, partition))!.committed = offset;
  }

  /** consumer.commitOffsets and commitOffsetsIfNecessary(offsets): exactly these offsets. */
  async commitGiven(session: Session | undefined, given: Offsets): Promise<void> {
    const { offsets } = this.options;
    if (!offsets) throw new KafkaJSNonRetriableError("Cannot commit offsets without a groupId");
    const target = session ?? this.session;
    if (!target || target.ended)
      throw new KafkaJSProtocolError(ErrorCode.REBALANCE_IN_PROGRESS, "the consumer is rejoining its group");
    const list: CommittedOffset[] = given.topics.flatMap(({ topic, partitions }) =>
      partitions.map(({ partition, offset }) => ({ topic, partition, offset: BigInt(offset) })),
    );
    try {
      await offsets.commit(target.identity, list);
    } catch (error) {
      if (isRejoinError(error)) this.endSession(target, error);
      throw error;
    }
    for (const { topic, partition, offset } of list) {
      const state = target.partitions.get(partitionKey(topic, partition));
      if (state) state.committed = offset;
    }
  }

  uncommittedOffsets(session: Session | undefined = this.session): OffsetsByTopicPartition {
    const byTopic = new Map<string, TopicOffsets>();
    for (const state of session?.partitions.values() ?? []) {
      if (state.resolved === null || state.resolved === state.committed || state.resolved < 0n) continue;
      let entry = byTopic.get(state.topic);
      if (!entry) byTopic.set(state.topic, (entry = { topic: state.topic, partitions: [] }));
      entry.partitions.push({ partition: state.partition, offset: String(state.resolved) });
    }
    return { topics: [...byTopic.values()] };
  }
}

/** The request's answer, or undefined if the signal fires first (the answer is then ignored). */
function untilFired<T>(request: Promise<T>, signal: Signal): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    const off = signal.onFire(() => resolve(undefined));
    request.then(
      (value) => {
        off();
        resolve(value);
      },
      (error: unknown) => {
        off();
        reject(error);
      },
    );
  });
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
