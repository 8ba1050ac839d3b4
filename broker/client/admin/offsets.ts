// Topic offsets (ListOffsets, asked of each partition's leader) and a group's committed offsets
// (OffsetFetch/OffsetCommit, at the group's coordinator). Offsets are bigint on the wire and
// strings in kafkajs's API.
import { Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { OffsetFetchRequestTopic } from "../../protocol/messages/index.ts";
import { KafkaJSError, KafkaJSNonRetriableError, KafkaJSProtocolError } from "../errors.ts";
import { attempt, EARLIEST_OFFSET, LATEST_OFFSET, listOffsets, topicPartitions, type AdminContext } from "./context.ts";
import { groupState } from "./groups.ts";
import type { FetchOffsetsPartition, SeekEntry } from "./types.ts";

function checkTopic(topic: unknown): asserts topic is string {
  if (!topic || typeof topic !== "string") throw new KafkaJSNonRetriableError(`Invalid topic ${topic}`);
}

export async function fetchTopicOffsets(ctx: AdminContext, topic: string): Promise<Array<SeekEntry & { high: string; low: string }>> {
  checkTopic(topic);
  return attempt(ctx, async () => {
    const partitions = await topicPartitions(ctx, topic);
    const [high, low] = await Promise.all([listOffsets(ctx, topic, partitions, LATEST_OFFSET), listOffsets(ctx, topic, partitions, EARLIEST_OFFSET)]);
    return partitions.map(({ partitionIndex: partition }) => {
      const highOffset = String(high.get(partition));
      return { partition, offset: highOffset, high: highOffset, low: String(low.get(partition)) };
    });
  });
}

/** The first offset at or after `timestamp` per partition; the high watermark where there is none. */
export async function fetchTopicOffsetsByTimestamp(ctx: AdminContext, topic: string, timestamp?: number): Promise<SeekEntry[]> {
  checkTopic(topic);
  if (timestamp != null && !Number.isFinite(timestamp)) throw new KafkaJSNonRetriableError(`Invalid timestamp ${timestamp}`);
  const at = timestamp == null ? LATEST_OFFSET : BigInt(Math.trunc(timestamp));
  return attempt(ctx, async () => {
    const partitions = await topicPartitions(ctx, topic);
    const [high, found] = await Promise.all([listOffsets(ctx, topic, partitions, LATEST_OFFSET), listOffsets(ctx, topic, partitions, at)]);
    return partitions.map(({ partitionIndex: partition }) => {
      const offset = found.get(partition)!;
      return { partition, offset: String(offset >= 0n ? offset : high.get(partition)) };
    });
  });
}

export interface FetchOffsetsOptions {
  groupId: string;
  topics?: string[];
  resolveOffsets?: boolean;
}

type TopicOffsets = { topic: string; partitions: FetchOffsetsPartition[] };

/** Committed offsets of a group: for every partition of `topics` (-1 where none), or for whatever the group committed. */
export async function fetchOffsets(ctx: AdminContext, { groupId, topics, resolveOffsets = false }: FetchOffsetsOptions): Promise<TopicOffsets[]> {
  if (!groupId) throw new KafkaJSNonRetriableError(`Invalid groupId ${groupId}`);
  const wantedTopics = topics ?? [];
  if (!Array.isArray(wantedTopics)) throw new KafkaJSNonRetriableError("Expected topics array to be set");

  const committed = await attempt(ctx, async () => {
    const coordinator = await ctx.cluster.findGroupCoordinator(groupId);
    const wanted: OffsetFetchRequestTopic[] = await Promise.all(
      wantedTopics.map(async (name) => ({ name, partitionIndexes: (await topicPartitions(ctx, name)).map((p) => p.partitionIndex) })),
    );
    const version = coordinator.versionFor(Apis.OffsetFetch);
    // From v2 a null list asks for every committed partition; v1 has no way to ask that.
    const response = await coordinator.request(Apis.OffsetFetch, { groupId, topics: wanted.length > 0 || version < 2 ? wanted : null }, { version });
    if (response.errorCode !== undefined && response.errorCode !== ErrorCode.NONE) throw new KafkaJSProtocolError(response.errorCode);
    const failed = response.topics.flatMap((t) => t.partitions).find((p) => p.errorCode !== ErrorCode.NONE);
    if (failed) throw new KafkaJSProtocolError(failed.errorCode);
    return response.topics.map((t) => ({
      topic: t.name,
      partitions: t.partitions.map((p) => ({ partition: p.partitionIndex, offset: p.committedOffset.toString(), metadata: p.metadata || null })),
    }));
  });

  if (!resolveOffsets) return committed;
  // Offsets reset to "earliest"/"latest" are stored as -2/-1: turn them into real offsets, and commit those.
  return Promise.all(
    committed.map(async ({ topic, partitions }) => {
      const bounds = new Map((await fetchTopicOffsets(ctx, topic)).map((o) => [o.partition, o]));
      const resolved = partitions.map(({ partition, offset, metadata }) => {
        const bound = bounds.get(partition);
        const value = BigInt(offset);
        const real = value === EARLIEST_OFFSET ? bound?.low : value === LATEST_OFFSET ? bound?.high : offset;
        return { partition, offset: real ?? offset, metadata };
      });
      await setOffsets(ctx, { groupId, topic, partitions: resolved });
      return { topic, partitions: resolved };
    }),
  );
}

function parseOffset(offset: unknown): bigint {
  try {
    return BigInt(offset as string);
  } catch {
    throw new KafkaJSNonRetriableError(`Invalid offset ${offset}`);
  }
}

/**
 * Commits offsets for a group that has no running members, from outside the group (generation
 * -1, no member id), as Kafka allows only for an empty group.
 */
export async function setOffsets(ctx: AdminContext, { groupId, topic, partitions }: { groupId: string; topic: string; partitions: SeekEntry[] }): Promise<void> {
  if (!groupId) throw new KafkaJSNonRetriableError(`Invalid groupId ${groupId}`);
  if (!topic) throw new KafkaJSNonRetriableError(`Invalid topic ${topic}`);
  if (!partitions || partitions.length === 0) throw new KafkaJSNonRetriableError("Invalid partitions");
  const offsets = partitions.map(({ partition, offset }) => ({
    partitionIndex: partition,
    committedOffset: parseOffset(offset),
    committedLeaderEpoch: -1,
    committedMetadata: null,
  }));

  await attempt(ctx, async () => {
    const coordinator = await ctx.cluster.findGroupCoordinator(groupId);
    const state = await groupState(coordinator, groupId);
    if (state !== "Empty" && state !== "Dead") {
      throw new KafkaJSNonRetriableError(`The consumer group must have no running instances, current state: ${state}`);
    }
    const response = await coordinator.request(Apis.OffsetCommit, {
      groupId,
      generationIdOrMemberEpoch: -1,
      memberId: "",
      groupInstanceId: null,
      retentionTimeMs: -1n,
      topics: [{ name: topic, partitions: offsets }],
    });
    const failed = response.topics.flatMap((t) => t.partitions).find((p) => p.errorCode !== ErrorCode.NONE);
    if (!failed) return;
    // Someone joined between our look at the group and the commit: look again (and refuse then).
    if (failed.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) throw new KafkaJSError("The consumer group gained members while its offsets were being set");
    throw new KafkaJSProtocolError(failed.errorCode);
  });
}

export async function resetOffsets(ctx: AdminContext, { groupId, topic, earliest = false }: { groupId: string; topic: string; earliest?: boolean }): Promise<void> {
  if (!groupId) throw new KafkaJSNonRetriableError(`Invalid groupId ${groupId}`);
  if (!topic) throw new KafkaJSNonRetriableError(`Invalid topic ${topic}`);
  const partitions = await attempt(ctx, () => topicPartitions(ctx, topic));
  const offset = String(earliest ? EARLIEST_OFFSET : LATEST_OFFSET);
  await setOffsets(ctx, { groupId, topic, partitions: partitions.map((p) => ({ partition: p.partitionIndex, offset })) });
}
