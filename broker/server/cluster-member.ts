// A broker as a member of a KRaft cluster (a lone broker is a quorum of one): its replica of the `__cluster_metadata` quorum (a voter
// or an observer), the metadata loader that turns committed records into images, the controller
// (on voters; active on the Raft leader), its registration and heartbeats, and the replicas it
// hosts, kept as each new image says. The request handlers reach all of this through `kraft` in
// BrokerState.
//
// Ownership: a ClusterMember owns the parts it builds and their order of starting and stopping.
// Each part owns its own state (see their files); images flow one way, loader → replicas.
import { controllerConfigFrom, QuorumController } from "../controller/quorum-controller.ts";
import { quorumRequestTimeoutMs, raftConfigFrom } from "../raft/quorum-config.ts";
import { ConnectionRaftChannel } from "../raft/raft-channel.ts";
import { METADATA_LOG_DIR_NAME } from "../raft/raft-log.ts";
import { RaftNode } from "../raft/raft-node.ts";
import { takeCleanShutdownMarker, writeCleanShutdownMarker } from "../storage/clean-shutdown.ts";
import type { FileSystem } from "../storage/file-system.ts";
import type { EventJournal } from "./admin/cluster-events.ts";
import { BrokerLifecycleManager, type RegisteredListener } from "./broker-lifecycle-manager.ts";
import { ClusterTopics } from "./cluster-topics.ts";
import { type BrokerConfig, brokerNumber, brokerProp, parseQuorumVoters, processRoles } from "./config.ts";
import { dynamicBrokerValue } from "./dynamic-configs.ts";
import { systemFetchExpiry } from "./fetch/delayed-fetch.ts";
import { ForwardingManager } from "./forwarding-manager.ts";
import { applyLiveConfigs, topicsWithChangedConfigs } from "./live-log-configs.ts";
import type { Logger } from "./logger.ts";
import { loadMetaProperties } from "./meta-properties.ts";
import { ImageClusterView } from "./metadata/image-cluster-view.ts";
import { legacyBootstrapRecords } from "./metadata/legacy-bootstrap.ts";
import { MetadataEvents, ownRegistrationUnfenced } from "./metadata/metadata-events.ts";
import { MetadataLoader } from "./metadata/metadata-loader.ts";
import { NodeToControllerChannel } from "./node-to-controller-channel.ts";
import { ProducerIdManager } from "./producer-id-manager.ts";
import { AlterPartitionManager } from "./replication/alter-partition-manager.ts";
import { ReplicaManager } from "./replication/replica-manager.ts";
import { openTopicLog, topicConfigOf, validateTopicConfigs } from "./topics.ts";

export interface ClusterMember {
  readonly clusterId: string;
  readonly raft: RaftNode;
  readonly loader: MetadataLoader;
  /** Present on a controller voter; active while its Raft node leads. */
  readonly controller: QuorumController | undefined;
  readonly channel: NodeToControllerChannel;
  readonly lifecycle: BrokerLifecycleManager;
  readonly replicas: ReplicaManager;
  readonly view: ImageClusterView;
  readonly topics: ClusterTopics;
  readonly forwarding: ForwardingManager;
  readonly producerIds: ProducerIdManager;
  /** Starts the quorum, registration and replication; resolves once the controller unfences this broker. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createClusterMember(
  config: BrokerConfig,
  /** Where the other brokers reach this one, and every listener to register (default: PLAINTEXT there). */
  address: { host: string; port: number; listeners?: readonly RegisteredListener[] },
  fs: FileSystem,
  log: Logger,
  /** Where leader, ISR, broker and controller changes are recorded, with their causes; nowhere without it. */
  events?: EventJournal,
): ClusterMember {
  const nodeId = config.nodeId;
  const configuredVoters = brokerProp(config, "controller.quorum.voters").trim();
  // A lone broker is a quorum of one: itself, at the address it listens on.
  const votersText = configuredVoters || `${nodeId}@${address.host}:${address.port}`;
  const voters = parseQuorumVoters(votersText);
  const { clusterId } = loadMetaProperties({
    dataDir: config.dataDir,
    nodeId,
    clusterId: brokerProp(config, "cluster.id"),
    voters: configuredVoters,
  });
  const requestTimeoutMs = quorumRequestTimeoutMs(config);
  const raft = RaftNode.open({
    config: raftConfigFrom(config, voters.keys()),
    dataDir: config.dataDir,
    channel: new ConnectionRaftChannel(voters, { localId: nodeId, requestTimeoutMs, logger: log }),
    fs,
    logger: log,
  });
  const loader = new MetadataLoader(raft, {
    onFault: (message, error, offset) =>
      log.error("metadata record not applied", {
        message,
        offset,
        error: error instanceof Error ? error.message : String(error),
      }),
  });
  // Broker properties altered at runtime (AlterConfigs on the broker resource) are in the metadata.
  config.dynamic = (key) => dynamicBrokerValue(loader.image, nodeId, key)?.value;
  const controller =
    voters.has(nodeId) && processRoles(config).controller
      ? new QuorumController({
          clusterId,
          raft,
          committed: loader,
          config: controllerConfigFrom(config),
          log,
          validateTopicConfigs,
          requestTimeoutMs: 30_000,
          bootstrapRecords: () => legacyBootstrapRecords(config.dataDir, nodeId),
        })
      : undefined;
  const channel = new NodeToControllerChannel({
    localId: nodeId,
    voters: [...voters].map(([id, endpoint]) => ({ nodeId: id, host: endpoint.host, port: endpoint.port })),
    quorum: {
      get leaderId() {
        return raft.leaderId;
      },
      onLeaderChange: (listener) => raft.onLeaderChange(listener),
    },
    requestTimeoutMs: 30_000,
    retryBackoffMs: brokerNumber(config, "controller.quorum.retry.backoff.ms") * 5,
    log,
  });
  const lifecycle = new BrokerLifecycleManager({
    brokerId: nodeId,
    clusterId,
    host: address.host,
    port: address.port,
    ...(address.listeners === undefined ? {} : { listeners: address.listeners }),
    rack: null,
    channel,
    metadataOffset: () => loader.lastAppliedOffset,
    heartbeatIntervalMs: brokerNumber(config, "broker.heartbeat.interval.ms"),
    log,
  });
  // Taken before any partition log opens, so that a crash from now on is recovered from.
  const hadCleanShutdown = takeCleanShutdownMarker(fs, config.dataDir);
  const openedLogDirs = new Set<string>();
  const replicas = new ReplicaManager({
    localBrokerId: nodeId,
    openLog: (topic, index) => {
      const state = view.topic(topic.name)!;
      openedLogDirs.add(`${topic.name}-${index}`);
      return {
        log: openTopicLog(config, fs, log, state, index, { hadCleanShutdown }),
        maxMessageBytes: Number(topicConfigOf(config, state, "max.message.bytes")),
      };
    },
    alterPartition: new AlterPartitionManager(nodeId, () => lifecycle.brokerEpoch, channel, systemFetchExpiry, log),
    replicaLagTimeMaxMs: brokerNumber(config, "replica.lag.time.max.ms"),
    defaultMinInsyncReplicas: brokerNumber(config, "min.insync.replicas"),
    log,
  });
  const view = new ImageClusterView(loader, clusterId, () => raft.leaderId);
  // The replicas follow the metadata only once the controller has unfenced this incarnation, as
  // Kafka's broker publishes to its ReplicaManager only after its registration caught up: replayed
  // images may still name a restarted broker leader at its previous incarnation's epoch, and leading
  // from those would acknowledge records that the partition's next leader never gets. The
  // registration of a new incarnation takes its leaderships and ISR places away first.
  let unfenced = false;
  loader.subscribe((image) => {
    if (unfenced) replicas.applyImage(image);
  });
  loader.subscribe((image, previous) => {
    const changed = unfenced ? topicsWithChangedConfigs(image, previous) : null;
    if (changed === null) return;
    const partitions = replicas.allPartitions().filter((partition) => changed(partition.topic));
    applyLiveConfigs(config, partitions, (name) => view.topic(name), log);
  });
  if (events !== undefined) {
    const recorder = new MetadataEvents({
      journal: events,
      caughtUp: (image) => ownRegistrationUnfenced(image, nodeId, lifecycle.brokerEpoch),
    });
    loader.subscribe((image, previous) => recorder.onImage(image, previous));
    raft.onLeaderChange((leader) => recorder.onControllerChange(leader));
  }
  const topics = new ClusterTopics(config, view, replicas, channel, log, (listener) => loader.subscribe(listener));
  const forwarding = new ForwardingManager(nodeId, controller, () => raft.leaderId, channel);
  const producerIds = new ProducerIdManager(nodeId, () => lifecycle.brokerEpoch, channel);

  return {
    clusterId,
    raft,
    loader,
    controller,
    channel,
    lifecycle,
    replicas,
    view,
    topics,
    forwarding,
    producerIds,
    async start() {
      raft.start();
      replicas.start();
      lifecycle.start();
      await lifecycle.unfenced;
      unfenced = true;
      replicas.applyImage(loader.image);
    },
    async stop() {
      // Leaderships move before this broker goes, while the quorum still hears it.
      // Bounded: the last voters of a cluster stopping as a whole have no quorum left to confirm it.
      await lifecycle.controlledShutdown(Math.min(brokerNumber(config, "broker.session.timeout.ms"), 5000));
      controller?.close();
      await raft.close();
      channel.close();
      // The marker vouches for every log in the directory: after an unclean start, a log this
      // process never opened (not hosted yet, or no longer) was never recovered either.
      const everyLogOpened = () =>
        fs.list(config.dataDir).every((name) => !isPartitionLogDirName(name) || openedLogDirs.has(name));
      if ((await replicas.stop()) && (hadCleanShutdown || everyLogOpened()))
        writeCleanShutdownMarker(fs, config.dataDir);
    },
  };
}

/** A topic partition's log directory (`<topic>-<partition>`); the metadata log recovers at every start. */
function isPartitionLogDirName(name: string): boolean {
  return /-\d+$/.test(name) && name !== METADATA_LOG_DIR_NAME;
}
