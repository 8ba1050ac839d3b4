// Reads a topic the way the console's message browser, live tail and lag-in-seconds need: a few
// records of one partition from one offset, the offset for a timestamp, and a partition's start
// and end offsets. No consumer group: one Fetch or ListOffsets to the partition's leader through
// our client's Cluster (broker/client/partition-reads.ts), the records decoded by the consumer's
// own decoder. A stale leader is asked again after a metadata refresh.
//
// Ownership: a PartitionReader owns its Cluster (connections and metadata).
import { Cluster } from "../../broker/client/cluster.ts";
import { KafkaJSProtocolError } from "../../broker/client/errors.ts";
import { createLogger, logLevel } from "../../broker/client/logger.ts";
import {
  EARLIEST_TIMESTAMP,
  type FetchedPartitionMessages,
  fetchPartitionOnce,
  LATEST_TIMESTAMP,
  listPartitionOffset,
  READ_COMMITTED,
} from "../../broker/client/partition-reads.ts";
import type { IHeaders } from "../../broker/client/types.ts";
import { ErrorCode } from "../../broker/protocol/errors.ts";

/** A record as the console shows it: offsets and timestamps as decimal strings, key and value as text. */
export interface ReadRecord {
  partition: number;
  offset: string;
  timestamp: string;
  key: string | null;
  /** The value parsed as JSON when it parses, else its text. */
  value: unknown;
  headers: Record<string, string>;
}

export interface PartitionOffsets {
  start: bigint;
  /** The high watermark (read committed: the last stable offset). */
  end: bigint;
}

/** One fetch reads at most this much of one partition. */
const FETCH_BYTES = 1024 * 1024;
/** A stale leader is asked again at most twice, metadata refreshed each time: the console answers or fails quickly. */
const LEADER_RETRY = { retries: 2 };

function parsedValue(value: Buffer | null): unknown {
  if (value === null) return null;
  const text = value.toString("utf8");
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function headerText(headers: IHeaders): Record<string, string> {
  const text: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    text[key] = (Array.isArray(value) ? value : [value]).map((v) => v.toString()).join(", ");
  }
  return text;
}

export class PartitionReader {
  private readonly cluster: Cluster;

  constructor(brokers: string[], clientId = "console") {
    this.cluster = new Cluster({
      brokers,
      clientId,
      connectionTimeout: 2_000,
      requestTimeout: 5_000,
      retry: { retries: 2, initialRetryTime: 100 },
      logger: createLogger(logLevel.NOTHING),
      allowAutoTopicCreation: false,
    });
  }

  /** How many partitions the topic has now (metadata refreshed); throws when it does not exist. */
  async partitionCount(topic: string): Promise<number> {
    await this.cluster.addTargetTopics([topic]);
    await this.cluster.refreshMetadata();
    return this.cluster.topicMetadata(topic).partitions.length;
  }

  /**
   * Up to `limit` records of `topic`-`partition` from `offset` on (fewer at the end of the log).
   * `fetchBytes` bounds each fetch: a batch larger than it still comes whole.
   */
  async read(
    topic: string,
    partition: number,
    offset: bigint,
    limit: number,
    fetchBytes = FETCH_BYTES,
  ): Promise<ReadRecord[]> {
    const records: ReadRecord[] = [];
    let position = offset;
    while (records.length < limit) {
      const { messages, nextOffset, end } = await this.fetchOnce(topic, partition, position, fetchBytes);
      for (const message of messages) {
        if (records.length === limit) break;
        records.push({
          partition,
          offset: message.offset,
          timestamp: message.timestamp,
          key: message.key === null ? null : message.key.toString("utf8"),
          value: parsedValue(message.value),
          headers: headerText(message.headers),
        });
      }
      if (nextOffset === null || nextOffset <= position || nextOffset >= end) break;
      position = nextOffset;
    }
    return records;
  }

  /** Start and end offsets of each of the partitions (all of the topic's when none are named). */
  async offsets(topic: string, partitions?: number[]): Promise<Map<number, PartitionOffsets>> {
    const which = partitions ?? [...Array(await this.partitionCount(topic)).keys()];
    const [starts, ends] = await Promise.all([
      this.listOffsets(topic, which, EARLIEST_TIMESTAMP),
      this.listOffsets(topic, which, LATEST_TIMESTAMP),
    ]);
    return new Map(which.map((p) => [p, { start: starts.get(p) ?? 0n, end: ends.get(p) ?? 0n }]));
  }

  /** The first offset whose record's timestamp is at or after `timestamp` (ms); null when none is. */
  async offsetForTimestamp(topic: string, partition: number, timestamp: bigint): Promise<bigint | null> {
    const offset = (await this.listOffsets(topic, [partition], timestamp)).get(partition);
    return offset === undefined || offset < 0n ? null : offset;
  }

  disconnect(): void {
    this.cluster.disconnect();
  }

  private async fetchOnce(
    topic: string,
    partition: number,
    offset: bigint,
    fetchBytes: number,
  ): Promise<FetchedPartitionMessages> {
    try {
      return await fetchPartitionOnce(
        this.cluster,
        { topic, partition, offset, maxBytes: fetchBytes, isolationLevel: READ_COMMITTED },
        LEADER_RETRY,
      );
    } catch (error) {
      // Retention moved the start past `offset`, or the end is before it: nothing to show there.
      if (error instanceof KafkaJSProtocolError && error.code === ErrorCode.OFFSET_OUT_OF_RANGE)
        return { messages: [], nextOffset: null, end: offset };
      throw error;
    }
  }

  private async listOffsets(topic: string, partitions: number[], timestamp: bigint): Promise<Map<number, bigint>> {
    const found = new Map<number, bigint>();
    await Promise.all(
      partitions.map(async (partition) => {
        const offset = await listPartitionOffset(this.cluster, topic, partition, timestamp, LEADER_RETRY);
        if (offset !== undefined) found.set(partition, offset);
      }),
    );
    return found;
  }
}
