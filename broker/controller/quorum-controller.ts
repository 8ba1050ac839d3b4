// The active controller (Kafka's QuorumController): what each request changes, computed against the
// latest image and written through ControllerWrites (controller-writes.ts: one serial queue, one
// batch per request, answered once committed), and when this node may take requests at all.
//
// Leadership: when this node's Raft node becomes leader, the controller proposes a NoOpRecord and
// waits until it is committed and applied — by then every record of earlier leaders is in the
// committed image — and only then takes requests (they queue meanwhile). When leadership goes, or a
// proposal fails, pending requests fail with NOT_CONTROLLER and the latest image falls back to the
// committed one. While active, its periodic tasks (periodic-task-control.ts) fence brokers whose
// session ran out and, with auto.leader.rebalance.enable, move leaderships back to preferred
// replicas and run the unclean elections topics allow.
//
// Ownership: the QuorumController owns the active flag, the activation in progress and the
// reactivation timer, and through them its ControllerWrites (queue, latest image, proposals), its
// PeriodicTaskControl (timers) and its ClusterControl (the brokers' heartbeat state). Everything
// that reads or writes them runs as a step of the queue, one at a time. Committed images belong to
// the MetadataLoader.
import { randomBytes, randomInt } from "node:crypto";
import { encodeMetadataRecord, type MetadataRecord } from "../protocol/metadata-records/serde.ts";
import { type BrokerConfig, brokerNumber, brokerProp } from "../server/config.ts";
import { type Logger, silentLogger } from "../server/logger.ts";
import type { MetadataImage } from "../server/metadata/metadata-image.ts";
import type { CommittedBatchSource } from "../server/metadata/metadata-loader.ts";
import {
  type BrokerHeartbeatReply,
  type BrokerHeartbeatRequestData,
  type BrokerRegistrationReply,
  type BrokerRegistrationRequestData,
  ClusterControl,
} from "./cluster-control.ts";
import {
  type AlterConfigsOptions,
  alterConfigs,
  type ConfigResourceChange,
  type ConfigResourceOutcome,
} from "./config-control.ts";
import { type CommittedImages, ControllerWrites } from "./controller-writes.ts";
import {
  type AlterPartitionRequestData,
  type AlterPartitionResponseData,
  alterPartition,
  balancePartitionLeaders,
  type ElectionSettings,
  type ElectLeadersRequestData,
  type ElectLeadersResponseData,
  electLeaders,
  electUncleanLeaders,
} from "./leader-and-isr.ts";
import {
  alterPartitionReassignments,
  type ListedTopic,
  listPartitionReassignments,
  type OngoingReassignment,
  type ReassignableTopic,
  type ReassignmentOutcome,
} from "./partition-reassignment.ts";
import { type ControllerTimers, PeriodicTaskControl, realTimers } from "./periodic-task-control.ts";
import { type AllocateProducerIdsReply, allocateProducerIds } from "./producer-id-control.ts";
import {
  type CreatableTopic,
  type CreatePartitionsTopic,
  type CreateTopicResult,
  createPartitions,
  createTopics,
  deleteTopics,
  type TopicOutcome,
  type TopicSettings,
} from "./replication-control.ts";

/** The Raft node as the controller uses it (broker/raft's RaftNode). */
export interface MetadataRaft extends CommittedBatchSource {
  readonly isLeader: boolean;
  /** The current Raft epoch. */
  readonly epoch: number;
  /**
   * Appends encoded records as one batch, in call order; resolves with the offset of its last record
   * once committed; rejects (NotLeader) when this node is not, or stops being, the leader.
   */
  propose(records: Buffer[]): Promise<bigint>;
  onLeaderChange(listener: () => void): void;
}

/** How long a controller whose proposal failed waits before it activates again. */
const reactivationBackoffMs = 500;

export interface ControllerConfig {
  /** broker.session.timeout.ms */
  sessionTimeoutMs: number;
  /** num.partitions */
  defaultPartitions: number;
  /** default.replication.factor */
  defaultReplicationFactor: number;
  /** unclean.leader.election.enable */
  uncleanLeaderElection: boolean;
  /** auto.leader.rebalance.enable */
  autoLeaderRebalance: boolean;
  /** leader.imbalance.check.interval.seconds, in ms */
  leaderImbalanceCheckIntervalMs: number;
}

/** The controller's settings from the broker's properties (Kafka's names and defaults). */
export function controllerConfigFrom(config: BrokerConfig): ControllerConfig {
  return {
    sessionTimeoutMs: brokerNumber(config, "broker.session.timeout.ms"),
    defaultPartitions: brokerNumber(config, "num.partitions"),
    defaultReplicationFactor: brokerNumber(config, "default.replication.factor"),
    uncleanLeaderElection: brokerProp(config, "unclean.leader.election.enable") === "true",
    autoLeaderRebalance: brokerProp(config, "auto.leader.rebalance.enable") === "true",
    leaderImbalanceCheckIntervalMs: brokerNumber(config, "leader.imbalance.check.interval.seconds") * 1000,
  };
}

export interface QuorumControllerOptions {
  clusterId: string;
  raft: MetadataRaft;
  committed: CommittedImages;
  config: ControllerConfig;
  log?: Logger;
  /** Monotonic milliseconds. */
  now?: () => number;
  timers?: ControllerTimers;
  /** An integer in [0, bound): where replica placement starts. */
  randomInt?: (bound: number) => number;
  newTopicId?: () => Buffer;
  validateTopicConfigs?: TopicSettings["validateTopicConfigs"];
  encode?: (record: MetadataRecord) => Buffer;
  /**
   * A request not answered within this time fails with REQUEST_TIMED_OUT (its records may still be
   * committed later, as with Kafka's controller); without it a request waits as long as the quorum does.
   */
  requestTimeoutMs?: number;
  /**
   * Records written once, right after the first activation of a new quorum (an empty metadata log),
   * before any request: the state a lone broker of an older version kept elsewhere.
   */
  bootstrapRecords?: () => MetadataRecord[];
}

export class QuorumController {
  private readonly raft: MetadataRaft;
  private readonly committed: CommittedImages;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly timers: ControllerTimers;
  private readonly encode: (record: MetadataRecord) => Buffer;
  private readonly electionSettings: ElectionSettings;
  private readonly topicSettings: TopicSettings;
  private readonly cluster: ClusterControl;
  private readonly writes: ControllerWrites;
  private readonly periodicTasks: PeriodicTaskControl;
  /** The Raft epoch this controller is active in, or null when it is not active. */
  private activeEpoch: number | null = null;
  /** The Raft epoch an activation was queued for, so one leadership queues one activation. */
  private activatingEpoch: number | null = null;
  private cancelReactivation: (() => void) | null = null;
  private closed = false;

  constructor(private readonly options: QuorumControllerOptions) {
    this.raft = options.raft;
    this.committed = options.committed;
    this.log = options.log ?? silentLogger;
    this.now = options.now ?? (() => performance.now());
    this.timers = options.timers ?? realTimers;
    this.encode = options.encode ?? encodeMetadataRecord;
    this.writes = new ControllerWrites({
      propose: (records) => this.raft.propose(records),
      committed: this.committed,
      encode: this.encode,
      log: this.log,
      timers: this.timers,
      requestTimeoutMs: options.requestTimeoutMs,
      isActive: () => this.activeEpoch !== null,
      onProposalFailed: (error) => this.renounce("a proposal failed", error),
    });
    this.electionSettings = {
      uncleanLeaderElection: options.config.uncleanLeaderElection,
      onUncleanElection: (topic, partition, leader) =>
        this.log.warn("unclean leader election: the new leader was not in the ISR, records it lacks are lost", {
          topic,
          partition,
          leader,
        }),
    };
    this.topicSettings = {
      defaultPartitions: options.config.defaultPartitions,
      defaultReplicationFactor: options.config.defaultReplicationFactor,
      randomInt: options.randomInt ?? ((bound) => randomInt(bound)),
      newTopicId: options.newTopicId ?? (() => randomBytes(16)),
      validateTopicConfigs: options.validateTopicConfigs,
    };
    this.cluster = new ClusterControl(
      { ...this.electionSettings, clusterId: options.clusterId, sessionTimeoutMs: options.config.sessionTimeoutMs },
      this.now,
    );
    this.periodicTasks = new PeriodicTaskControl(options.config, this.now, this.timers, {
      fenceStaleBrokers: () => this.fenceStaleBrokers(),
      balanceLeaders: () => this.balanceLeaders(),
      extendSessions: (ms) => this.cluster.extendSessions(ms),
    });
    this.raft.onLeaderChange(() => this.leadershipChanged());
    this.leadershipChanged();
  }

  /** True once this node leads the quorum and has caught up with the committed log. */
  get isActive(): boolean {
    return this.activeEpoch !== null;
  }

  /** The latest image, uncommitted records of this controller included. */
  get image(): MetadataImage {
    return this.writes.latest;
  }

  createTopics(topics: CreatableTopic[], validateOnly: boolean): Promise<CreateTopicResult[]> {
    return this.writes.write("createTopics", (image) => createTopics(image, topics, validateOnly, this.topicSettings));
  }

  createPartitions(topics: CreatePartitionsTopic[], validateOnly: boolean): Promise<TopicOutcome[]> {
    return this.writes.write("createPartitions", (image) =>
      createPartitions(image, topics, validateOnly, this.topicSettings),
    );
  }

  deleteTopics(names: string[]): Promise<TopicOutcome[]> {
    return this.writes.write("deleteTopics", (image) => deleteTopics(image, names));
  }

  /** AlterConfigs and IncrementalAlterConfigs: one outcome per resource. */
  alterConfigs(resources: ConfigResourceChange[], options: AlterConfigsOptions): Promise<ConfigResourceOutcome[]> {
    return this.writes.write("alterConfigs", (image) => alterConfigs(image, resources, options));
  }

  registerBroker(request: BrokerRegistrationRequestData): Promise<BrokerRegistrationReply> {
    return this.writes.write("registerBroker", (image) => this.cluster.registerBroker(image, request));
  }

  brokerHeartbeat(request: BrokerHeartbeatRequestData): Promise<BrokerHeartbeatReply> {
    return this.writes.write("brokerHeartbeat", (image) =>
      this.cluster.heartbeat(image, this.committed.image, request),
    );
  }

  /** Resolves with NONE, or BROKER_ID_NOT_REGISTERED. */
  unregisterBroker(brokerId: number): Promise<number> {
    return this.writes.write("unregisterBroker", (image) => this.cluster.unregisterBroker(image, brokerId));
  }

  alterPartition(request: AlterPartitionRequestData, version: number): Promise<AlterPartitionResponseData> {
    return this.writes.write("alterPartition", (image) =>
      alterPartition(image, request, version, this.electionSettings),
    );
  }

  electLeaders(request: ElectLeadersRequestData): Promise<ElectLeadersResponseData> {
    return this.writes.write("electLeaders", (image) => electLeaders(image, request, this.electionSettings));
  }

  /** AlterPartitionReassignments (KIP-455): starts, replaces or cancels reassignments; one outcome per partition. */
  alterPartitionReassignments(topics: ReassignableTopic[]): Promise<ReassignmentOutcome[]> {
    return this.writes.write("alterPartitionReassignments", (image) => alterPartitionReassignments(image, topics));
  }

  /** ListPartitionReassignments: the partitions being moved (every topic's when `topics` is null). */
  listPartitionReassignments(topics: ListedTopic[] | null): Promise<OngoingReassignment[]> {
    const response = (image: MetadataImage) => listPartitionReassignments(image, topics);
    return this.writes.write("listPartitionReassignments", (image) => ({ records: [], response: response(image) }));
  }

  allocateProducerIds(request: { brokerId: number; brokerEpoch: bigint }): Promise<AllocateProducerIdsReply> {
    return this.writes.write("allocateProducerIds", (image) => allocateProducerIds(image, request));
  }

  /** Fences every broker whose session ran out, one batch per broker (the timer calls it too). */
  async fenceStaleBrokers(): Promise<number[]> {
    if (!this.isActive) return [];
    const fenced: number[] = [];
    for (const brokerId of this.cluster.staleBrokers(this.writes.latest)) {
      const done = await this.writes.write("fenceStaleBroker", (image) =>
        this.cluster.fenceStaleBroker(image, brokerId),
      );
      if (done) {
        this.log.info("fenced a broker whose session timed out", { brokerId });
        fenced.push(brokerId);
      }
    }
    return fenced;
  }

  /** Preferred-leader elections, then unclean elections where topics allow them (the rebalance timer calls it). */
  async balanceLeaders(): Promise<void> {
    if (!this.isActive) return;
    await this.writes.write("balancePartitionLeaders", (image) => ({
      records: balancePartitionLeaders(image, this.electionSettings),
      response: undefined,
    }));
    await this.writes.write("electUncleanLeaders", (image) => ({
      records: electUncleanLeaders(image, this.electionSettings),
      response: undefined,
    }));
  }

  /** Stops the timers and fails pending and later requests with NOT_CONTROLLER. */
  close(): void {
    this.closed = true;
    this.renounce("closed");
  }

  private leadershipChanged(): void {
    if (this.closed) return;
    const epoch = this.raft.epoch;
    if (this.raft.isLeader) {
      if (this.activeEpoch === epoch || this.activatingEpoch === epoch) return;
      if (this.activeEpoch !== null) this.renounce("a new leadership epoch");
      this.activatingEpoch = epoch;
      this.writes.enqueue(() => this.activate(epoch));
    } else if (this.activeEpoch !== null || this.activatingEpoch !== null) {
      this.renounce("lost leadership");
    }
  }

  private async activate(epoch: number): Promise<void> {
    if (this.activatingEpoch !== epoch || !this.raft.isLeader || this.raft.epoch !== epoch) return;
    const generation = this.writes.generation;
    try {
      const bootstrap = this.committed.image.offset < 0n ? (this.options.bootstrapRecords?.() ?? []) : [];
      const records: MetadataRecord[] = [{ type: "NoOpRecord", version: 0, data: {} }, ...bootstrap];
      const offset = await this.raft.propose(records.map((record) => this.encode(record)));
      await this.committed.waitForOffset(offset);
    } catch (error) {
      if (generation === this.writes.generation) this.renounce("the activation record was not committed", error);
      return;
    }
    if (generation !== this.writes.generation || this.activatingEpoch !== epoch) return;
    this.activatingEpoch = null;
    this.activeEpoch = epoch;
    this.writes.resetToCommitted();
    this.cluster.activate(this.writes.latest);
    this.periodicTasks.activate();
    this.log.info("became the active controller", { epoch, offset: this.writes.latest.offset });
  }

  private renounce(reason: string, error?: unknown): void {
    const wasActive = this.activeEpoch !== null;
    this.writes.revert();
    this.activeEpoch = null;
    this.activatingEpoch = null;
    this.cluster.deactivate();
    this.periodicTasks.deactivate();
    this.cancelReactivation?.();
    this.cancelReactivation = null;
    if (wasActive)
      this.log.info("no longer the active controller", {
        reason,
        error: error instanceof Error ? error.message : error,
      });
    // Still the Raft leader after a failed proposal: start over from the committed image, after a
    // pause, so a log that keeps failing (a disk gone) is not retried in a loop that starves the rest.
    if (!this.closed && reason !== "lost leadership" && this.raft.isLeader)
      this.cancelReactivation = this.timers.after(reactivationBackoffMs, () => this.leadershipChanged());
  }
}
