// One follower's fetch loop towards one leader broker (Kafka's ReplicaFetcherThread over
// AbstractFetcherThread), for every partition this broker follows there. Each partition is either
// truncating or fetching (partition-fetch-state.ts):
// - truncating (on start and on every new leader epoch): cut this log where it stops agreeing with
//   the leader's, so that replicas never diverge (offset-truncation.ts, OffsetForLeaderEpoch).
// - fetching: long-poll Fetch (replica id set) from the log end, append the batches as they come
//   (offsets and epochs included), and take the leader's high watermark (bounded by this log's end).
// OFFSET_OUT_OF_RANGE is settled by ListOffsets and a cut (offset-truncation.ts too); other errors
// hold the partition back for replica.fetch.backoff.ms, and a fenced epoch waits for new metadata;
// a partition whose log went offline is dropped. The loop never sleeps on a timer while it has
// work: the leader holds the fetch.
//
// Ownership: a ReplicaFetcher owns its endpoint (connection), the fetch states of its partitions
// and the OffsetTruncation that moves them; only its loop works on them, one step at a time. The
// replica manager adds and removes partitions. A step that awaited the leader applies its answer
// only if the partition's state is still the one the request was built from, so an answer that
// comes back after the partition was removed, re-added or truncated is ignored.
import { ErrorCode, errorCodeName } from "../../protocol/errors.ts";
import type { FetchRequest, FetchResponsePartitionData } from "../../protocol/messages/index.ts";
import { UNDEFINED_EPOCH } from "../../storage/leader-epoch-checkpoint.ts";
import type { Logger } from "../logger.ts";
import type { LeaderEndpoint } from "./leader-endpoint.ts";
import { OffsetTruncation } from "./offset-truncation.ts";
import { type FetchStatus, type PartitionFetchState, PartitionFetchStates } from "./partition-fetch-state.ts";
import type { PartitionState } from "./partition-state.ts";

export interface FetcherSettings {
  /** replica.fetch.wait.max.ms */
  maxWaitMs: number;
  /** replica.fetch.min.bytes */
  minBytes: number;
  /** replica.fetch.response.max.bytes */
  maxBytes: number;
  /** replica.fetch.max.bytes */
  partitionMaxBytes: number;
  /** replica.fetch.backoff.ms */
  backoffMs: number;
}

export const defaultFetcherSettings: FetcherSettings = {
  maxWaitMs: 500,
  minBytes: 1,
  maxBytes: 10 * 1024 * 1024,
  partitionMaxBytes: 1024 * 1024,
  backoffMs: 1000,
};

/** This broker's replicas, as the fetcher finds them. */
export interface LocalReplicas {
  replica(topic: string, partition: number): PartitionState | undefined;
}

export interface InitialFetchState {
  topic: string;
  partition: number;
  currentLeaderEpoch: number;
  /** Where fetching starts if truncation finds nothing to cut: the high watermark. */
  initOffset: bigint;
}

function recordBytes(records: Buffer | Buffer[] | null): Buffer {
  if (records === null) return Buffer.alloc(0);
  return Array.isArray(records) ? Buffer.concat(records) : records;
}

export class ReplicaFetcher {
  readonly #states: PartitionFetchStates;
  readonly #truncation: OffsetTruncation;
  #running = false;
  #loop: Promise<void> | null = null;
  #wake: (() => void) | null = null;

  constructor(
    private readonly localBrokerId: number,
    readonly endpoint: LeaderEndpoint,
    private readonly replicas: LocalReplicas,
    private readonly settings: FetcherSettings,
    private readonly log: Logger,
  ) {
    this.#states = new PartitionFetchStates(settings.backoffMs);
    this.#truncation = new OffsetTruncation(
      localBrokerId,
      endpoint,
      (topic, partition) => replicas.replica(topic, partition),
      this.#states,
      log,
      (state) => this.#onFenced(state),
    );
  }

  get partitionCount(): number {
    return this.#states.size;
  }

  /** The partition's fetch position and phase, for tests and diagnostics. */
  fetchState(topic: string, partition: number): { fetchOffset: bigint; status: FetchStatus } | undefined {
    return this.#states.get(topic, partition);
  }

  /**
   * Starts fetching partitions; each truncates first. A partition already here at the same leader
   * epoch keeps its position.
   */
  addPartitions(partitions: readonly InitialFetchState[]): void {
    for (const p of partitions) this.#states.add(p.topic, p.partition, p.currentLeaderEpoch, p.initOffset);
    this.#signal();
  }

  removePartitions(partitions: readonly { topic: string; partition: number }[]): void {
    for (const p of partitions) this.#states.remove(p.topic, p.partition);
    this.#signal();
  }

  start(): void {
    if (this.#loop) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  /** Stops the loop and closes the connection; resolves once the loop has ended. */
  async stop(): Promise<void> {
    this.#running = false;
    this.endpoint.close();
    this.#signal();
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (this.#running) {
      try {
        const truncating = this.#ready("truncating", Date.now());
        if (truncating.length > 0) await this.#truncation.truncate(truncating);
        if (this.#running) await this.#maybeFetch();
      } catch (error) {
        if (!this.#running) break;
        this.log.warn("replica fetcher failed; backing off", {
          leader: this.endpoint.brokerId,
          error: error instanceof Error ? error.message : String(error),
        });
        await this.#idle(this.settings.backoffMs);
      }
    }
  }

  #ready(status: FetchStatus, now: number): PartitionFetchState[] {
    return this.#states.ready(status, now).filter((s) => !this.#droppedAsOffline(s));
  }

  /**
   * A replica whose log an I/O failure took offline is fetched no more (Kafka's failed partitions):
   * the broker has said why once, and it answers KAFKA_STORAGE_ERROR until it restarts.
   */
  #droppedAsOffline(state: PartitionFetchState): boolean {
    if (!this.replicas.replica(state.topic, state.partition)?.partition.log.isOffline) return false;
    this.#states.remove(state.topic, state.partition);
    return true;
  }

  async #maybeFetch(): Promise<void> {
    const now = Date.now();
    const fetching = this.#ready("fetching", now).filter((s) => this.replicas.replica(s.topic, s.partition));
    if (fetching.length === 0) {
      await this.#idle(this.#states.msUntilNextReady(now));
      return;
    }
    const byTopic = new Map<string, FetchRequest["topics"][number]["partitions"]>();
    for (const state of fetching) {
      const replica = this.replicas.replica(state.topic, state.partition)!;
      const list = byTopic.get(state.topic) ?? [];
      list.push({
        partition: state.partition,
        currentLeaderEpoch: state.currentLeaderEpoch,
        fetchOffset: state.fetchOffset,
        lastFetchedEpoch: UNDEFINED_EPOCH,
        logStartOffset: replica.partition.logStartOffset,
        partitionMaxBytes: this.settings.partitionMaxBytes,
      });
      byTopic.set(state.topic, list);
    }
    let response: Awaited<ReturnType<LeaderEndpoint["fetch"]>>;
    try {
      response = await this.endpoint.fetch({
        clusterId: null,
        replicaId: this.localBrokerId,
        maxWaitMs: this.settings.maxWaitMs,
        minBytes: this.settings.minBytes,
        maxBytes: this.settings.maxBytes,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
        forgottenTopicsData: [],
        rackId: "",
      });
    } catch (error) {
      this.#states.delay(fetching);
      throw error;
    }
    if (response.errorCode !== undefined && response.errorCode !== ErrorCode.NONE) {
      this.#states.delay(fetching);
      throw new Error(`fetch refused: ${errorCodeName(response.errorCode)}`);
    }
    for (const topic of response.responses) {
      for (const data of topic.partitions) {
        const sent = fetching.find((s) => s.topic === topic.topic && s.partition === data.partitionIndex);
        if (sent && this.#states.isCurrent(sent)) await this.#processPartition(sent, data);
      }
    }
  }

  async #processPartition(state: PartitionFetchState, data: FetchResponsePartitionData): Promise<void> {
    const replica = this.replicas.replica(state.topic, state.partition);
    if (!replica) return;
    switch (data.errorCode) {
      case ErrorCode.NONE:
        this.#appendFetched(state, replica, data);
        return;
      case ErrorCode.OFFSET_OUT_OF_RANGE:
        await this.#truncation.handleOutOfRange(state, replica);
        return;
      case ErrorCode.FENCED_LEADER_EPOCH:
        this.#onFenced(state);
        return;
      default:
        this.log.debug("fetch of a partition refused; retrying", {
          topic: state.topic,
          partition: state.partition,
          leader: this.endpoint.brokerId,
          error: errorCodeName(data.errorCode),
        });
        this.#states.delay([state]);
    }
  }

  #appendFetched(state: PartitionFetchState, replica: PartitionState, data: FetchResponsePartitionData): void {
    const log = replica.partition.log;
    if (state.fetchOffset !== log.logEndOffset) {
      // Something else moved this log: find the common point with the leader again.
      this.log.warn("follower log end moved under its fetcher", {
        topic: state.topic,
        partition: state.partition,
        fetchOffset: String(state.fetchOffset),
        logEndOffset: String(log.logEndOffset),
      });
      this.#states.replace(state, { status: "truncating", fetchOffset: log.highWatermark, delayedUntil: 0 });
      return;
    }
    try {
      const records = recordBytes(data.records);
      if (records.length > 0) replica.partition.appendAsFollower(records);
    } catch (error) {
      if (this.#droppedAsOffline(state)) return;
      this.log.warn("fetched records could not be appended; retrying", {
        topic: state.topic,
        partition: state.partition,
        error: error instanceof Error ? error.message : String(error),
      });
      this.#states.delay([state]);
      return;
    }
    replica.updateFollowerHighWatermark(data.highWatermark);
    try {
      if (data.logStartOffset !== undefined) replica.updateFollowerLogStartOffset(data.logStartOffset);
    } catch (error) {
      if (this.#droppedAsOffline(state)) return;
      throw error;
    }
    if (log.logEndOffset !== state.fetchOffset) this.#states.replace(state, { fetchOffset: log.logEndOffset });
  }

  /**
   * The leader's epoch is newer than this partition's (it moved on): stop fetching it until new
   * metadata re-adds it. The replica manager re-adds it when the metadata brings the new epoch.
   */
  #onFenced(state: PartitionFetchState): void {
    this.log.info("partition fenced by a newer leader epoch; awaiting metadata", {
      topic: state.topic,
      partition: state.partition,
      currentLeaderEpoch: state.currentLeaderEpoch,
    });
    this.#states.remove(state.topic, state.partition);
  }

  /** Waits `ms`, or less if partitions are added or removed or the fetcher stops. */
  #idle(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wake = done;
    });
  }

  #signal(): void {
    this.#wake?.();
  }
}
