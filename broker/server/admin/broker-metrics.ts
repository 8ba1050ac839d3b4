// The broker's Prometheus metrics, served at the admin listener's /metrics. Named after Kafka's JMX
// MBeans as the Prometheus JMX exporter renders them (kafka.server:type=BrokerTopicMetrics,
// name=BytesInPerSec,topic=T -> kafka_server_brokertopicmetrics_bytesin_total{topic="T"}), so
// dashboards written for Kafka read them. Request latency is a histogram in milliseconds, as
// Kafka's TotalTimeMs; consumer group lag is named as the usual lag exporters name it.
//
// Counting is synchronous and cheap (a counter add per request, per produced or fetched partition):
// the request router and the produce and fetch handlers call in. What is a state rather than a
// count (under-replicated partitions, the active controller, group lag) is read from the broker at
// scrape time. Group rebalances and ISR changes are counted from the broker's event journal.
//
// Ownership: a BrokerMetrics owns its own prom-client Registry (never the global one, so several
// brokers in one test process keep theirs apart) and its journal subscription, until close().
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { BrokerState } from "../broker-state.ts";
import type { ConnectionLimitName } from "../connection-quotas.ts";
import type { ClusterEvent, EventJournal } from "./cluster-events.ts";

/** Milliseconds: a local request takes well under one; a long-polling fetch waits up to its max wait. */
const requestTimeBucketsMs = [0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000];

export interface BrokerMetricsOptions {
  nodeId: number;
  events: EventJournal;
  /** The broker's state once started; the scrape-time gauges read nothing before. */
  state: () => BrokerState | undefined;
  /** Node's process metrics (CPU, memory, event loop lag) too; off for brokers nobody scrapes. */
  processMetrics?: boolean;
}

export class BrokerMetrics {
  readonly registry = new Registry();
  readonly #bytesIn: Counter<"topic">;
  readonly #messagesIn: Counter<"topic">;
  readonly #bytesOut: Counter<"topic">;
  readonly #failedProduce: Counter<"topic">;
  readonly #requests: Counter<"request">;
  readonly #requestTime: Histogram<"request">;
  readonly #isrShrinks: Counter;
  readonly #isrExpands: Counter;
  readonly #rebalances: Counter<"group">;
  readonly #connections: Gauge;
  readonly #connectionsRefused: Counter<"limit">;
  readonly #unsubscribe: () => void;

  constructor(private readonly options: BrokerMetricsOptions) {
    const registers = [this.registry];
    this.#bytesIn = new Counter({
      name: "kafka_server_brokertopicmetrics_bytesin_total",
      help: "Bytes produced to the partitions this broker leads (BytesInPerSec), by topic",
      labelNames: ["topic"],
      registers,
    });
    this.#messagesIn = new Counter({
      name: "kafka_server_brokertopicmetrics_messagesin_total",
      help: "Records appended by produce requests (MessagesInPerSec), by topic",
      labelNames: ["topic"],
      registers,
    });
    this.#bytesOut = new Counter({
      name: "kafka_server_brokertopicmetrics_bytesout_total",
      help: "Bytes fetched by consumers, followers' fetches excluded (BytesOutPerSec), by topic",
      labelNames: ["topic"],
      registers,
    });
    this.#failedProduce = new Counter({
      name: "kafka_server_brokertopicmetrics_failedproducerequests_total",
      help: "Partitions of produce requests refused (FailedProduceRequestsPerSec), by topic",
      labelNames: ["topic"],
      registers,
    });
    this.#requests = new Counter({
      name: "kafka_network_requestmetrics_requests_total",
      help: "Requests answered (RequestsPerSec), by API",
      labelNames: ["request"],
      registers,
    });
    this.#requestTime = new Histogram({
      name: "kafka_network_requestmetrics_totaltimems",
      help: "Milliseconds from a request's arrival to its answer (TotalTimeMs), by API",
      labelNames: ["request"],
      buckets: requestTimeBucketsMs,
      registers,
    });
    this.#isrShrinks = new Counter({
      name: "kafka_server_replicamanager_isrshrinks_total",
      help: "ISR shrinks of partitions this broker leads (IsrShrinksPerSec)",
      registers,
    });
    this.#isrExpands = new Counter({
      name: "kafka_server_replicamanager_isrexpands_total",
      help: "ISR expansions of partitions this broker leads (IsrExpandsPerSec)",
      registers,
    });
    this.#rebalances = new Counter({
      name: "kafka_coordinator_group_rebalances_total",
      help: "Completed rebalances of the groups this broker coordinates, by group",
      labelNames: ["group"],
      registers,
    });
    this.#connections = new Gauge({
      name: "kafka_server_socket_server_metrics_connection_count",
      help: "Client connections open on the Kafka listener (connection-count)",
      registers,
    });
    this.#connectionsRefused = new Counter({
      name: "kafka_server_socket_server_metrics_connections_refused_total",
      help: "Connections closed on arrival by a limit: max.connections or max.connections.per.ip",
      labelNames: ["limit"],
      registers,
    });
    this.#scrapeTimeGauges(registers);
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry });
    this.#unsubscribe = options.events.subscribe((event) => this.#countEvent(event));
  }

  /** A request answered after `elapsedMs` (or found to need no answer). */
  requestHandled(api: string, elapsedMs: number): void {
    this.#requests.inc({ request: api });
    this.#requestTime.observe({ request: api }, elapsedMs);
  }

  /** Batches of `bytes` holding `messages` records appended to a partition of `topic` led here. */
  produced(topic: string, bytes: number, messages: number): void {
    this.#bytesIn.inc({ topic }, bytes);
    if (messages > 0) this.#messagesIn.inc({ topic }, messages);
  }

  produceRefused(topic: string): void {
    this.#failedProduce.inc({ topic });
  }

  /** A consumer's fetch answered with `bytes` of batches of `topic`. */
  fetched(topic: string, bytes: number): void {
    if (bytes > 0) this.#bytesOut.inc({ topic }, bytes);
  }

  connectionOpened(): void {
    this.#connections.inc();
  }

  connectionClosed(): void {
    this.#connections.dec();
  }

  connectionRefused(limit: ConnectionLimitName): void {
    this.#connectionsRefused.inc({ limit });
  }

  /** The exposition text and its content type. */
  async scrape(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }

  close(): void {
    this.#unsubscribe();
  }

  #countEvent(event: ClusterEvent): void {
    if (event.kind === "rebalance-completed" && event.group !== undefined) this.#rebalances.inc({ group: event.group });
    // Every broker records an ISR change it applies from the metadata; Kafka counts it at the leader.
    const atThisLeader = event.leader === undefined || event.leader === this.options.nodeId;
    if (event.kind === "isr-shrank" && atThisLeader) this.#isrShrinks.inc();
    if (event.kind === "isr-expanded" && atThisLeader) this.#isrExpands.inc();
  }

  #scrapeTimeGauges(registers: Registry[]): void {
    const state = this.options.state;
    const led = () => (state()?.topics.allPartitions() ?? []).filter((p) => p.replication.isLeader);
    new Gauge({
      name: "kafka_server_replicamanager_underreplicatedpartitions",
      help: "Partitions led here whose ISR is smaller than their replica set (UnderReplicatedPartitions)",
      registers,
      collect() {
        this.set(led().filter((p) => p.replication.isr.length < p.replication.replicas.length).length);
      },
    });
    new Gauge({
      name: "kafka_server_replicamanager_partitioncount",
      help: "Partitions with a replica on this broker (PartitionCount)",
      registers,
      collect() {
        this.set(state()?.topics.allPartitions().length ?? 0);
      },
    });
    new Gauge({
      name: "kafka_server_replicamanager_leadercount",
      help: "Partitions this broker leads (LeaderCount)",
      registers,
      collect() {
        this.set(led().length);
      },
    });
    new Gauge({
      name: "kafka_controller_kafkacontroller_activecontrollercount",
      help: "1 on the active controller, else 0 (ActiveControllerCount)",
      registers,
      collect() {
        this.set(state()?.kraft.controller?.isActive ? 1 : 0);
      },
    });
    new Gauge({
      name: "kafka_consumergroup_lag",
      help: "High watermark minus committed offset, for the groups this broker coordinates and partitions it hosts",
      labelNames: ["group", "topic", "partition"],
      registers,
      async collect() {
        this.reset();
        const current = state();
        if (current === undefined) return;
        for (const lag of await groupLags(current)) this.set(lag.labels, lag.records);
      },
    });
  }
}

interface GroupLag {
  labels: { group: string; topic: string; partition: string };
  records: number;
}

/** The lag of every committed offset whose partition is hosted here (its high watermark is known only then). */
async function groupLags(state: BrokerState): Promise<GroupLag[]> {
  const listed = await state.groups.list();
  const lags: GroupLag[] = [];
  for (const { groupId } of listed.groups) {
    const committed = await state.groups.fetchOffsets(groupId, null);
    for (const topic of committed.topics) {
      for (const partition of topic.partitions) {
        const hosted = state.topics.partition(topic.topic, partition.partition);
        if (hosted === undefined || partition.offset < 0n) continue;
        const lag = hosted.highWatermark - partition.offset;
        lags.push({
          labels: { group: groupId, topic: topic.topic, partition: String(partition.partition) },
          records: Number(lag > 0n ? lag : 0n),
        });
      }
    }
  }
  return lags;
}
