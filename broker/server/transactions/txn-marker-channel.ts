// Writes a transaction's markers to its partitions (Kafka's TransactionMarkerChannelManager): a
// partition this broker leads gets its marker appended here (PartitionState.appendTxnMarkerAsLeader,
// then the ISR's acks); one another broker leads gets a WriteTxnMarkers request over the
// inter-broker connection. A partition whose leader is unknown, has moved, or could not take the
// marker yet is tried again after a backoff, until every partition has it, the producer or
// coordinator epoch turns out fenced, or the coordinator gives the transaction up (it no longer
// coordinates it).
//
// A marker on a `__consumer_offsets` partition also ends the producer's pending transactional
// offsets there (the group coordinator's onTransactionCompleted), here and in the WriteTxnMarkers
// handler alike: both go through `appendMarkerLocally`.
//
// Ownership: a TxnMarkerChannel owns its connections to the other brokers (one per broker, opened
// when first needed, closed by close()); each send owns its own set of partitions still pending.
import type { BrokerConnection } from "../../client/network/broker-connection.ts";
import { Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { TxnMarker } from "../../protocol/record-batch/control-records.ts";
import type { ClusterView } from "../cluster.ts";
import type { GroupCoordinator } from "../groups/coordinator.ts";
import { CONSUMER_OFFSETS_TOPIC } from "../groups/offsets-record-format.ts";
import { interBrokerConnection } from "../inter-broker-connection.ts";
import type { Logger } from "../logger.ts";
import { awaitAcks } from "../replication/delayed-produce.ts";
import type { TopicAccess } from "../topics.ts";
import type { TopicPartitionSet } from "./transaction-metadata.ts";

/** How long a marker may wait for the ISR (Kafka uses request.timeout.ms, 30 s by default). */
export const MARKER_ACK_TIMEOUT_MS = 30_000;

export type { TxnMarker };

/** How a send ended: every partition has the marker, the marker was fenced, or the coordinator gave up. */
export type MarkerOutcome = "written" | "fenced" | "abandoned";

/** What writing a marker on this broker needs. */
export interface LocalMarkerContext {
  topics: Pick<TopicAccess, "partition">;
  /** Told of markers on `__consumer_offsets` partitions; absent in tests without groups. */
  groups?: Pick<GroupCoordinator, "onTransactionCompleted">;
  /** How long the ISR may take to have a marker. */
  timeoutMs: number;
}

/**
 * Appends the marker to a partition this broker leads and resolves with its error code once the
 * ISR has it (acks=all, as Kafka writes markers).
 */
export async function appendMarkerLocally(
  context: LocalMarkerContext,
  topic: string,
  partitionIndex: number,
  marker: TxnMarker,
): Promise<number> {
  const partition = context.topics.partition(topic, partitionIndex);
  if (partition === undefined) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
  const replication = partition.replication;
  const outcome = replication.appendTxnMarkerAsLeader(marker);
  if (outcome.errorCode !== ErrorCode.NONE) return outcome.errorCode;
  let acked: number = ErrorCode.NONE;
  await awaitAcks(
    [{ state: replication, requiredOffset: outcome.requiredOffset, answer: (code) => (acked = code) }],
    context.timeoutMs,
    replication.timers,
  );
  if (acked === ErrorCode.NONE && topic === CONSUMER_OFFSETS_TOPIC)
    await context.groups?.onTransactionCompleted(partitionIndex, marker.producerId, marker.commit);
  return acked;
}

export interface TxnMarkerChannelOptions extends LocalMarkerContext {
  localBrokerId: number;
  cluster: Pick<ClusterView, "brokers" | "topic">;
  /** Between rounds for the partitions still without their marker. */
  retryBackoffMs: number;
  log: Logger;
  /** How another broker is reached; the inter-broker connection unless a test puts another. */
  connect?: (address: { brokerId: number; host: string; port: number }) => MarkerConnection;
}

/** What the channel uses of a connection to another broker. */
export type MarkerConnection = Pick<BrokerConnection, "request" | "disconnect">;

/** What a remote leader answers for one partition; errors that mean "try again" are retried. */
function isFenced(errorCode: number): boolean {
  return errorCode === ErrorCode.INVALID_PRODUCER_EPOCH || errorCode === ErrorCode.TRANSACTION_COORDINATOR_FENCED;
}

const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export class TxnMarkerChannel {
  readonly #connections = new Map<number, MarkerConnection>();
  #closed = false;

  constructor(private readonly options: TxnMarkerChannelOptions) {}

  /** Writes `marker` to every partition; `isCurrent` false makes it give up (the coordinator moved). */
  async send(marker: TxnMarker, partitions: TopicPartitionSet, isCurrent: () => boolean): Promise<MarkerOutcome> {
    const pending = new Map<string, { topic: string; partition: number }>();
    for (const [topic, ids] of partitions)
      for (const partition of ids) pending.set(key(topic, partition), { topic, partition });
    for (let round = 0; pending.size > 0; round += 1) {
      if (round > 0) await new Promise((resolve) => setTimeout(resolve, this.options.retryBackoffMs));
      if (this.#closed || !isCurrent()) return "abandoned";
      const byLeader = new Map<number, { topic: string; partition: number }[]>();
      for (const [id, target] of pending) {
        const topic = this.options.cluster.topic(target.topic);
        // A deleted topic needs no marker any more.
        if (topic === undefined || topic.partitions[target.partition] === undefined) {
          pending.delete(id);
          continue;
        }
        const leader = topic.partitions[target.partition]!.leader;
        if (leader < 0) continue;
        byLeader.set(leader, [...(byLeader.get(leader) ?? []), target]);
      }
      const results = await Promise.all(
        [...byLeader].map(([leader, targets]) =>
          leader === this.options.localBrokerId
            ? this.#writeLocally(marker, targets)
            : this.#writeRemotely(leader, marker, targets),
        ),
      );
      for (const { topic, partition, errorCode } of results.flat()) {
        if (isFenced(errorCode)) {
          this.options.log.info("transaction marker fenced", {
            topic,
            partition,
            producerId: marker.producerId,
            errorCode,
          });
          return "fenced";
        }
        if (errorCode === ErrorCode.NONE || errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
          pending.delete(key(topic, partition));
      }
    }
    return "written";
  }

  close(): void {
    this.#closed = true;
    for (const connection of this.#connections.values()) connection.disconnect();
    this.#connections.clear();
  }

  async #writeLocally(
    marker: TxnMarker,
    targets: readonly { topic: string; partition: number }[],
  ): Promise<{ topic: string; partition: number; errorCode: number }[]> {
    return Promise.all(
      targets.map(async ({ topic, partition }) => ({
        topic,
        partition,
        errorCode: await appendMarkerLocally(this.options, topic, partition, marker).catch(
          () => ErrorCode.UNKNOWN_SERVER_ERROR,
        ),
      })),
    );
  }

  async #writeRemotely(
    leader: number,
    marker: TxnMarker,
    targets: readonly { topic: string; partition: number }[],
  ): Promise<{ topic: string; partition: number; errorCode: number }[]> {
    const failed = (errorCode: number) => targets.map((target) => ({ ...target, errorCode }));
    const connection = this.#connectionTo(leader);
    if (connection === undefined) return failed(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    const topics = new Map<string, number[]>();
    for (const { topic, partition } of targets) topics.set(topic, [...(topics.get(topic) ?? []), partition]);
    try {
      const response = await connection.request(Apis.WriteTxnMarkers, {
        markers: [
          {
            producerId: marker.producerId,
            producerEpoch: marker.producerEpoch,
            transactionResult: marker.commit,
            coordinatorEpoch: marker.coordinatorEpoch,
            topics: [...topics].map(([name, partitionIndexes]) => ({ name, partitionIndexes })),
          },
        ],
      });
      return (response.markers[0]?.topics ?? []).flatMap((topic) =>
        topic.partitions.map((p) => ({ topic: topic.name, partition: p.partitionIndex, errorCode: p.errorCode })),
      );
    } catch (error) {
      this.options.log.debug("WriteTxnMarkers failed", {
        leader,
        error: error instanceof Error ? error.message : String(error),
      });
      this.#connections.delete(leader);
      connection.disconnect();
      return failed(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    }
  }

  #connectionTo(brokerId: number): MarkerConnection | undefined {
    const existing = this.#connections.get(brokerId);
    if (existing !== undefined) return existing;
    const broker = this.options.cluster.brokers.find((b) => b.nodeId === brokerId);
    if (broker === undefined) return undefined;
    const connection =
      this.options.connect?.({ brokerId, host: broker.host, port: broker.port }) ??
      interBrokerConnection(
        { host: broker.host, port: broker.port },
        `txn-marker-${this.options.localBrokerId}-to-${brokerId}`,
        this.options.timeoutMs,
        this.options.log,
      );
    this.#connections.set(brokerId, connection);
    return connection;
  }
}
