// The replicas this broker hosts, kept as the metadata says (Kafka's ReplicaManager.applyDelta):
// for every partition with a replica here, its log (opened or created), and its role — leader or
// follower at the leader and partition epochs of the image; followers are fetched from their
// leader by the replica fetchers; a replica the metadata no longer assigns here (its topic deleted
// or recreated, or a reassignment moved it to another broker) is stopped and its log deleted. Also runs the ISR expiration: every
// replica.lag.time.max.ms / 2 each partition it leads drops the followers that fell behind.
//
// Tells its leadership listeners, after each image, which partitions this broker became the leader
// of (or leads at a new leader epoch) and which it stopped leading (Kafka's onLeadershipChange: the
// group coordinator follows `__consumer_offsets` this way).
//
// A replica whose log cannot be opened is reported once and left out; the others are served.
//
// Creating a log costs milliseconds (directories and files made durable): an image with thousands
// of new replicas (one CreateTopics of 4,000 partitions) would hold the event loop for seconds,
// every client and the broker's own heartbeats waiting. So one pass hosts at most
// maxNewReplicasPerPass new replicas and the next pass comes on a later turn of the event loop;
// meanwhile the replicas not yet hosted are unknown here, which clients retry.
//
// Ownership: the ReplicaManager owns the hosted partitions (their logs included), the fetcher
// manager and its listeners. Images are applied one at a time, synchronously; only a partition
// whose registration changed is told (so a pending ISR change is not undone by an unrelated
// change of the image).
import type { PartitionLog } from "../../storage/partition-log.ts";
import { type FetchExpiry, systemFetchExpiry } from "../fetch/delayed-fetch.ts";
import type { PartitionLookup } from "../fetch/read-from-log.ts";
import type { Logger } from "../logger.ts";
import type { MetadataImage, PartitionRegistration, TopicImage } from "../metadata/metadata-image.ts";
import { Partition } from "../partition.ts";
import { BrokerLeaderEndpoint, type LeaderAddress, type LeaderEndpoint } from "./leader-endpoint.ts";
import { type AlterPartitionSender, PartitionState, type ReplicationContext } from "./partition-state.ts";
import { defaultFetcherSettings, type FetcherSettings, type InitialFetchState } from "./replica-fetcher.ts";
import { ReplicaFetcherManager } from "./replica-fetcher-manager.ts";

/** What the replica manager reads of a metadata image. */
export type ReplicaImage = Pick<MetadataImage, "topicsByName" | "broker" | "isActive" | "topicConfig">;

export interface ReplicaManagerOptions {
  localBrokerId: number;
  /**
   * Opens (creating if needed) the log of a replica hosted here; its high watermark is moved by its
   * PartitionState, not by appends.
   */
  openLog(topic: TopicImage, partition: number): { log: PartitionLog; maxMessageBytes: number };
  alterPartition: AlterPartitionSender;
  /** How followers reach a leader; BrokerLeaderEndpoint (TCP) unless a test says otherwise. */
  endpointFor?: (leader: LeaderAddress) => LeaderEndpoint;
  clock?: () => number;
  timers?: FetchExpiry;
  /** replica.lag.time.max.ms, default 30000 */
  replicaLagTimeMaxMs?: number;
  /** min.insync.replicas of topics without their own, default 1 */
  defaultMinInsyncReplicas?: number;
  /** Timeout of the followers' requests to their leaders, default 30000 */
  requestTimeoutMs?: number;
  fetcher?: Partial<FetcherSettings>;
  /** New replicas hosted per pass over an image, default 128 (see the top of this file). */
  maxNewReplicasPerPass?: number;
  log: Logger;
}

/** A partition this broker became the leader of (or leads at a newer epoch), or stopped leading. */
export interface LeadershipChange {
  kind: "became-leader" | "stopped-leading";
  topic: string;
  partition: number;
  /** The leader epoch it now leads at; on stopping, the epoch of the new leader (the last one known if the replica went away). */
  leaderEpoch: number;
}

export type LeadershipListener = (change: LeadershipChange) => void;

interface Hosted {
  partition: Partition;
  state: PartitionState;
  /** The registration last applied, compared by value with the next image's. */
  applied: PartitionRegistration | null;
}

const keyOf = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

function sameRegistration(a: PartitionRegistration | null, b: PartitionRegistration): boolean {
  if (a === null) return false;
  const same = (x: readonly number[], y: readonly number[]) => x.length === y.length && x.every((v, i) => v === y[i]);
  return (
    a.leader === b.leader &&
    a.leaderEpoch === b.leaderEpoch &&
    a.partitionEpoch === b.partitionEpoch &&
    same(a.replicas, b.replicas) &&
    same(a.isr, b.isr)
  );
}

export class ReplicaManager implements PartitionLookup {
  readonly #hosted = new Map<string, Hosted>();
  readonly #fetchers: ReplicaFetcherManager;
  readonly #context: ReplicationContext;
  readonly #defaultMinIsr: number;
  readonly #leadershipListeners = new Set<LeadershipListener>();
  /** Replicas whose log failed to open, by key, with the topic id they failed for. */
  readonly #unopenable = new Map<string, string>();
  #image: ReplicaImage | null = null;
  #isrExpiration: NodeJS.Timeout | null = null;
  /** A later pass over the image is scheduled: it has replicas left to host. */
  #passScheduled = false;
  #stopped = false;

  constructor(private readonly options: ReplicaManagerOptions) {
    this.#defaultMinIsr = options.defaultMinInsyncReplicas ?? 1;
    this.#context = {
      localBrokerId: options.localBrokerId,
      clock: options.clock ?? Date.now,
      replicaLagTimeMaxMs: options.replicaLagTimeMaxMs ?? 30_000,
      alterPartition: options.alterPartition,
      isReplicaIsrEligible: (brokerId) => this.#image?.isActive(brokerId) ?? false,
      timers: options.timers ?? systemFetchExpiry,
      log: options.log,
    };
    const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.#fetchers = new ReplicaFetcherManager(
      options.localBrokerId,
      { replica: (topic, partition) => this.#hosted.get(keyOf(topic, partition))?.state },
      options.endpointFor ??
        ((leader) => new BrokerLeaderEndpoint(leader, options.localBrokerId, requestTimeoutMs, options.log)),
      { ...defaultFetcherSettings, ...options.fetcher },
      options.log,
    );
  }

  partition(topic: string, index: number): Partition | undefined {
    return this.#hosted.get(keyOf(topic, index))?.partition;
  }

  /** The replication state of a hosted partition. */
  replica(topic: string, index: number): PartitionState | undefined {
    return this.#hosted.get(keyOf(topic, index))?.state;
  }

  allPartitions(): Partition[] {
    return [...this.#hosted.values()].map((h) => h.partition);
  }

  get fetchers(): ReplicaFetcherManager {
    return this.#fetchers;
  }

  /**
   * Calls `listener` after every applied image with each leadership this broker gained or lost in
   * it, in partition order of the image. Returns the unsubscribe function.
   */
  onLeadershipChange(listener: LeadershipListener): () => void {
    this.#leadershipListeners.add(listener);
    return () => this.#leadershipListeners.delete(listener);
  }

  /**
   * Makes the hosted replicas what `image` says (Kafka's applyDelta, computed against the
   * registrations applied before): removed replicas first, then leaders, then followers.
   */
  applyImage(image: ReplicaImage): void {
    this.#image = image;
    const local = this.options.localBrokerId;
    const leadership: LeadershipChange[] = [];
    const wanted = new Map<string, { topic: TopicImage; registration: PartitionRegistration }>();
    for (const topic of image.topicsByName.values())
      for (const registration of topic.partitions)
        if (registration.replicas.includes(local))
          wanted.set(keyOf(topic.name, registration.partition), { topic, registration });

    for (const [key, hosted] of [...this.#hosted]) {
      const next = wanted.get(key);
      if (next?.topic.topicId.equals(hosted.state.topicId)) continue;
      const wasLeader = hosted.state.isLeader;
      this.#stopReplica(key, hosted);
      if (wasLeader) leadership.push(this.#change("stopped-leading", hosted.state));
    }

    const newFollowers = new Map<number, InitialFetchState[]>();
    let newReplicasLeft = this.options.maxNewReplicasPerPass ?? 128;
    let deferred = 0;
    for (const [key, { topic, registration }] of wanted) {
      let hosted = this.#hosted.get(key);
      if (hosted === undefined) {
        if (newReplicasLeft === 0) {
          deferred++;
          continue;
        }
        newReplicasLeft--;
        hosted = this.#tryHost(key, topic, registration.partition);
      }
      if (hosted === undefined) continue;
      hosted.state.setMinInsyncReplicas(this.#minInsyncReplicas(image, topic.name));
      if (sameRegistration(hosted.applied, registration)) continue;
      hosted.applied = registration;
      const wasLeader = hosted.state.isLeader;
      const epochBefore = hosted.state.leaderEpoch;
      if (registration.leader === local) {
        this.#fetchers.removePartitions([{ topic: topic.name, partition: registration.partition }]);
        hosted.state.makeLeader(registration);
        if (hosted.state.isLeader && (!wasLeader || hosted.state.leaderEpoch !== epochBefore))
          leadership.push(this.#change("became-leader", hosted.state));
        continue;
      }
      const isNewLeaderEpoch = hosted.state.makeFollower(registration);
      if (wasLeader && !hosted.state.isLeader) leadership.push(this.#change("stopped-leading", hosted.state));
      if (!isNewLeaderEpoch) continue;
      this.#fetchers.removePartitions([{ topic: topic.name, partition: registration.partition }]);
      const list = newFollowers.get(registration.leader) ?? [];
      list.push({
        topic: topic.name,
        partition: registration.partition,
        currentLeaderEpoch: registration.leaderEpoch,
        initOffset: hosted.partition.highWatermark,
      });
      newFollowers.set(registration.leader, list);
    }

    for (const [leaderId, partitions] of newFollowers) {
      const leader = image.broker(leaderId);
      if (!leader) {
        this.options.log.info("leader not registered; not fetching yet", {
          leader: leaderId,
          partitions: partitions.length,
        });
        continue;
      }
      this.#fetchers.addPartitions({ brokerId: leaderId, host: leader.host, port: leader.port }, partitions);
    }
    void this.#fetchers.shutdownIdleFetchers();
    this.#tellLeadership(leadership);
    if (deferred > 0) this.#scheduleNextPass(deferred);
  }

  #scheduleNextPass(deferred: number): void {
    if (this.#passScheduled) return;
    this.#passScheduled = true;
    this.options.log.debug("new replicas left for the next pass", { replicas: deferred });
    setImmediate(() => {
      this.#passScheduled = false;
      if (!this.#stopped && this.#image !== null) this.applyImage(this.#image);
    });
  }

  /** Every partition led here drops the ISR members that fell behind (Kafka's isr-expiration task). */
  maybeShrinkIsr(): void {
    for (const { state } of this.#hosted.values()) state.maybeShrinkIsr();
  }

  /** Starts the ISR expiration task. */
  start(): void {
    this.#stopped = false;
    if (this.#isrExpiration) return;
    this.#isrExpiration = setInterval(() => this.maybeShrinkIsr(), Math.max(1, this.#context.replicaLagTimeMaxMs / 2));
    this.#isrExpiration.unref();
  }

  /**
   * Stops the task and the fetchers, and closes (flushing) every hosted log. Resolves true when
   * every log was closed cleanly (none offline or failing to flush, none left unopened).
   */
  async stop(): Promise<boolean> {
    let clean = this.#unopenable.size === 0;
    this.#stopped = true;
    if (this.#isrExpiration) clearInterval(this.#isrExpiration);
    this.#isrExpiration = null;
    await this.#fetchers.shutdown();
    for (const { partition } of this.#hosted.values()) {
      // Each log on its own: one that fails to flush (it goes offline, and says so) must not
      // keep the others from being flushed and closed.
      if (partition.log.isOffline) clean = false;
      try {
        partition.log.close();
      } catch (error) {
        clean = false;
        if (partition.log.isOffline) continue;
        this.options.log.error("log not closed cleanly", {
          topic: partition.topic,
          partition: partition.index,
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
    this.#hosted.clear();
    return clean;
  }

  /**
   * Hosts a replica, or, when its log cannot be opened (an I/O error, say), says so once and
   * leaves it unserved until the broker restarts, while the image is applied to the others.
   */
  #tryHost(key: string, topic: TopicImage, index: number): Hosted | undefined {
    const topicId = topic.topicId.toString("hex");
    if (this.#unopenable.get(key) === topicId) return undefined;
    try {
      return this.#host(key, topic, index);
    } catch (error) {
      this.#unopenable.set(key, topicId);
      this.options.log.error("partition log could not be opened; the replica is not served until the broker restarts", {
        topic: topic.name,
        partition: index,
        error: error instanceof Error ? error.message : String(error),
      });
      return undefined;
    }
  }

  #host(key: string, topic: TopicImage, index: number): Hosted {
    const { log, maxMessageBytes } = this.options.openLog(topic, index);
    const minIsr = this.#minInsyncReplicas(this.#image, topic.name);
    let state: PartitionState | undefined;
    const partition = new Partition(topic.name, index, log, maxMessageBytes, (p) => {
      state = new PartitionState(p, topic.topicId, this.#context, minIsr);
      return state;
    });
    const hosted: Hosted = { partition, state: state!, applied: null };
    this.#hosted.set(key, hosted);
    return hosted;
  }

  #stopReplica(key: string, hosted: Hosted): void {
    const { partition, state } = hosted;
    this.#fetchers.removePartitions([{ topic: partition.topic, partition: partition.index }]);
    this.#hosted.delete(key);
    // Waiting produces and fetches answer NOT_LEADER_OR_FOLLOWER now rather than at their timeout.
    state.makeFollower({
      leader: -1,
      leaderEpoch: state.leaderEpoch,
      partitionEpoch: state.partitionEpoch,
      replicas: [],
    });
    partition.log.deleteAll();
    this.options.log.info("replica removed; log deleted", { topic: partition.topic, partition: partition.index });
  }

  #change(kind: LeadershipChange["kind"], state: PartitionState): LeadershipChange {
    return { kind, topic: state.partition.topic, partition: state.partition.index, leaderEpoch: state.leaderEpoch };
  }

  /** A listener that throws is reported and does not keep the others from hearing. */
  #tellLeadership(changes: readonly LeadershipChange[]): void {
    for (const change of changes) {
      for (const listener of [...this.#leadershipListeners]) {
        try {
          listener(change);
        } catch (error) {
          this.options.log.error("leadership listener failed", {
            ...change,
            error: error instanceof Error ? error.message : String(error),
          });
        }
      }
    }
  }

  #minInsyncReplicas(image: ReplicaImage | null, topic: string): number {
    const configured = image?.topicConfig(topic, "min.insync.replicas");
    return configured === undefined ? this.#defaultMinIsr : Number(configured);
  }
}
