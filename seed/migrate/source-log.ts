// Reads the topic being migrated as it is stored: a partition's start and end offsets, and its
// records in offset order between two offsets, whole (key and value bytes, headers, timestamp), so
// the copy can write them again unchanged. No consumer group, so reading leaves no committed
// offsets behind: one Fetch or ListOffsets to the partition's leader through our client's
// Cluster (broker/client/partition-reads.ts), decoded by the consumer's own decoder; a stale
// leader is asked again after a metadata refresh. Reads are read-committed: the end is the last
// stable offset.
//
// Owner of mutable state: a SourceLog owns its Cluster (connections and metadata).
import { Cluster } from "../../broker/client/cluster.ts";
import type { KafkaMessage } from "../../broker/client/consumer/types.ts";
import { createLogger, logLevel } from "../../broker/client/logger.ts";
import {
  EARLIEST_TIMESTAMP,
  type FetchedPartitionMessages,
  fetchPartitionOnce,
  LATEST_TIMESTAMP,
  listPartitionOffset,
  READ_COMMITTED,
} from "../../broker/client/partition-reads.ts";

export interface PartitionBounds {
  /** The first offset still in the log (retention may have deleted earlier ones). */
  start: bigint;
  /** The offset the next record will get (read committed: the last stable offset). */
  end: bigint;
}

const FETCH_BYTES = 1024 * 1024;
/** A stale leader is asked again up to four times, metadata refreshed each time: a copy outlasts a leader move. */
const LEADER_RETRY = { retries: 4 };

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
      Promise.all(which.map((p) => this.listOffset(topic, p, EARLIEST_TIMESTAMP))),
      Promise.all(which.map((p) => this.listOffset(topic, p, LATEST_TIMESTAMP))),
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

  private async fetchOnce(topic: string, partition: number, offset: bigint): Promise<FetchedPartitionMessages> {
    return fetchPartitionOnce(
      this.cluster,
      { topic, partition, offset, maxBytes: FETCH_BYTES, isolationLevel: READ_COMMITTED },
      LEADER_RETRY,
    );
  }

  private async listOffset(topic: string, partition: number, timestamp: bigint): Promise<bigint> {
    const offset = await listPartitionOffset(this.cluster, topic, partition, timestamp, LEADER_RETRY);
    if (offset === undefined) throw new Error(`no offset for ${topic}-${partition} in the answer`);
    return offset;
  }
}
