// The fetcher (kafkajs's fetch manager): rounds of fetch loops, one loop per leader broker, each
// finding its partitions' start positions (ListOffsets, seeks), fetching, and handing the batches
// to the runner to deliver. A round ends when its signal fires (rebalance, stop, an error, new
// leaders); the runner then starts the next.
//
// Ordering: a partition belongs to one fetch loop, and a loop fetches again only once every batch
// of its previous fetch is processed, so each partition's messages reach the app strictly in
// order, whatever partitionsConsumedConcurrently allows across partitions. (A prefetch may be on
// the wire meanwhile, but its answer is only used for partitions still where it was asked from.)
//
// Ownership: the fetcher owns the current round's signal, the wake-up signal for idle loops and
// each loop's fetch in flight. It sets partitions' start positions (see session.ts); pause and seek
// requests belong to the consumer, the session to the runner, commits to the offset manager.
import { Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { FetchPartition, FetchResponse } from "../../protocol/messages/index.ts";
import type { Cluster } from "../cluster.ts";
import { KafkaJSProtocolError } from "../errors.ts";
import { consumerEvents } from "../events.ts";
import type { InstrumentationEmitter } from "../instrumentation.ts";
import type { Logger } from "../logger.ts";
import { Batch } from "./batch.ts";
import { decodeFetchedRecords, fetchedNextOffset } from "./fetched-records.ts";
import type { CommittedOffset } from "./group.ts";
import type { OffsetManager } from "./offset-manager.ts";
import { EARLIEST, type PartitionState, type PauseState, partitionKey } from "./partition-state.ts";
import { knowsPartition, type Session } from "./session.ts";
import { Signal, untilFired, waitFor } from "./signals.ts";
import type { ConsumerEvents } from "./types.ts";

/** Partition errors that mean our metadata is out of date: refresh and regroup by leader. */
export const STALE_METADATA_ERRORS = new Set<number>([
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

export interface FetchOptions {
  maxWaitTimeInMs: number;
  minBytes: number;
  maxBytes: number;
  maxBytesPerPartition: number;
  readUncommitted: boolean;
  rackId: string;
  metadataMaxAge: number;
}

/** A fetched batch, to be delivered, and the partition it moves on. */
export interface PendingBatch {
  state: PartitionState;
  batch: Batch;
}

/** One partition's part of a fetch response, to be decoded. */
interface FetchedPartition {
  state: PartitionState;
  data: FetchResponse["responses"][number]["partitions"][number];
  records: Buffer | null;
  fetchOffset: bigint;
}

interface InFlightFetch {
  response: Promise<FetchResponse>;
  /** The offset each partition was fetched from: its answer only counts if the position is still that. */
  requested: Map<string, bigint>;
  started: number;
}

export interface FetcherOptions {
  cluster: Cluster;
  logger: Logger;
  emitter: InstrumentationEmitter<ConsumerEvents>;
  groupId: string;
  pauses: PauseState;
  seeks: Map<string, { topic: string; partition: number; offset: bigint }>;
  fetch: FetchOptions;
  offsetManager: OffsetManager;
  /** Prefetching pays off when processed batches end where they were predicted to. */
  prefetching: boolean;
  isRunning(): boolean;
  /** The runner's: delivers a fetch's batches, resolving once every one is processed. */
  process(session: Session, round: Signal, batches: PendingBatch[]): Promise<void>;
}

/**
 * The list started at a different element each time: a broker fills a response in request order,
 * so a fixed order would let the first busy partitions take every response.
 */
function rotate<T>(items: T[], by: number): T[] {
  if (items.length < 2) return items;
  const start = by % items.length;
  return start === 0 ? items : [...items.slice(start), ...items.slice(0, start)];
}

export class Fetcher {
  /** Fired to make every fetch loop of the current round stop (rebalance, stop, error, new leaders). */
  private round: Signal | undefined;
  /** Starts one more fetch loop in the current round (partitions a cooperative rebalance adds). */
  private startLoop: ((session: Session, nodeId: number, states: PartitionState[]) => void) | undefined;
  private wakeSignal = new Signal();

  constructor(private readonly options: FetcherOptions) {}

  /** Ends the current round: its loops stop and nothing more of it reaches the app. */
  endRound(): void {
    this.round?.fire();
  }

  /** Wakes fetch loops idling with nothing to fetch (after resume or seek). */
  wake(): void {
    const signal = this.wakeSignal;
    this.wakeSignal = new Signal();
    signal.fire();
  }

  /**
   * One round: a fetch loop per leader of the session's partitions (and any added meanwhile, see
   * addPartitions), until the round ends or a loop fails.
   */
  async consumeRound(session: Session): Promise<void> {
    const round = new Signal();
    this.round = round;
    if (session.ended || !this.options.isRunning()) round.fire();
    const loops: Promise<void>[] = [];
    let firstError: unknown;
    const startLoop = (loopSession: Session, nodeId: number, states: PartitionState[]): void => {
      if (loopSession !== session || round.fired) return;
      loops.push(
        this.fetchLoop(session, round, nodeId, states).catch((error: unknown) => {
          firstError ??= error;
          round.fire();
        }),
      );
    };
    this.startLoop = startLoop;
    try {
      // The snapshot is taken now, before anything is added: added partitions get loops of their own.
      const byLeader = await this.partitionsByLeader([...session.partitions.values()]);
      for (const [nodeId, states] of byLeader) startLoop(session, nodeId, states);
      if (loops.length === 0) await this.idle(round);
      for (let awaited = 0; awaited < loops.length; ) {
        const pending = loops.slice(awaited);
        awaited = loops.length;
        await Promise.all(pending);
      }
      if (firstError !== undefined) throw firstError;
    } finally {
      round.fire();
      if (this.round === round) this.round = undefined;
      if (this.startLoop === startLoop) this.startLoop = undefined;
    }
  }

  /**
   * Partitions a cooperative rebalance added to the session, positions loaded: fetched by loops of
   * their own in the current round, so the partitions already being consumed go on undisturbed.
   * Between rounds there is nothing to do: the next round takes every partition of the session.
   */
  async addPartitions(session: Session, states: PartitionState[]): Promise<void> {
    const startLoop = this.startLoop;
    if (!startLoop) return;
    const byLeader = await this.partitionsByLeader(states);
    if (this.startLoop !== startLoop) return;
    for (const [nodeId, list] of byLeader) startLoop(session, nodeId, list);
  }

  private async partitionsByLeader(states: PartitionState[]): Promise<Map<number, PartitionState[]>> {
    const { cluster } = this.options;
    if (states.some(({ topic, partition }) => !knowsPartition(cluster, topic, partition)))
      await cluster.refreshMetadata();
    const byLeader = new Map<number, PartitionState[]>();
    for (const state of states) {
      if (!knowsPartition(cluster, state.topic, state.partition)) {
        this.options.logger.warn("No metadata for an assigned partition", {
          topic: state.topic,
          partition: state.partition,
        });
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
   * batches, if some partition has more to read, the next fetch is already on its way, asked from
   * where those batches end and without waiting at the broker (max wait 0), so a broker with
   * nothing new answers at once instead of holding the connection. A partition whose position
   * turns out different once its batch is processed (pause, seek, a handler that stopped early)
   * has that prefetched data dropped and is fetched again from its real position.
   */
  private async fetchLoop(session: Session, round: Signal, nodeId: number, states: PartitionState[]): Promise<void> {
    const { maxWaitTimeInMs } = this.options.fetch;
    let prefetched: InFlightFetch | undefined;
    let requests = 0;
    while (!round.fired) {
      // Every partition of the loop taken away by a cooperative rebalance: the loop has no more work.
      if (states.every((state) => state.revoked)) return;
      this.options.offsetManager.throwIfCommitFailed();
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
      const { fetched, staleMetadata } = this.partitionsToDecode(session, response, fetch.requested);
      // The next fetch goes out before this one is decoded (the batch headers tell where each
      // partition's data ends), so the broker prepares it while this process decodes. Not when
      // every partition is read up to its high watermark: that fetch (max wait 0) would find
      // nothing, and its round trip would only delay this one's delivery; the long poll after
      // it finds whatever came meanwhile.
      const ends = new Map<string, bigint>();
      let behind = false;
      for (const { state, data, records, fetchOffset } of fetched) {
        const end = fetchedNextOffset(records, fetchOffset);
        if (end !== null) ends.set(state.key, BigInt(end));
        if ((ends.get(state.key) ?? fetchOffset) < data.highWatermark) behind = true;
      }
      if (behind && ends.size > 0 && this.options.prefetching && !staleMetadata && !round.fired) {
        const positions = this.fetchable(states).map((state): [PartitionState, bigint] => [
          state,
          ends.get(state.key) ?? state.resolved!,
        ]);
        prefetched = await this.sendFetch(nodeId, rotate(positions, requests++), 0);
      }
      const batches = this.decode(fetched);
      this.options.emitter.emit(consumerEvents.FETCH, {
        numberOfBatches: batches.length,
        duration: Date.now() - fetch.started,
        nodeId,
      });
      await this.options.process(session, round, batches);
      if (staleMetadata) {
        await this.options.cluster.refreshMetadata();
        round.fire();
      }
    }
  }

  private fetchable(states: PartitionState[]): PartitionState[] {
    const { pauses, seeks } = this.options;
    return states.filter(
      (s) => s.resolved !== null && !s.revoked && !pauses.isPaused(s.topic, s.partition) && !seeks.has(s.key),
    );
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
    const topics = new Map<string, FetchPartition[]>();
    for (const [state, fetchOffset] of positions) {
      requested.set(state.key, fetchOffset);
      let list = topics.get(state.topic);
      if (!list) topics.set(state.topic, (list = []));
      list.push({
        partition: state.partition,
        currentLeaderEpoch: -1,
        fetchOffset,
        lastFetchedEpoch: -1,
        logStartOffset: -1n,
        partitionMaxBytes: maxBytesPerPartition,
      });
    }
    const connection = await this.options.cluster.connectionTo(nodeId);
    this.options.emitter.emit(consumerEvents.FETCH_START, { nodeId });
    const response = connection.request(
      Apis.Fetch,
      {
        clusterId: null,
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

  /** The partitions of a response whose records are to be decoded; partition errors handled. */
  private partitionsToDecode(
    session: Session,
    response: FetchResponse,
    requested: Map<string, bigint>,
  ): { fetched: FetchedPartition[]; staleMetadata: boolean } {
    const { pauses, seeks, logger } = this.options;
    if (response.errorCode !== undefined && response.errorCode !== ErrorCode.NONE)
      throw new KafkaJSProtocolError(response.errorCode, "fetch");
    const fetched: FetchedPartition[] = [];
    let staleMetadata = false;
    for (const { topic, partitions } of response.responses) {
      for (const data of partitions) {
        const key = partitionKey(topic, data.partitionIndex);
        const state = session.partitions.get(key);
        const fetchOffset = requested.get(key);
        if (!state || state.revoked || fetchOffset === undefined || state.resolved !== fetchOffset) continue;
        if (data.errorCode !== ErrorCode.NONE) {
          if (data.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
            logger.warn("Offset out of range, resetting to default offset", {
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
        fetched.push({ state, data, records, fetchOffset });
      }
    }
    return { fetched, staleMetadata };
  }

  private decode(fetched: FetchedPartition[]): PendingBatch[] {
    const readCommitted = !this.options.fetch.readUncommitted;
    const batches: PendingBatch[] = [];
    for (const { state, data, records, fetchOffset } of fetched) {
      const decoded = decodeFetchedRecords(records, fetchOffset, data.abortedTransactions, readCommitted);
      const batch = new Batch(state.topic, state.partition, fetchOffset, data.highWatermark, decoded);
      if (batch.isEmpty() && !batch.isEmptyDueToFiltering()) continue;
      batches.push({ state, batch });
    }
    return batches;
  }

  /** Positions still unknown: ListOffsets to the earliest or latest, per fromBeginning (or the seek asked for). */
  private async resolvePositions(nodeId: number, states: PartitionState[]): Promise<void> {
    const unknown = states.filter((s) => s.resolved === null && !s.revoked);
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

  /** Seeks land before the next fetch; the offset manager commits the new positions (kafkajs, with autoCommit). */
  private async applySeeks(session: Session, states: PartitionState[]): Promise<void> {
    const { seeks, logger } = this.options;
    if (seeks.size === 0) return;
    const positions: CommittedOffset[] = [];
    for (const state of states) {
      const seek = seeks.get(state.key);
      if (!seek) continue;
      seeks.delete(state.key);
      logger.debug("Seek offset", {
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
      positions.push({ topic: state.topic, partition: state.partition, offset: seek.offset });
    }
    if (positions.length > 0) await this.options.offsetManager.commitSeeks(session, positions);
  }
}
