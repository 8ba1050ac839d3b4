// Reads a topic the way the console's message browser, live tail and lag-in-seconds need: a few
// records of one partition from one offset, the offset for a timestamp, and a partition's start
// and end offsets. No consumer group: one Fetch or ListOffsets to the partition's leader through
// our client's Cluster, the records decoded by the consumer's own decoder. A stale leader is
// forgotten and asked again after a metadata refresh.
//
// Ownership: a PartitionReader owns its Cluster (connections and metadata).
import { Cluster } from "../../broker/client/cluster.ts";
import { decodeFetchedRecords } from "../../broker/client/consumer/fetched-records.ts";
import { STALE_METADATA_ERRORS } from "../../broker/client/consumer/fetcher.ts";
import { KafkaJSProtocolError } from "../../broker/client/errors.ts";
import { createLogger, logLevel } from "../../broker/client/logger.ts";
import type { IHeaders } from "../../broker/client/types.ts";
import { Apis } from "../../broker/protocol/apis.ts";
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

const EARLIEST = -2n;
const LATEST = -1n;
/** One fetch reads at most this much of one partition. */
const FETCH_BYTES = 1024 * 1024;

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
      this.listOffsets(topic, which, EARLIEST),
      this.listOffsets(topic, which, LATEST),
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
  ): Promise<{
    messages: ReturnType<typeof decodeFetchedRecords>["messages"];
    nextOffset: bigint | null;
    end: bigint;
  }> {
    return this.withLeader(topic, partition, async (connection) => {
      const response = await connection.request(Apis.Fetch, {
        clusterId: null,
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 1,
        maxBytes: fetchBytes,
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
                partitionMaxBytes: fetchBytes,
              },
            ],
          },
        ],
        forgottenTopicsData: [],
        rackId: "",
      });
      const data = response.responses[0]?.partitions.find((p) => p.partitionIndex === partition);
      if (!data) return { messages: [], nextOffset: null, end: offset };
      if (data.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) return { messages: [], nextOffset: null, end: offset };
      if (data.errorCode !== ErrorCode.NONE)
        throw new KafkaJSProtocolError(data.errorCode, `fetching ${topic}-${partition}`);
      const blob = Array.isArray(data.records) ? Buffer.concat(data.records) : data.records;
      const decoded = decodeFetchedRecords(blob, offset, data.abortedTransactions, true);
      const end =
        data.lastStableOffset !== undefined && data.lastStableOffset >= 0n ? data.lastStableOffset : data.highWatermark;
      return {
        messages: decoded.messages,
        nextOffset: decoded.nextOffset === null ? null : BigInt(decoded.nextOffset),
        end,
      };
    });
  }

  private async listOffsets(topic: string, partitions: number[], timestamp: bigint): Promise<Map<number, bigint>> {
    const found = new Map<number, bigint>();
    await Promise.all(
      partitions.map((partition) =>
        this.withLeader(topic, partition, async (connection) => {
          const response = await connection.request(Apis.ListOffsets, {
            replicaId: -1,
            isolationLevel: 1,
            topics: [{ name: topic, partitions: [{ partitionIndex: partition, timestamp }] }],
          });
          const answer = response.topics[0]?.partitions.find((p) => p.partitionIndex === partition);
          if (answer && answer.errorCode !== ErrorCode.NONE)
            throw new KafkaJSProtocolError(answer.errorCode, `listing offsets of ${topic}-${partition}`);
          if (answer?.offset !== undefined) found.set(partition, answer.offset);
        }),
      ),
    );
    return found;
  }

  /** Runs `request` on the partition's leader; after a stale-leader error, once more with fresh metadata. */
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
        if (!stale || attempt >= 2) throw error;
        await this.cluster.refreshMetadata();
      }
    }
  }
}
