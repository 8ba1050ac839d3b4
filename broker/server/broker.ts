// A running broker: opens the cluster metadata and every partition log (recovering them), loads
// the committed offsets from __consumer_offsets and the transactional ids from __transaction_state
// (of the partitions it leads), then serves the Kafka protocol on TCP. Also runs the periodic log
// work (retention, compaction, time-based flushing) and the transaction coordinator's (aborting
// transactions past their timeout, forgetting expired transactional ids).
import { createServer, type Server, type Socket } from "node:net";
import { Apis } from "../protocol/apis.ts";
import { compactLog } from "../storage/cleaner.ts";
import { type FileSystem, nodeFileSystem } from "../storage/file-system.ts";
import { AdminServer } from "./admin/admin-server.ts";
import { BrokerMetrics } from "./admin/broker-metrics.ts";
import { EventJournal } from "./admin/cluster-events.ts";
import type { BrokerState } from "./broker-state.ts";
import type { ClusterView } from "./cluster.ts";
import { type ClusterMember, createClusterMember } from "./cluster-member.ts";
import { type BrokerConfig, brokerNumber, brokerProp } from "./config.ts";
import { Connection, type ConnectionLog } from "./connection.ts";
import { ConnectionQuotas, parsePerIpOverrides } from "./connection-quotas.ts";
import { ConsumerOffsetsLog } from "./consumer-offsets-log.ts";
import { beyondLoopbackWarning } from "./exposure.ts";
import { GroupCoordinator } from "./groups/coordinator.ts";
import { CONSUMER_OFFSETS_TOPIC } from "./groups/offsets-record-format.ts";
import type { Logger } from "./logger.ts";
import type { Partition } from "./partition.ts";
import { RequestMemoryPool } from "./request-memory-pool.ts";
import { createRequestRouter } from "./request-router.ts";
import { ListenerSecurity } from "./security/listener-security.ts";
import { interBrokerListener, type ListenerConfig, SECURITY_PROTOCOL_IDS } from "./security/listeners.ts";
import { securityConfigFrom } from "./security/security-config.ts";
import { ThrottledWarnings } from "./throttled-warnings.ts";
import type { TopicAccess } from "./topics.ts";
import { TransactionCoordinator } from "./transactions/transaction-coordinator.ts";
import { TRANSACTION_STATE_TOPIC } from "./transactions/transaction-log-format.ts";
import { TransactionStateLog } from "./transactions/transaction-state-log.ts";
import { MARKER_ACK_TIMEOUT_MS, TxnMarkerChannel } from "./transactions/txn-marker-channel.ts";

const flushCheckIntervalMs = 1000;

interface BoundListener {
  /** Its port is the bound one. */
  config: ListenerConfig;
  server: Server;
  security: ListenerSecurity;
}

/**
 * Kafka reads one request per connection at a time; clients pipeline (kafkajs without a limit,
 * Java up to 5), and answering side by side is what makes a pipelined connection fast here.
 */
const MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION = 100;

/** Between rounds of markers a partition could not take yet, and retries of a transaction's Complete* record. */
const transactionRetryBackoffMs = 100;

/** __consumer_offsets and __transaction_state keep only each key's latest record, in segments smaller than the default. */
const offsetsTopicConfigs = [
  { name: "cleanup.policy", value: "compact" },
  { name: "segment.bytes", value: String(100 * 1024 * 1024) },
];

export class Broker {
  private readonly servers: Server[] = [];
  /** The listeners bound, with what their connections' requests are routed by. */
  private readonly bound: BoundListener[] = [];
  private interBrokerListenerName = "PLAINTEXT";
  private readonly connections = new Set<Connection>();
  private readonly timers: NodeJS.Timeout[] = [];
  private state: BrokerState | undefined;
  private member: ClusterMember | undefined;
  private markers: TxnMarkerChannel | undefined;
  private transactionStateTopicAsked = false;
  private stopping = false;
  /** What happened in the cluster and its groups, as this broker saw it (served by its admin listener). */
  readonly events: EventJournal;
  /** Counted by the request router and the produce and fetch handlers; served at the admin listener's /metrics. */
  readonly metrics: BrokerMetrics;
  private admin: AdminServer | undefined;
  private readonly startedAt = Date.now();

  constructor(
    private readonly config: BrokerConfig,
    private readonly log: Logger,
    private readonly fs: FileSystem = nodeFileSystem,
  ) {
    this.events = new EventJournal({ broker: config.nodeId });
    this.metrics = new BrokerMetrics({
      nodeId: config.nodeId,
      events: this.events,
      state: () => this.state,
      processMetrics: config.admin !== undefined,
    });
  }

  /**
   * Starts serving; resolves with the bound address once the controller has unfenced this broker.
   * The admin listener (if configured) answers from before that, as `adminListening` is told.
   */
  async start(
    hooks: { adminListening?: (address: { host: string; port: number }) => void } = {},
  ): Promise<{ host: string; port: number }> {
    const listeners = await this.bindListeners();
    const address = { host: listeners[0]!.config.host, port: listeners[0]!.config.port };
    for (const { config } of listeners) {
      const exposed = beyondLoopbackWarning(`the Kafka listener ${config.name}`, config.host, config.port);
      if (exposed !== null) this.log.warn(exposed, { host: config.host, port: config.port });
    }
    if (this.config.admin) hooks.adminListening?.(await this.startAdmin(this.config.admin, address));

    return this.startAsClusterMember(listeners, address);
  }

  /** Where the broker listens, its ports bound (`listeners`, or PLAINTEXT at --host/--port). */
  get listeners(): readonly ListenerConfig[] {
    return this.bound.map((listener) => listener.config);
  }

  /** Binds every listener (port 0 takes a free one), in the order `listeners` names them. */
  private async bindListeners(): Promise<BoundListener[]> {
    const security = securityConfigFrom({
      prop: (key) => brokerProp(this.config, key),
      props: this.config.props,
      defaultHost: this.config.host,
      defaultPort: this.config.port,
    });
    this.interBrokerListenerName = security.interBrokerListenerName;
    for (const listener of security.listeners) {
      const server = createServer();
      this.servers.push(server);
      const port = await new Promise<number>((resolve, reject) => {
        server.once("error", reject);
        server.listen(listener.port, listener.host, () => {
          const bound = server.address();
          if (bound === null || typeof bound === "string") return reject(new Error("no TCP address"));
          resolve(bound.port);
        });
      });
      const config = { ...listener, port };
      this.bound.push({ config, server, security: new ListenerSecurity(config, security, this.log) });
    }
    return this.bound;
  }

  /**
   * Every broker is a member of a KRaft cluster (a lone broker is a quorum of one): it serves at
   * once (the other voters need this one to elect a controller), and resolves once the controller
   * has unfenced it.
   */
  private async startAsClusterMember(
    listeners: readonly BoundListener[],
    address: { host: string; port: number },
  ): Promise<{ host: string; port: number }> {
    // The others reach this broker on its inter-broker listener, registered first: its endpoint
    // is the one replicas fetch from; clients are told their own listener's.
    const interBroker = interBrokerListener(this.listeners, this.interBrokerListenerName);
    const registered = [interBroker, ...this.listeners.filter((l) => l !== interBroker)];
    const member = createClusterMember(
      this.config,
      {
        host: interBroker.host,
        port: interBroker.port,
        listeners: registered.map((l) => ({ ...l, securityProtocol: SECURITY_PROTOCOL_IDS[l.securityProtocol] })),
      },
      this.fs,
      this.log,
      this.events,
    );
    this.member = member;
    const groups = this.createGroupCoordinator(
      member.topics,
      member.view,
      brokerNumber(this.config, "offsets.topic.num.partitions"),
    );
    const transactions = this.createTransactionCoordinator(member, groups);
    // The coordinators serve the groups and transactional ids of the partitions this broker leads.
    member.replicas.onLeadershipChange((change) => {
      const coordinator =
        change.topic === CONSUMER_OFFSETS_TOPIC
          ? groups
          : change.topic === TRANSACTION_STATE_TOPIC
            ? transactions
            : null;
      if (coordinator === null) return;
      if (change.kind === "became-leader") coordinator.onElection(change.partition, change.leaderEpoch);
      else coordinator.onResignation(change.partition, change.leaderEpoch);
    });
    const state: BrokerState = {
      config: this.config,
      kraft: member,
      raft: member.raft,
      cluster: member.view,
      topics: member.topics,
      groups,
      transactions,
      ensureTransactionStateTopic: () => this.ensureTransactionStateTopic(member),
      events: this.events,
      metrics: this.metrics,
      log: this.log,
    };
    // The listeners serve the quorum, the controller and other brokers at once (catching up needs
    // them); clients wait until this broker has caught up.
    let caughtUp!: () => void;
    state.catchingUp = new Promise<void>((resolve) => {
      caughtUp = resolve;
    });
    this.state = state;
    this.serve(listeners, state);
    await member.start();
    state.catchingUp = undefined;
    caughtUp();
    // Unfenced means caught up: leaderships this broker lost while it was away are known by now.
    groups.startup().catch((error: unknown) =>
      this.log.error("group coordinator did not start", {
        error: error instanceof Error ? error.message : String(error),
      }),
    );
    transactions.startup().catch((error: unknown) =>
      this.log.error("transaction coordinator did not start", {
        error: error instanceof Error ? error.message : String(error),
      }),
    );
    this.schedulePeriodicWork(state);
    void this.ensureOffsetsTopic(member);
    this.log.info("broker started", {
      nodeId: this.config.nodeId,
      clusterId: member.clusterId,
      controller: member.controller !== undefined,
      dataDir: this.config.dataDir,
    });
    return address;
  }

  /** Asks the controller for __consumer_offsets until it exists (enough brokers may join only later). */
  private ensureOffsetsTopic(member: ClusterMember): Promise<void> {
    return this.ensureInternalTopic(
      member,
      CONSUMER_OFFSETS_TOPIC,
      brokerNumber(this.config, "offsets.topic.num.partitions"),
      brokerNumber(this.config, "offsets.topic.replication.factor"),
    );
  }

  /** __transaction_state is made on the first ask for a transaction coordinator, as Kafka makes it. */
  private ensureTransactionStateTopic(member: ClusterMember): void {
    if (this.transactionStateTopicAsked) return;
    this.transactionStateTopicAsked = true;
    void this.ensureInternalTopic(
      member,
      TRANSACTION_STATE_TOPIC,
      brokerNumber(this.config, "transaction.state.log.num.partitions"),
      brokerNumber(this.config, "transaction.state.log.replication.factor"),
    );
  }

  private async ensureInternalTopic(
    member: ClusterMember,
    name: string,
    numPartitions: number,
    replicationFactor: number,
  ): Promise<void> {
    while (!this.stopping && !member.view.topic(name)) {
      try {
        await member.channel.send(Apis.CreateTopics, {
          topics: [{ name, numPartitions, replicationFactor, assignments: [], configs: offsetsTopicConfigs }],
          timeoutMs: 30_000,
          validateOnly: false,
        });
      } catch (error) {
        this.log.debug(`${name} not created yet`, {
          error: error instanceof Error ? error.message : String(error),
        });
      }
      if (!member.view.topic(name)) await new Promise((resolve) => setTimeout(resolve, 500).unref());
    }
  }

  private createTransactionCoordinator(member: ClusterMember, groups: GroupCoordinator): TransactionCoordinator {
    this.markers = new TxnMarkerChannel({
      localBrokerId: this.config.nodeId,
      cluster: member.view,
      topics: member.topics,
      groups,
      timeoutMs: MARKER_ACK_TIMEOUT_MS,
      retryBackoffMs: transactionRetryBackoffMs,
      log: this.log,
    });
    return new TransactionCoordinator({
      stateLog: TransactionStateLog.onTopics(member.topics, MARKER_ACK_TIMEOUT_MS),
      numPartitions: brokerNumber(this.config, "transaction.state.log.num.partitions"),
      maxTransactionTimeoutMs: brokerNumber(this.config, "transaction.max.timeout.ms"),
      transactionalIdExpirationMs: brokerNumber(this.config, "transactional.id.expiration.ms"),
      producerIds: member.producerIds,
      markers: this.markers,
      now: () => Date.now(),
      retryBackoffMs: transactionRetryBackoffMs,
      log: this.log,
    });
  }

  private createGroupCoordinator(
    topics: TopicAccess,
    cluster: ClusterView,
    offsetsTopicNumPartitions: number,
  ): GroupCoordinator {
    return new GroupCoordinator({
      offsetsLog: new ConsumerOffsetsLog(topics, brokerNumber(this.config, "offsets.commit.timeout.ms")),
      config: {
        groupMinSessionTimeoutMs: brokerNumber(this.config, "group.min.session.timeout.ms"),
        groupMaxSessionTimeoutMs: brokerNumber(this.config, "group.max.session.timeout.ms"),
        groupInitialRebalanceDelayMs: brokerNumber(this.config, "group.initial.rebalance.delay.ms"),
        offsetMetadataMaxBytes: brokerNumber(this.config, "offset.metadata.max.bytes"),
        groupMaxSize: brokerNumber(this.config, "group.max.size"),
        offsetsTopicNumPartitions,
        consumerGroupSessionTimeoutMs: brokerNumber(this.config, "group.consumer.session.timeout.ms"),
        consumerGroupHeartbeatIntervalMs: brokerNumber(this.config, "group.consumer.heartbeat.interval.ms"),
        consumerGroupAssignors: brokerProp(this.config, "group.consumer.assignors").split(","),
      },
      partitionExists: (topic, partition) => topics.partition(topic, partition) !== undefined,
      subscribableTopics: () =>
        cluster.allTopics().map((topic) => ({
          name: topic.name,
          topicId: topic.topicId,
          partitionCount: topic.partitions.length,
          isInternal: topic.isInternal,
        })),
      log: this.log,
      events: this.events,
    });
  }

  private serve(listeners: readonly BoundListener[], state: BrokerState): void {
    const maxRequestBytes = brokerNumber(this.config, "socket.request.max.bytes");
    const quotas = new ConnectionQuotas({
      maxConnections: brokerNumber(this.config, "max.connections"),
      maxConnectionsPerIp: brokerNumber(this.config, "max.connections.per.ip"),
      perIpOverrides: parsePerIpOverrides(brokerProp(this.config, "max.connections.per.ip.overrides")),
    });
    const limits = {
      maxInFlightRequests: MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION,
      idleTimeoutMs: brokerNumber(this.config, "connections.max.idle.ms"),
      memoryPool: new RequestMemoryPool(brokerNumber(this.config, "queued.max.request.bytes")),
    };
    // Refusals and bad requests arrive in floods: the log says each kind once per interval, counted.
    const warnings = new ThrottledWarnings(this.log);
    const connectionLog: ConnectionLog = {
      debug: (message, fields) => this.log.debug(message, fields),
      warn: (message, fields) => warnings.warn(message, fields),
    };
    for (const { server, security } of listeners) {
      const route = createRequestRouter(state, security);
      server.on("connection", (socket: Socket) => {
        const ip = socket.remoteAddress ?? "";
        const admission = quotas.admit(ip);
        if (!admission.admitted) {
          this.metrics.connectionRefused(admission.limit);
          warnings.warn(`connection refused: ${admission.limit}`, { reason: admission.reason });
          socket.destroy();
          return;
        }
        const connection = new Connection(socket, route, maxRequestBytes, connectionLog, limits);
        this.connections.add(connection);
        this.metrics.connectionOpened();
        socket.on("close", () => {
          this.connections.delete(connection);
          quotas.release(ip);
          this.metrics.connectionClosed();
        });
      });
    }
  }

  private startAdmin(
    listen: { host: string; port: number },
    kafka: { host: string; port: number },
  ): Promise<{ host: string; port: number }> {
    this.admin = new AdminServer({
      ...listen,
      state: () => this.state,
      identity: () => ({ listener: `${kafka.host}:${kafka.port}`, startedAt: this.startedAt }),
      events: this.events,
      metrics: this.metrics,
      log: this.log,
    });
    return this.admin.start();
  }

  /** The handlers' state once started (tests reach into it). */
  get current(): BrokerState | undefined {
    return this.state;
  }

  /** Stops accepting, closes client connections, stops the coordinator and flushes every log. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const timer of this.timers) clearInterval(timer);
    // A cluster member hands its leaderships over while it still serves its followers.
    if (this.member) await this.member.stop();
    // server.close() waits for open connections, so they are closed right after it stops accepting.
    const closed = Promise.all(
      this.servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
    );
    for (const connection of this.connections) connection.close();
    await closed;
    if (this.state) {
      this.state.transactions.close();
      this.markers?.close();
      await this.state.groups.close();
    }
    await this.admin?.stop();
    this.metrics.close();
    this.log.info("broker stopped");
  }

  private schedulePeriodicWork(state: BrokerState): void {
    // Partition by partition: a log that fails goes offline and says so once (topics.ts), and the
    // work goes on for the others; offline logs are left alone until the broker restarts.
    const everyPartition = (ms: number, work: (partition: Partition) => void): void => {
      const timer = setInterval(() => {
        for (const partition of state.topics.allPartitions()) {
          if (partition.log.isOffline) continue;
          try {
            work(partition);
          } catch (err) {
            if (partition.log.isOffline) continue;
            this.log.error("periodic log work failed", {
              topic: partition.topic,
              partition: partition.index,
              error: err instanceof Error ? err.message : String(err),
            });
          }
        }
      }, ms);
      timer.unref();
      this.timers.push(timer);
    };
    everyPartition(brokerNumber(this.config, "log.retention.check.interval.ms"), (partition) => {
      const { deletedSegments } = partition.log.applyRetention();
      if (deletedSegments > 0)
        this.log.info("retention deleted segments", {
          topic: partition.topic,
          partition: partition.index,
          deletedSegments,
        });
    });
    everyPartition(brokerNumber(this.config, "log.cleaner.backoff.ms"), (partition) => {
      if (partition.log.config.cleanupPolicy === "compact") compactLog(partition.log);
    });
    everyPartition(flushCheckIntervalMs, (partition) => partition.log.flushIfDue());
    const transactionWork = (setting: string, work: () => Promise<number>, what: string): void => {
      const timer = setInterval(
        () =>
          void work().catch((error: unknown) =>
            this.log.error(`${what} failed`, { error: error instanceof Error ? error.message : String(error) }),
          ),
        brokerNumber(this.config, setting),
      );
      timer.unref();
      this.timers.push(timer);
    };
    transactionWork(
      "transaction.abort.timed.out.transaction.cleanup.interval.ms",
      () => state.transactions.abortTimedOutTransactions(),
      "aborting timed-out transactions",
    );
    transactionWork(
      "transaction.remove.expired.transaction.cleanup.interval.ms",
      () => state.transactions.removeExpiredTransactionalIds(),
      "removing expired transactional ids",
    );
  }
}
