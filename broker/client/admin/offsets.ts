// Topic offsets (ListOffsets, asked of each partition's leader) and a group's committed offsets
// (OffsetFetch/OffsetCommit, at the group's coordinator). Offsets are bigint on the wire and
// strings in kafkajs's API.
import { Apis } from "../../protocol/apis.ts";
import { ErrorCode, errorCodeName } from "../../protocol/errors.ts";
import type { OffsetCommitRequestPartition, OffsetFetchRequestTopic } from "../../protocol/messages/index.ts";
import { MemberMetadata } from "../consumer/assigner-protocol.ts";
import { KafkaJSError, KafkaJSNonRetriableError, KafkaJSProtocolError } from "../errors.ts";
import type { BrokerConnection } from "../network/broker-connection.ts";
import { type AdminContext, attempt, EARLIEST_OFFSET, LATEST_OFFSET, listOffsets, topicPartitions } from "./context.ts";
import { groupState } from "./groups.ts";
import type { FetchOffsetsPartition, SeekEntry } from "./types.ts";

function checkTopic(topic: unknown): asserts topic is string {
  if (!topic || typeof topic !== "string") throw new KafkaJSNonRetriableError(`Invalid topic ${topic}`);
}

export async function fetchTopicOffsets(
  ctx: AdminContext,
  topic: string,
): Promise<Array<SeekEntry & { high: string; low: string }>> {
  checkTopic(topic);
  return attempt(ctx, async () => {
    const partitions = await topicPartitions(ctx, topic);
    const [high, low] = await Promise.all([
      listOffsets(ctx, topic, partitions, LATEST_OFFSET),
      listOffsets(ctx, topic, partitions, EARLIEST_OFFSET),
    ]);
    return partitions.map(({ partitionIndex: partition }) => {
      const highOffset = String(high.get(partition));
      return { partition, offset: highOffset, high: highOffset, low: String(low.get(partition)) };
    });
  });
}

/** The first offset at or after `timestamp` per partition; the high watermark where there is none. */
export async function fetchTopicOffsetsByTimestamp(
  ctx: AdminContext,
  topic: string,
  timestamp?: number,
): Promise<SeekEntry[]> {
  checkTopic(topic);
  if (timestamp != null && !Number.isFinite(timestamp))
    throw new KafkaJSNonRetriableError(`Invalid timestamp ${timestamp}`);
  const at = timestamp == null ? LATEST_OFFSET : BigInt(Math.trunc(timestamp));
  return attempt(ctx, async () => {
    const partitions = await topicPartitions(ctx, topic);
    const [high, found] = await Promise.all([
      listOffsets(ctx, topic, partitions, LATEST_OFFSET),
      listOffsets(ctx, topic, partitions, at),
    ]);
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
export async function fetchOffsets(
  ctx: AdminContext,
  { groupId, topics, resolveOffsets = false }: FetchOffsetsOptions,
): Promise<TopicOffsets[]> {
  if (!groupId) throw new KafkaJSNonRetriableError(`Invalid groupId ${groupId}`);
  const wantedTopics = topics ?? [];
  if (!Array.isArray(wantedTopics)) throw new KafkaJSNonRetriableError("Expected topics array to be set");

  const committed = await attempt(ctx, async () => {
    const coordinator = await ctx.cluster.findGroupCoordinator(groupId);
    const wanted: OffsetFetchRequestTopic[] = await Promise.all(
      wantedTopics.map(async (name) => ({
        name,
        partitionIndexes: (await topicPartitions(ctx, name)).map((p) => p.partitionIndex),
      })),
    );
    const version = coordinator.versionFor(Apis.OffsetFetch);
    // From v2 a null list asks for every committed partition; v1 has no way to ask that.
    const response = await coordinator.request(
      Apis.OffsetFetch,
      { groupId, topics: wanted.length > 0 || version < 2 ? wanted : null },
      { version },
    );
    if (response.errorCode !== undefined && response.errorCode !== ErrorCode.NONE)
      throw new KafkaJSProtocolError(response.errorCode);
    const failed = response.topics.flatMap((t) => t.partitions).find((p) => p.errorCode !== ErrorCode.NONE);
    if (failed) throw new KafkaJSProtocolError(failed.errorCode);
    return response.topics.map((t) => ({
      topic: t.name,
      partitions: t.partitions.map((p) => ({
        partition: p.partitionIndex,
        offset: p.committedOffset.toString(),
        metadata: p.metadata || null,
      })),
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
 * Commits offsets for a group that has no running members. As kafkajs does, the commit is made by
 * a member of the group, so a group that did not exist yet becomes a "consumer" group (which is
 * what listGroups and describeGroups report afterwards); unlike kafkajs, that member is no full
 * consumer: it joins, syncs an empty assignment, commits and leaves, with no fetch in between.
 */
export async function setOffsets(
  ctx: AdminContext,
  { groupId, topic, partitions }: { groupId: string; topic: string; partitions: SeekEntry[] },
): Promise<void> {
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
    // A connection of its own: a JoinGroup may be held for the broker's initial rebalance delay,
    // and the admin's other requests to the coordinator must not wait behind it.
    const connection = ctx.cluster.createConnection(coordinator.host, coordinator.port);
    try {
      await commitAsLoneMember(connection, groupId, topic, offsets);
    } finally {
      connection.disconnect();
    }
  });
}

const LONE_MEMBER_SESSION_TIMEOUT = 10_000;
const LONE_MEMBER_REBALANCE_TIMEOUT = 10_000;
/** Answers meaning the group changed under us: look at it again (and refuse if it now has members). */
const GROUP_CHANGED = new Set<number>([
  ErrorCode.REBALANCE_IN_PROGRESS,
  ErrorCode.ILLEGAL_GENERATION,
  ErrorCode.UNKNOWN_MEMBER_ID,
]);

function throwForGroupAnswer(errorCode: number): void {
  if (errorCode === ErrorCode.NONE) return;
  if (GROUP_CHANGED.has(errorCode))
    throw new KafkaJSError(`The consumer group changed while its offsets were being set (${errorCodeName(errorCode)})`);
  throw new KafkaJSProtocolError(errorCode);
}

/** JoinGroup (with the MEMBER_ID_REQUIRED handshake), SyncGroup as leader of nobody else, OffsetCommit in that generation, LeaveGroup. */
async function commitAsLoneMember(
  connection: BrokerConnection,
  groupId: string,
  topic: string,
  partitions: OffsetCommitRequestPartition[],
): Promise<void> {
  const protocol = {
    name: "RoundRobinAssigner",
    metadata: MemberMetadata.encode({ version: 0, topics: [topic], userData: Buffer.alloc(0) }),
  };
  const join = (memberId: string) =>
    connection.request(
      Apis.JoinGroup,
      {
        groupId,
        sessionTimeoutMs: LONE_MEMBER_SESSION_TIMEOUT,
        rebalanceTimeoutMs: LONE_MEMBER_REBALANCE_TIMEOUT,
        memberId,
        groupInstanceId: null,
        protocolType: "consumer",
        protocols: [protocol],
      },
      { extraTimeout: LONE_MEMBER_REBALANCE_TIMEOUT },
    );
  let joined = await join("");
  // From the member id the broker hands out on, it expects us: leave under it whatever happens.
  let memberId = joined.memberId;
  try {
    if (joined.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
      joined = await join(memberId);
      memberId = joined.memberId || memberId;
    }
    throwForGroupAnswer(joined.errorCode);
    const generationId = joined.generationId ?? -1;
    if (joined.leader !== memberId || joined.members.length > 1) {
      throw new KafkaJSNonRetriableError(
        "The consumer group must have no running instances: another member joined while its offsets were being set",
      );
    }
    const synced = await connection.request(
      Apis.SyncGroup,
      { groupId, generationId, memberId, groupInstanceId: null, assignments: [] },
      { extraTimeout: LONE_MEMBER_REBALANCE_TIMEOUT },
    );
    throwForGroupAnswer(synced.errorCode);
    const committed = await connection.request(Apis.OffsetCommit, {
      groupId,
      generationIdOrMemberEpoch: generationId,
      memberId,
      groupInstanceId: null,
      retentionTimeMs: -1n,
      topics: [{ name: topic, partitions }],
    });
    for (const partition of committed.topics.flatMap((t) => t.partitions)) throwForGroupAnswer(partition.errorCode);
  } finally {
    // Leaving at once empties the group again, instead of after a session timeout.
    if (memberId)
      await connection
        .request(Apis.LeaveGroup, { groupId, memberId, members: [{ memberId, groupInstanceId: null, reason: null }] })
        .catch(() => undefined);
  }
}

export async function resetOffsets(
  ctx: AdminContext,
  { groupId, topic, earliest = false }: { groupId: string; topic: string; earliest?: boolean },
): Promise<void> {
  if (!groupId) throw new KafkaJSNonRetriableError(`Invalid groupId ${groupId}`);
  if (!topic) throw new KafkaJSNonRetriableError(`Invalid topic ${topic}`);
  const partitions = await attempt(ctx, () => topicPartitions(ctx, topic));
  const offset = String(earliest ? EARLIEST_OFFSET : LATEST_OFFSET);
  await setOffsets(ctx, {
    groupId,
    topic,
    partitions: partitions.map((p) => ({ partition: p.partitionIndex, offset })),
  });
}
