// Deleting a topic's records (DeleteRecords, asked of each partition's leader), as kafkajs's
// admin.deleteTopicRecords: the partitions' offsets are strings, "-1" meaning the high watermark.
// Partitions without a known leader fail at once; per-partition errors come back together in a
// KafkaJSDeleteTopicRecordsError, retried while every one of them is retriable (each retry sends
// only the partitions not yet done, after fresh metadata), wrapped by the retrier as kafkajs's is.
import { Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import {
  KafkaJSBrokerNotFound,
  KafkaJSDeleteTopicRecordsError,
  KafkaJSNonRetriableError,
  KafkaJSProtocolError,
} from "../errors.ts";
import {
  type AdminContext,
  attempt,
  EARLIEST_OFFSET,
  listOffsets,
  nodeConnection,
  topicPartitions,
} from "./context.ts";
import type { SeekEntry } from "./types.ts";

/** How long the leader may take (kafkajs sends DeleteRecords with the same default). */
const DELETE_RECORDS_TIMEOUT_MS = 5000;

type PartitionError = { partition: number; offset: string; error: KafkaJSBrokerNotFound | KafkaJSProtocolError };

export async function deleteTopicRecords(
  ctx: AdminContext,
  { topic, partitions }: { topic: string; partitions: SeekEntry[] },
): Promise<void> {
  if (!topic || typeof topic !== "string") throw new KafkaJSNonRetriableError(`Invalid topic "${topic}"`);
  if (!partitions || partitions.length === 0) throw new KafkaJSNonRetriableError("Invalid partitions");
  const offsets = new Map<number, bigint>();
  for (const { partition, offset } of partitions) {
    if (!/^-?\d+$/.test(String(offset))) throw new KafkaJSNonRetriableError(`Invalid offset "${offset}"`);
    offsets.set(partition, BigInt(offset));
  }

  const metadata = await attempt(ctx, () => topicPartitions(ctx, topic));
  const leaderless: PartitionError[] = partitions
    .filter(({ partition }) => (metadata.find((p) => p.partitionIndex === partition)?.leaderId ?? -1) < 0)
    .map(({ partition, offset }) => ({
      partition,
      offset,
      error: leaderNotFound(),
    }));
  if (leaderless.length > 0) throw new KafkaJSDeleteTopicRecordsError({ topic, partitions: leaderless });

  // As kafkajs: an offset below the log start deletes nothing, which deserves a warning.
  const low = await attempt(ctx, () =>
    listOffsets(
      ctx,
      topic,
      metadata.filter((p) => offsets.has(p.partitionIndex)),
      EARLIEST_OFFSET,
    ),
  );
  for (const [partition, offset] of offsets) {
    if (offset !== -1n && offset < (low.get(partition) ?? 0n))
      ctx.logger.warn(
        "The requested offset is before the earliest offset maintained on the partition - no records will be deleted from this partition",
        { topic, partition, offset: String(offset) },
      );
  }

  const pending = new Map(offsets);
  // The retrier as kafkajs uses it here, without bailing: a final error comes wrapped in
  // KafkaJSNonRetriableError, retriable ones past the last retry in KafkaJSNumberOfRetriesExceeded.
  await ctx.retrier(async (_bail, retryCount) => {
    const current = retryCount === 0 ? metadata : await topicPartitions(ctx, topic);
    const byLeader = new Map<number, number[]>();
    for (const partition of pending.keys()) {
      const leader = current.find((p) => p.partitionIndex === partition)?.leaderId ?? -1;
      byLeader.set(leader, [...(byLeader.get(leader) ?? []), partition]);
    }
    const failed: PartitionError[] = [];
    await Promise.all(
      [...byLeader].map(async ([leader, ids]) => {
        if (leader < 0) {
          for (const partition of ids)
            failed.push({ partition, offset: String(pending.get(partition)), error: leaderNotAvailable() });
          return;
        }
        const connection = await nodeConnection(ctx, leader);
        const response = await connection.request(Apis.DeleteRecords, {
          topics: [{ name: topic, partitions: ids.map((id) => ({ partitionIndex: id, offset: pending.get(id)! })) }],
          timeoutMs: DELETE_RECORDS_TIMEOUT_MS,
        });
        for (const answered of response.topics.flatMap((t) => t.partitions)) {
          if (answered.errorCode === ErrorCode.NONE) {
            pending.delete(answered.partitionIndex);
            continue;
          }
          failed.push({
            partition: answered.partitionIndex,
            offset: String(pending.get(answered.partitionIndex)),
            error: new KafkaJSProtocolError(answered.errorCode),
          });
        }
      }),
    );
    if (failed.length > 0) throw new KafkaJSDeleteTopicRecordsError({ topic, partitions: failed });
  });
}

function leaderNotAvailable(): KafkaJSProtocolError {
  return new KafkaJSProtocolError(ErrorCode.LEADER_NOT_AVAILABLE);
}

/** kafkajs's answer for a partition without a leader in the metadata: final, not retried. */
function leaderNotFound(): KafkaJSBrokerNotFound {
  const error = new KafkaJSBrokerNotFound("Could not find the leader for the partition");
  error.retriable = false;
  return error;
}
