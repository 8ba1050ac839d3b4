// One follower's fetch loop towards one leader broker (Kafka's ReplicaFetcherThread over
// AbstractFetcherThread), for every partition this broker follows there. Each partition is either
// truncating or fetching:
// - truncating (on start and on every new leader epoch): ask the leader, with OffsetForLeaderEpoch,
//   where this log's latest epoch ends in the leader's log, and cut this log there (at the end of
//   the largest epoch both logs share), so that replicas never diverge. A log without epochs is cut
//   at its high watermark. When the leader names an epoch this log does not know, cut to the end of
//   the largest smaller epoch and ask again.
// - fetching: long-poll Fetch (replica id set) from the log end, append the batches as they come
//   (offsets and epochs included), and take the leader's high watermark (bounded by this log's end).
// OFFSET_OUT_OF_RANGE is handled as Kafka's follower does (ListOffsets: cut to the leader's end if
// it is behind this log, else start over at the leader's start if this log ends before it); other
// errors hold the partition back for replica.fetch.backoff.ms, and a fenced epoch waits for new
// metadata; a partition whose log went offline is dropped. The loop never sleeps on a timer while
// it has work: the leader holds the fetch.
//
// Ownership: a ReplicaFetcher owns its endpoint (connection) and the fetch state of its partitions;
// the replica manager adds and removes partitions. Each partition's state object is replaced, never
// mutated, so an answer that comes back after the partition was removed, re-added or truncated is
// recognised (its state is no longer the one the request was built from) and ignored.
import { ErrorCode, errorCodeName } from "../../protocol/errors.ts";
import type { FetchRequest, FetchResponsePartitionData } from "../../protocol/messages/index.ts";
import { UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET as UNDEFINED_OFFSET } from "../../storage/leader-epoch-checkpoint.ts";
import type { Logger } from "../logger.ts";
import type { LeaderEndpoint } from "./leader-endpoint.ts";
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

interface PartitionFetchState {
  readonly topic: string;
  readonly partition: number;
  readonly fetchOffset: bigint;
  readonly currentLeaderEpoch: number;
  readonly status: "truncating" | "fetching";
  /** Date.now() before which the partition waits (after an error); 0 if it does not. */
  readonly delayedUntil: number;
}

const LATEST_TIMESTAMP = -1n;
const EARLIEST_TIMESTAMP = -2n;

const keyOf = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/**
 * Where to cut this log given the leader's answer for its latest epoch (Kafka's
 * getOffsetTruncationState): `completed` false when the leader named an epoch this log lacks, so
 * another round must follow with this log's (then smaller) latest epoch.
 */
export function truncationOffset(
  leader: { leaderEpoch: number; endOffset: bigint },
  local: { endOffsetForEpoch(epoch: number): { epoch: number; endOffset: bigint }; logEndOffset: bigint },
  fetchOffset: bigint,
): { offset: bigint; completed: boolean } {
  const min = (a: bigint, b: bigint) => (a < b ? a : b);
  if (leader.endOffset === UNDEFINED_OFFSET) return { offset: fetchOffset, completed: true };
  if (leader.leaderEpoch === UNDEFINED_EPOCH)
    return { offset: min(leader.endOffset, local.logEndOffset), completed: true };
  const mine = local.endOffsetForEpoch(leader.leaderEpoch);
  if (mine.endOffset === UNDEFINED_OFFSET)
    return { offset: min(leader.endOffset, local.logEndOffset), completed: true };
  if (mine.epoch !== leader.leaderEpoch) return { offset: min(mine.endOffset, local.logEndOffset), completed: false };
  return { offset: min(min(mine.endOffset, leader.endOffset), local.logEndOffset), completed: true };
}

function recordBytes(records: Buffer | Buffer[] | null): Buffer {
  if (records === null) return Buffer.alloc(0);
  return Array.isArray(records) ? Buffer.concat(records) : records;
}

export class ReplicaFetcher {
  readonly #states = new Map<string, PartitionFetchState>();
  #running = false;
  #loop: Promise<void> | null = null;
  #wake: (() => void) | null = null;

  constructor(
    private readonly localBrokerId: number,
    readonly endpoint: LeaderEndpoint,
    private readonly replicas: LocalReplicas,
    private readonly settings: FetcherSettings,
    private readonly log: Logger,
  ) {}

  get partitionCount(): number {
    return this.#states.size;
  }

  /** The partition's fetch position and phase, for tests and diagnostics. */
  fetchState(topic: string, partition: number): { fetchOffset: bigint; status: "truncating" | "fetching" } | undefined {
    return this.#states.get(keyOf(topic, partition));
  }

  /**
   * Starts fetching partitions; each truncates first. A partition already here at the same leader
   * epoch keeps its position.
   */
  addPartitions(partitions: readonly InitialFetchState[]): void {
    for (const p of partitions) {
      const key = keyOf(p.topic, p.partition);
      if (this.#states.get(key)?.currentLeaderEpoch === p.currentLeaderEpoch) continue;
      this.#states.set(key, {
        topic: p.topic,
        partition: p.partition,
        fetchOffset: p.initOffset,
        currentLeaderEpoch: p.currentLeaderEpoch,
        status: "truncating",
        delayedUntil: 0,
      });
    }
    this.#signal();
  }

  removePartitions(partitions: readonly { topic: string; partition: number }[]): void {
    for (const p of partitions) this.#states.delete(keyOf(p.topic, p.partition));
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
        await this.#maybeTruncate();
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

  #ready(status: PartitionFetchState["status"], now: number): PartitionFetchState[] {
    return [...this.#states.values()].filter(
      (s) => s.status === status && s.delayedUntil <= now && !this.#droppedAsOffline(s),
    );
  }

  /**
   * A replica whose log an I/O failure took offline is fetched no more (Kafka's failed partitions):
   * the broker has said why once, and it answers KAFKA_STORAGE_ERROR until it restarts.
   */
  #droppedAsOffline(state: PartitionFetchState): boolean {
    if (!this.replicas.replica(state.topic, state.partition)?.partition.log.isOffline) return false;
    this.#states.delete(keyOf(state.topic, state.partition));
    return true;
  }

  async #maybeTruncate(): Promise<void> {
    const truncating = this.#ready("truncating", Date.now());
    if (truncating.length === 0) return;
    const asked: { state: PartitionFetchState; latestEpoch: number }[] = [];
    for (const state of truncating) {
      const replica = this.replicas.replica(state.topic, state.partition);
      if (!replica) continue;
      const latestEpoch = replica.partition.log.latestEpoch;
      if (latestEpoch !== UNDEFINED_EPOCH) asked.push({ state, latestEpoch });
      else this.#truncateTo(state, replica, state.fetchOffset, true);
    }
    if (asked.length === 0) return;

    const byTopic = new Map<string, { partition: number; currentLeaderEpoch: number; leaderEpoch: number }[]>();
    for (const { state, latestEpoch } of asked) {
      const list = byTopic.get(state.topic) ?? [];
      list.push({ partition: state.partition, currentLeaderEpoch: state.currentLeaderEpoch, leaderEpoch: latestEpoch });
      byTopic.set(state.topic, list);
    }
    let response: Awaited<ReturnType<LeaderEndpoint["offsetsForLeaderEpoch"]>>;
    try {
      response = await this.endpoint.offsetsForLeaderEpoch({
        replicaId: this.localBrokerId,
        topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
      });
    } catch (error) {
      this.#delay(asked.map((a) => a.state));
      throw error;
    }
    const answered = new Set<PartitionFetchState>();
    for (const topic of response.topics) {
      for (const result of topic.partitions) {
        const sent = asked.find((a) => a.state.topic === topic.topic && a.state.partition === result.partition)?.state;
        if (!sent || this.#states.get(keyOf(sent.topic, sent.partition)) !== sent) continue;
        answered.add(sent);
        const replica = this.replicas.replica(sent.topic, sent.partition);
        if (!replica) continue;
        if (result.errorCode === ErrorCode.NONE) {
          const leader = {
            leaderEpoch: result.leaderEpoch ?? UNDEFINED_EPOCH,
            endOffset: result.endOffset ?? UNDEFINED_OFFSET,
          };
          const cut = truncationOffset(leader, replica.partition.log, sent.fetchOffset);
          this.log.info("truncating follower log", {
            topic: sent.topic,
            partition: sent.partition,
            leaderEpoch: leader.leaderEpoch,
            leaderEndOffset: String(leader.endOffset),
            offset: String(cut.offset),
            completed: cut.completed,
          });
          this.#truncateTo(sent, replica, cut.offset, cut.completed);
        } else if (result.errorCode === ErrorCode.FENCED_LEADER_EPOCH) {
          this.#onFenced(sent);
        } else {
          this.log.debug("OffsetForLeaderEpoch refused; retrying", {
            topic: sent.topic,
            partition: sent.partition,
            error: errorCodeName(result.errorCode),
          });
          this.#delay([sent]);
        }
      }
    }
    this.#delay(
      asked.map((a) => a.state).filter((s) => !answered.has(s) && this.#states.get(keyOf(s.topic, s.partition)) === s),
    );
  }

  #truncateTo(state: PartitionFetchState, replica: PartitionState, offset: bigint, completed: boolean): void {
    const log = replica.partition.log;
    if (offset < log.highWatermark)
      this.log.warn("truncating below the high watermark", {
        topic: state.topic,
        partition: state.partition,
        offset: String(offset),
        highWatermark: String(log.highWatermark),
      });
    replica.partition.truncateTo(offset);
    // A cut inside a batch removes the whole batch: fetching resumes where the log now ends.
    const fetchOffset = log.logEndOffset < offset ? log.logEndOffset : offset;
    this.#replace(state, { fetchOffset, status: completed ? "fetching" : "truncating", delayedUntil: 0 });
  }

  async #maybeFetch(): Promise<void> {
    const now = Date.now();
    const fetching = this.#ready("fetching", now).filter((s) => this.replicas.replica(s.topic, s.partition));
    if (fetching.length === 0) {
      await this.#idle(this.#untilNextReady(now));
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
      this.#delay(fetching);
      throw error;
    }
    if (response.errorCode !== undefined && response.errorCode !== ErrorCode.NONE) {
      this.#delay(fetching);
      throw new Error(`fetch refused: ${errorCodeName(response.errorCode)}`);
    }
    for (const topic of response.responses) {
      for (const data of topic.partitions) {
        const sent = fetching.find((s) => s.topic === topic.topic && s.partition === data.partitionIndex);
        if (sent && this.#states.get(keyOf(sent.topic, sent.partition)) === sent)
          await this.#processPartition(sent, data);
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
        await this.#handleOutOfRange(state, replica);
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
        this.#delay([state]);
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
      this.#replace(state, { status: "truncating", fetchOffset: log.highWatermark, delayedUntil: 0 });
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
      this.#delay([state]);
      return;
    }
    replica.updateFollowerHighWatermark(data.highWatermark);
    try {
      if (data.logStartOffset !== undefined) replica.updateFollowerLogStartOffset(data.logStartOffset);
    } catch (error) {
      if (this.#droppedAsOffline(state)) return;
      throw error;
    }
    if (log.logEndOffset !== state.fetchOffset) this.#replace(state, { fetchOffset: log.logEndOffset });
  }

  /** Kafka's fetchOffsetAndTruncate: where to fetch from once the leader says the offset is out of its range. */
  async #handleOutOfRange(state: PartitionFetchState, replica: PartitionState): Promise<void> {
    const log = replica.partition.log;
    const replicaEnd = log.logEndOffset;
    const leaderEnd = await this.#leaderOffset(state, LATEST_TIMESTAMP);
    if (leaderEnd === null || this.#states.get(keyOf(state.topic, state.partition)) !== state) return;
    if (leaderEnd < replicaEnd) {
      this.log.warn("leader ends before this replica: truncating to its end", {
        topic: state.topic,
        partition: state.partition,
        from: String(replicaEnd),
        to: String(leaderEnd),
      });
      this.#truncateTo(state, replica, leaderEnd, true);
      return;
    }
    const leaderStart = await this.#leaderOffset(state, EARLIEST_TIMESTAMP);
    if (leaderStart === null || this.#states.get(keyOf(state.topic, state.partition)) !== state) return;
    // Fetch on from this log's end, unless the leader's log starts after it: then start over there.
    let fetchOffset = replicaEnd;
    if (leaderStart > replicaEnd) {
      this.log.warn("leader starts after this replica ends: starting over at its start", {
        topic: state.topic,
        partition: state.partition,
        logEndOffset: String(replicaEnd),
        leaderStartOffset: String(leaderStart),
      });
      replica.partition.truncateFullyAndStartAt(leaderStart);
      fetchOffset = leaderStart;
    }
    this.#replace(state, { fetchOffset, status: "fetching" });
  }

  /** The leader's offset for `timestamp` (latest: its log end, for a replica), or null after delaying the partition. */
  async #leaderOffset(state: PartitionFetchState, timestamp: bigint): Promise<bigint | null> {
    try {
      const response = await this.endpoint.listOffsets({
        replicaId: this.localBrokerId,
        isolationLevel: 0,
        topics: [{ name: state.topic, partitions: [{ partitionIndex: state.partition, timestamp }] }],
      });
      const answer = response.topics.find((t) => t.name === state.topic)?.partitions[0];
      if (answer && answer.errorCode === ErrorCode.NONE && answer.offset !== undefined) return answer.offset;
      this.log.debug("ListOffsets refused; retrying", {
        topic: state.topic,
        partition: state.partition,
        error: answer ? errorCodeName(answer.errorCode) : "no answer",
      });
    } catch (error) {
      this.log.debug("ListOffsets failed; retrying", {
        topic: state.topic,
        partition: state.partition,
        error: error instanceof Error ? error.message : String(error),
      });
    }
    this.#delay([state]);
    return null;
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
    this.#states.delete(keyOf(state.topic, state.partition));
  }

  #replace(state: PartitionFetchState, change: Partial<PartitionFetchState>): void {
    const key = keyOf(state.topic, state.partition);
    if (this.#states.get(key) === state) this.#states.set(key, { ...state, ...change });
  }

  #delay(states: readonly PartitionFetchState[]): void {
    const until = Date.now() + this.settings.backoffMs;
    for (const state of states) this.#replace(state, { delayedUntil: until });
  }

  #untilNextReady(now: number): number {
    let wait = this.settings.backoffMs;
    for (const state of this.#states.values())
      if (state.delayedUntil > now) wait = Math.min(wait, state.delayedUntil - now);
    return wait;
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
