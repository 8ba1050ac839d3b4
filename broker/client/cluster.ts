// What the client knows of the cluster: the brokers, the topics it targets and their partition
// leaders, with one connection per broker. Producer, consumer and admin all go through it, so
// metadata refresh and reconnection after a broker restart live in one place.
//
// Ownership: a Cluster owns its broker connections and its metadata snapshot; a refresh replaces
// the snapshot whole, so readers never see a half-updated view.
import { Apis } from "../protocol/apis.ts";
import { ErrorCode } from "../protocol/errors.ts";
import type { MetadataResponse } from "../protocol/messages/index.ts";
import {
  KafkaJSBrokerNotFound,
  KafkaJSConnectionError,
  KafkaJSGroupCoordinatorNotFound,
  KafkaJSNoBrokerAvailableError,
  KafkaJSProtocolError,
  KafkaJSSASLAuthenticationError,
  KafkaJSTopicMetadataNotLoaded,
} from "./errors.ts";
import type { Logger } from "./logger.ts";
import { BrokerConnection, type NetworkInstrumentation } from "./network/broker-connection.ts";
import { createRetrier, type Retrier, type RetryOptions } from "./retry.ts";
import type { PartitionMetadata, SASLOptions } from "./types.ts";

export interface ClusterOptions {
  brokers: string[] | (() => string[] | Promise<string[]>);
  clientId: string;
  connectionTimeout: number;
  requestTimeout: number;
  retry?: RetryOptions;
  logger: Logger;
  allowAutoTopicCreation?: boolean;
  /** Every connection, to the bootstrap brokers and to those Metadata names, authenticates with it. */
  sasl?: SASLOptions;
}

export interface TopicMetadata {
  name: string;
  /** The topic id (32 hex digits) once `useTopicIds()` was called; absent before. */
  topicId?: string;
  isInternal: boolean;
  partitions: PartitionMetadata[];
}

interface MetadataSnapshot {
  clusterId: string | null;
  controllerId: number;
  brokers: Map<number, { host: string; port: number }>;
  topics: Map<string, TopicMetadata>;
}

const parseAddress = (address: string): { host: string; port: number } => {
  const colon = address.lastIndexOf(":");
  return { host: address.slice(0, colon), port: Number(address.slice(colon + 1)) };
};

/** FindCoordinator's key types (kafkajs's COORDINATOR_TYPES). */
export const CoordinatorType = { GROUP: 0, TRANSACTION: 1 } as const;
export type CoordinatorType = (typeof CoordinatorType)[keyof typeof CoordinatorType];

/** The first Metadata version with topic ids. */
const TOPIC_IDS_METADATA_VERSION = 10;

export class Cluster {
  readonly retrier: Retrier;
  private readonly targetTopics = new Set<string>();
  private readonly connections = new Map<string, BrokerConnection>();
  private snapshot: MetadataSnapshot | undefined;
  private refreshing: Promise<void> | undefined;
  private instrumentation: NetworkInstrumentation | undefined;
  /** Whether metadata is asked at a version with topic ids (the KIP-848 consumer names topics by id). */
  private withTopicIds = false;
  /** What every connection reports to: whichever instrumentation the cluster has at the time. */
  private readonly connectionInstrumentation: NetworkInstrumentation = {
    listens: (kind) => this.instrumentation?.listens(kind) ?? false,
    request: (payload) => this.instrumentation?.request(payload),
    requestTimeout: (payload) => this.instrumentation?.requestTimeout(payload),
    requestQueueSize: (payload) => this.instrumentation?.requestQueueSize(payload),
  };

  constructor(private readonly options: ClusterOptions) {
    this.retrier = createRetrier(options.retry);
  }

  /** The client that owns this cluster hears about every request of its connections, existing and future. */
  instrument(instrumentation: NetworkInstrumentation): void {
    this.instrumentation = instrumentation;
  }

  get logger(): Logger {
    return this.options.logger;
  }

  get isConnected(): boolean {
    return this.snapshot !== undefined;
  }

  async connect(): Promise<void> {
    await this.refreshMetadata();
  }

  disconnect(): void {
    for (const connection of this.connections.values()) connection.disconnect();
    this.connections.clear();
    this.snapshot = undefined;
  }

  /**
   * Topics whose metadata every refresh fetches. A topic the cluster does not have (and will not
   * create) is dropped again, as in kafkajs, or every later refresh would fail on it.
   */
  async addTargetTopics(topics: string[]): Promise<void> {
    const added = topics.filter((topic) => !this.targetTopics.has(topic));
    for (const topic of added) this.targetTopics.add(topic);
    if (added.length > 0 || !this.snapshot || topics.some((t) => !this.snapshot!.topics.has(t))) {
      try {
        await this.refreshMetadata();
      } catch (error) {
        if (hasAbsentTopicCause(error)) for (const topic of added) this.targetTopics.delete(topic);
        throw error;
      }
    }
  }

  /** The retry settings this cluster was made with (the client's, merged with the producer's or consumer's). */
  get retryOptions(): RetryOptions {
    return this.options.retry ?? {};
  }

  /** Concurrent callers share one refresh. */
  refreshMetadata(): Promise<void> {
    this.refreshing ??= this.loadMetadata().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  async refreshMetadataIfNecessary(topics: string[] = []): Promise<void> {
    if (!this.snapshot || topics.some((t) => !this.snapshot!.topics.has(t))) await this.refreshMetadata();
  }

  /**
   * From now on, metadata is asked at a version that carries topic ids (Metadata v10+), when the
   * broker serves one; until then the client stays on the version it was written for.
   */
  useTopicIds(): void {
    this.withTopicIds = true;
  }

  /** The name of the topic with this id (hex), among the topics the metadata knows. */
  topicNameById(topicId: string): string | undefined {
    for (const topic of this.snapshot?.topics.values() ?? []) if (topic.topicId === topicId) return topic.name;
    return undefined;
  }

  topicMetadata(topic: string): TopicMetadata {
    const metadata = this.snapshot?.topics.get(topic);
    if (!metadata) throw new KafkaJSTopicMetadataNotLoaded(`Topic metadata not loaded for ${topic}`, topic);
    return metadata;
  }

  hasTopic(topic: string): boolean {
    return this.snapshot?.topics.has(topic) ?? false;
  }

  get brokers(): { nodeId: number; host: string; port: number }[] {
    return [...(this.snapshot?.brokers ?? new Map()).entries()].map(([nodeId, b]) => ({ nodeId, ...b }));
  }

  get clientId(): string {
    return this.options.clientId;
  }

  /**
   * A connection outside the shared pool, owned (and disconnected) by the caller. The consumer
   * sends its group requests on one: a broker answers each connection's requests in order, so a
   * heartbeat or commit on the shared connection would wait behind a long-polling Fetch.
   */
  createConnection(host: string, port: number): BrokerConnection {
    const { clientId, connectionTimeout, requestTimeout, logger, sasl } = this.options;
    return new BrokerConnection({
      host,
      port,
      clientId,
      connectionTimeout,
      requestTimeout,
      logger,
      instrumentation: this.connectionInstrumentation,
      ...(sasl ? { sasl } : {}),
    });
  }

  get clusterId(): string | null {
    return this.snapshot?.clusterId ?? null;
  }

  get controllerId(): number {
    return this.snapshot?.controllerId ?? -1;
  }

  async connectionTo(nodeId: number): Promise<BrokerConnection> {
    const broker = this.snapshot?.brokers.get(nodeId);
    if (!broker) throw new KafkaJSBrokerNotFound(`Broker ${nodeId} not found in the cached metadata`);
    const connection = this.connectionFor(broker.host, broker.port);
    await connection.connect();
    return connection;
  }

  async leaderFor(topic: string, partition: number): Promise<{ nodeId: number; connection: BrokerConnection }> {
    const metadata = this.topicMetadata(topic).partitions.find((p) => p.partitionId === partition);
    if (!metadata || metadata.leader < 0)
      throw new KafkaJSProtocolError(ErrorCode.LEADER_NOT_AVAILABLE, `no leader for ${topic}-${partition}`);
    return { nodeId: metadata.leader, connection: await this.connectionTo(metadata.leader) };
  }

  async controller(): Promise<BrokerConnection> {
    if (!this.snapshot) await this.refreshMetadata();
    return this.connectionTo(this.controllerId);
  }

  /** Any reachable broker: a connected one first, else the known brokers, else the seeds. */
  async anyConnection(): Promise<BrokerConnection> {
    for (const connection of this.connections.values()) if (connection.isConnected) return connection;
    const seeds = async () => (await this.seedBrokers()).map(parseAddress);
    // Seeds are also the way back in after every known broker moved or restarted.
    const rounds = this.snapshot ? [async () => this.brokers, seeds] : [seeds];
    let lastError: unknown;
    for (const candidates of rounds) {
      for (const { host, port } of shuffle(await candidates())) {
        const connection = this.connectionFor(host, port);
        try {
          await connection.connect();
          return connection;
        } catch (err) {
          // Refused credentials fail on every broker alike: the caller hears it, not "no broker".
          if (err instanceof KafkaJSSASLAuthenticationError) throw err;
          lastError = err;
          this.logger.debug("broker unreachable", { broker: `${host}:${port}`, error: (err as Error).message });
        }
      }
    }
    throw lastError instanceof KafkaJSConnectionError ? lastError : new KafkaJSNoBrokerAvailableError();
  }

  async findGroupCoordinator(groupId: string): Promise<BrokerConnection> {
    return this.findCoordinator(groupId, CoordinatorType.GROUP);
  }

  /** The coordinator of a group (GROUP) or of a transactional id (TRANSACTION), connected. */
  async findCoordinator(key: string, keyType: CoordinatorType): Promise<BrokerConnection> {
    return this.retrier(async (bail) => {
      const connection = await this.anyConnection();
      const response = await connection.request(Apis.FindCoordinator, { key, keyType });
      if (response.errorCode === ErrorCode.COORDINATOR_NOT_AVAILABLE)
        throw new KafkaJSProtocolError(response.errorCode, response.errorMessage);
      if (response.errorCode !== ErrorCode.NONE)
        bail(
          new KafkaJSGroupCoordinatorNotFound(
            `Failed to find group coordinator: ${new KafkaJSProtocolError(response.errorCode).message}`,
          ),
        );
      const coordinator = this.connectionFor(response.host, response.port);
      await coordinator.connect();
      return coordinator;
    });
  }

  private connectionFor(host: string, port: number): BrokerConnection {
    const key = `${host}:${port}`;
    let connection = this.connections.get(key);
    if (!connection) {
      connection = this.createConnection(host, port);
      this.connections.set(key, connection);
    }
    return connection;
  }

  private async seedBrokers(): Promise<string[]> {
    const { brokers } = this.options;
    const list = typeof brokers === "function" ? await brokers() : brokers;
    if (list.length === 0) throw new KafkaJSNoBrokerAvailableError("No brokers configured");
    return list;
  }

  private async loadMetadata(): Promise<void> {
    await this.retrier(async () => {
      const connection = await this.anyConnection();
      const topics = [...this.targetTopics].map((name) => ({ name }));
      const version = connection.versionFor(Apis.Metadata, this.withTopicIds ? TOPIC_IDS_METADATA_VERSION : undefined);
      const response: MetadataResponse = await connection.request(
        Apis.Metadata,
        { topics, allowAutoTopicCreation: this.options.allowAutoTopicCreation ?? true },
        { version },
      );
      const missing = response.topics.find(
        (t) => t.errorCode === ErrorCode.LEADER_NOT_AVAILABLE || t.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      );
      const snapshot: MetadataSnapshot = {
        clusterId: response.clusterId ?? null,
        controllerId: response.controllerId ?? -1,
        brokers: new Map(response.brokers.map((b) => [b.nodeId, { host: b.host, port: b.port }])),
        topics: new Map(
          response.topics
            .filter((t) => t.errorCode === ErrorCode.NONE)
            .map((t) => [
              t.name,
              {
                name: t.name,
                // Below v10 the decoded id is the zero uuid, Kafka's "no id".
                ...(t.topicId === undefined || t.topicId.every((byte) => byte === 0)
                  ? {}
                  : { topicId: t.topicId.toString("hex") }),
                isInternal: t.isInternal ?? false,
                partitions: t.partitions
                  .map((p) => ({
                    partitionErrorCode: p.errorCode,
                    partitionId: p.partitionIndex,
                    leader: p.leaderId,
                    replicas: p.replicaNodes,
                    isr: p.isrNodes,
                    offlineReplicas: p.offlineReplicas ?? [],
                  }))
                  .sort((a, b) => a.partitionId - b.partitionId),
              },
            ]),
        ),
      };
      this.snapshot = snapshot;
      // A topic being created answers LEADER_NOT_AVAILABLE for a moment: retry until it is there.
      if (missing) throw new KafkaJSProtocolError(missing.errorCode, `topic ${missing.name}`);
    });
  }
}

const absentTopicErrors = new Set([
  "UNKNOWN_TOPIC_OR_PARTITION",
  "INVALID_TOPIC_EXCEPTION",
  "TOPIC_AUTHORIZATION_FAILED",
]);

/** Whether the error, or one it wraps (retries exhausted), says a topic does not exist or may not be used. */
function hasAbsentTopicCause(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    if (absentTopicErrors.has((current as { type?: string }).type ?? "")) return true;
  }
  return false;
}

function shuffle<T>(items: T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}
