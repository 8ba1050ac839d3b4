// One partition read without a consumer: one Fetch at an offset, or one ListOffsets at a
// timestamp, sent to the partition's leader through a Cluster. For tools that look at a log as it
// is stored (the console's message browser, the topic migration, the scenarios) and must leave no
// group or committed offset behind. The consumer's own decoder turns the bytes into messages.
//
// A request that meets a stale leader (or cannot reach it) is asked again of the leader that
// refreshed metadata names, at most `retries` times: each caller chooses how patient it is.
//
// Owner of mutable state: none; the caller's Cluster owns the connections and metadata.
import { Apis } from "../protocol/apis.ts";
import { ErrorCode } from "../protocol/errors.ts";
import type { FetchResponseAbortedTransaction } from "../protocol/messages/fetch.ts";
import type { Cluster } from "./cluster.ts";
import { decodeFetchedRecords } from "./consumer/fetched-records.ts";
import { STALE_METADATA_ERRORS } from "./consumer/fetcher.ts";
import type { KafkaMessage } from "./consumer/types.ts";
import { KafkaJSProtocolError } from "./errors.ts";
import type { BrokerConnection } from "./network/broker-connection.ts";

/** Kafka's isolation levels: 0 reads everything written, 1 stops at the last stable offset and skips aborted records. */
export const READ_UNCOMMITTED = 0;
export const READ_COMMITTED = 1;

/** ListOffsets' special timestamps: the log's start, and the offset the next record will get. */
export const EARLIEST_TIMESTAMP = -2n;
export const LATEST_TIMESTAMP = -1n;

export interface LeaderRetry {
  /** How many times to ask again, after a metadata refresh, when the leader was stale or unreachable. */
  retries: number;
}

export interface PartitionFetch {
  topic: string;
  partition: number;
  offset: bigint;
  /** Bounds the answer (a first batch larger than this still comes whole, as in Kafka). */
  maxBytes: number;
  isolationLevel: typeof READ_UNCOMMITTED | typeof READ_COMMITTED;
}

/** The partition's part of a Fetch answer, its records as the raw bytes of their record batches. */
export interface FetchedPartitionBytes {
  records: Buffer;
  abortedTransactions: FetchResponseAbortedTransaction[] | null;
  highWatermark: bigint;
  /** The last stable offset when the broker reports one, else the high watermark. */
  end: bigint;
}

export interface FetchedPartitionMessages {
  messages: KafkaMessage[];
  /** The offset to fetch next; null when the answer held no batch. */
  nextOffset: bigint | null;
  /** The last stable offset when the broker reports one, else the high watermark. */
  end: bigint;
}

/**
 * Runs `request` on the leader of `topic`-`partition`. A protocol error that says the metadata is
 * stale, or any other failure (a connection to a leader that is gone), refreshes the metadata and
 * asks again, up to `retries` times; other protocol errors are thrown at once.
 */
export async function onPartitionLeader<T>(
  cluster: Cluster,
  topic: string,
  partition: number,
  request: (connection: BrokerConnection) => Promise<T>,
  { retries }: LeaderRetry,
): Promise<T> {
  await cluster.addTargetTopics([topic]);
  for (let attempt = 0; ; attempt++) {
    try {
      const { connection } = await cluster.leaderFor(topic, partition);
      return await request(connection);
    } catch (error) {
      const stale =
        error instanceof KafkaJSProtocolError
          ? STALE_METADATA_ERRORS.has(error.code) || error.type === "LEADER_NOT_AVAILABLE"
          : true;
      if (!stale || attempt >= retries) throw error;
      await cluster.refreshMetadata();
    }
  }
}

/**
 * One Fetch of `fetch.topic`-`fetch.partition` from `fetch.offset`, answered at once (no waiting for
 * records): the raw record bytes, or null when the answer leaves the partition out. An error code
 * (OFFSET_OUT_OF_RANGE among them) is thrown as a KafkaJSProtocolError.
 */
export async function fetchPartitionBytes(
  cluster: Cluster,
  fetch: PartitionFetch,
  retry: LeaderRetry,
): Promise<FetchedPartitionBytes | null> {
  const { topic, partition, offset, maxBytes, isolationLevel } = fetch;
  return onPartitionLeader(
    cluster,
    topic,
    partition,
    async (connection) => {
      const response = await connection.request(Apis.Fetch, {
        clusterId: null,
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 1,
        maxBytes,
        isolationLevel,
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
                partitionMaxBytes: maxBytes,
              },
            ],
          },
        ],
        forgottenTopicsData: [],
        rackId: "",
      });
      const data = response.responses[0]?.partitions.find((p) => p.partitionIndex === partition);
      if (!data) return null;
      if (data.errorCode !== ErrorCode.NONE)
        throw new KafkaJSProtocolError(data.errorCode, `fetching ${topic}-${partition} at ${offset}`);
      const stable =
        data.lastStableOffset !== undefined && data.lastStableOffset >= 0n ? data.lastStableOffset : undefined;
      return {
        records: Array.isArray(data.records) ? Buffer.concat(data.records) : (data.records ?? Buffer.alloc(0)),
        abortedTransactions: data.abortedTransactions,
        highWatermark: data.highWatermark,
        end: stable ?? data.highWatermark,
      };
    },
    retry,
  );
}

/**
 * One Fetch, as fetchPartitionBytes, decoded into messages (read committed: aborted records left
 * out). An answer without the partition reads as no messages, ending at `fetch.offset`.
 */
export async function fetchPartitionOnce(
  cluster: Cluster,
  fetch: PartitionFetch,
  retry: LeaderRetry,
): Promise<FetchedPartitionMessages> {
  const fetched = await fetchPartitionBytes(cluster, fetch, retry);
  if (fetched === null) return { messages: [], nextOffset: null, end: fetch.offset };
  const decoded = decodeFetchedRecords(
    fetched.records,
    fetch.offset,
    fetched.abortedTransactions,
    fetch.isolationLevel === READ_COMMITTED,
  );
  return {
    messages: decoded.messages,
    nextOffset: decoded.nextOffset === null ? null : BigInt(decoded.nextOffset),
    end: fetched.end,
  };
}

/**
 * The offset ListOffsets gives for `timestamp` (ms, or EARLIEST_TIMESTAMP / LATEST_TIMESTAMP) in
 * `topic`-`partition`, read committed: -1n when no record is that recent, undefined when the answer
 * leaves the partition out. An error code is thrown as a KafkaJSProtocolError.
 */
export async function listPartitionOffset(
  cluster: Cluster,
  topic: string,
  partition: number,
  timestamp: bigint,
  retry: LeaderRetry,
): Promise<bigint | undefined> {
  return onPartitionLeader(
    cluster,
    topic,
    partition,
    async (connection) => {
      const response = await connection.request(Apis.ListOffsets, {
        replicaId: -1,
        isolationLevel: READ_COMMITTED,
        topics: [{ name: topic, partitions: [{ partitionIndex: partition, timestamp }] }],
      });
      const answer = response.topics[0]?.partitions.find((p) => p.partitionIndex === partition);
      if (answer && answer.errorCode !== ErrorCode.NONE)
        throw new KafkaJSProtocolError(answer.errorCode, `listing offsets of ${topic}-${partition}`);
      return answer?.offset;
    },
    retry,
  );
}
