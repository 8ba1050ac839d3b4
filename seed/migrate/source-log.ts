// Reads the topic being migrated as it is stored: a partition's start and end offsets, and its
// records in offset order between two offsets, whole (key and value bytes, headers, timestamp), so
// the copy can write them again unchanged. No consumer group, so reading leaves no committed
// offsets behind: one Fetch or ListOffsets to the partition's leader through our client's
// Cluster, decoded by the consumer's own decoder; a stale leader is asked again after a metadata
// refresh. Reads are read-committed: the end is the last stable offset.
//
// Owner of mutable state: a SourceLog owns its Cluster (connections and metadata).
import { Cluster } from "../../broker/client/cluster.ts";
import { decodeFetchedRecords } from "../../broker/client/consumer/fetched-records.ts";
import { STALE_METADATA_ERRORS } from "../../broker/client/consumer/fetcher.ts";
import type { KafkaMessage } from "../../broker/client/consumer/types.ts";
import { KafkaJSProtocolError } from "../../broker/client/errors.ts";
import { createLogger, logLevel } from "../../broker/client/logger.ts";
import { Apis } from "../../broker/protocol/apis.ts";
import { ErrorCode } from "../../broker/protocol/errors.ts";

export interface PartitionBounds {
  /** The first offset still in the log (retention may have deleted earlier ones). */
  start: bigint;
  /** The offset the next record will get (read committed: the last stable offset). */
  end: bigint;
}

const EARLIEST = -2n;
const LATEST = -1n;
const FETCH_BYTES = 1024 * 1024;

export class SourceLog {
  private readonly cluster: Cluster;

  constructor(brokers: string[], clientId = "migrate-topic") {
    this.cluster = new Cluster({
      brokers,
      clientId,
      connectionTimeout: 2_000,
      requestTimeout: 10_000,
      retry: { retries: 5, initialRetryTime: 100 },
      logger: createLogger(logLevel.NOTHING),
      allowAutoTopicCreation: false,
    });
  }

  /** Start and end offsets of every partition of `topic`, indexed by partition. */
  async bounds(topic: string, partitions: number): Promise<PartitionBounds[]> {
    const which = Array.from({ length: partitions }, (_, p) => p);
    const [starts, ends] = await Promise.all([
      Promise.all(which.map((p) => this.listOffset(topic, p, EARLIEST))),
      Promise.all(which.map((p) => this.listOffset(topic, p, LATEST))),
    ]);
    return which.map((p) => ({ start: starts[p]!, end: ends[p]! }));
  }

  /** The records of `topic`-`partition` from `from` up to (not including) `until`, a fetch at a time, in order. */
  async *read(topic: string, partition: number, from: bigint, until: bigint): AsyncGenerator<KafkaMessage[]> {
    let position = from;
    while (position < until) {
      const { messages, nextOffset } = await this.fetchOnce(topic, partition, position);
      const wanted = messages.filter((m) => BigInt(m.offset) < until);
      if (wanted.length > 0) yield wanted;
      if (nextOffset === null || nextOffset <= position)
        throw new Error(`${topic}-${partition} has no records from offset ${position}, though it ends at ${until}`);
      position = nextOffset;
    }
  }

  disconnect(): void {
    this.cluster.disconnect();
  }

  private async fetchOnce(
    topic: string,
    partition: number,
    offset: bigint,
  ): Promise<{ messages: KafkaMessage[]; nextOffset: bigint | null }> {
    return this.withLeader(topic, partition, async (connection) => {
      const response = await connection.request(Apis.Fetch, {
        clusterId: null,
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 1,
        maxBytes: FETCH_BYTES,
        isolationLevel: 1,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [
          {
            topic,
            partitions: [
              {
                partition,
                currentLeaderEpoch: -1,
                fetchOffset: offset,
                lastFetchedEpoch: -1,
                logStartOffset: -1n,
                partitionMaxBytes: FETCH_BYTES,
              },
            ],
          },
        ],
        forgottenTopicsData: [],
        rackId: "",
      });
      const data = response.responses[0]?.partitions.find((p) => p.partitionIndex === partition);
      if (!data) return { messages: [], nextOffset: null };
      if (data.errorCode !== ErrorCode.NONE)
        throw new KafkaJSProtocolError(data.errorCode, `fetching ${topic}-${partition} at ${offset}`);
      const blob = Array.isArray(data.records) ? Buffer.concat(data.records) : data.records;
      const decoded = decodeFetchedRecords(blob, offset, data.abortedTransactions, true);
      return {
        messages: decoded.messages,
        nextOffset: decoded.nextOffset === null ? null : BigInt(decoded.nextOffset),
      };
    });
  }

  private async listOffset(topic: string, partition: number, timestamp: bigint): Promise<bigint> {
    return this.withLeader(topic, partition, async (connection) => {
      const response = await connection.request(Apis.ListOffsets, {
        replicaId: -1,
        isolationLevel: 1,
        topics: [{ name: topic, partitions: [{ partitionIndex: partition, timestamp }] }],
      });
      const answer = response.topics[0]?.partitions.find((p) => p.partitionIndex === partition);
      if (answer?.offset === undefined) throw new Error(`no offset for ${topic}-${partition} in the answer`);
      if (answer.errorCode !== ErrorCode.NONE)
        throw new KafkaJSProtocolError(answer.errorCode, `listing offsets of ${topic}-${partition}`);
      return answer.offset;
    });
  }

  /** Runs `request` on the partition's leader; after a stale-leader error, again with fresh metadata. */
  private async withLeader<T>(
    topic: string,
    partition: number,
    request: (connection: Awaited<ReturnType<Cluster["connectionTo"]>>) => Promise<T>,
  ): Promise<T> {
    await this.cluster.addTargetTopics([topic]);
    for (let attempt = 0; ; attempt++) {
      try {
        const { connection } = await this.cluster.leaderFor(topic, partition);
        return await request(connection);
      } catch (error) {
        const stale =
          error instanceof KafkaJSProtocolError
            ? STALE_METADATA_ERRORS.has(error.code) || error.type === "LEADER_NOT_AVAILABLE"
            : true;
        if (!stale || attempt >= 4) throw error;
        await this.cluster.refreshMetadata();
      }
    }
  }
}
