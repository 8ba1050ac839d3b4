// A consumer session: one generation of group membership with its assignment (or a standalone
// assignment) and the state of each assigned partition, and how one is opened: join and sync (or
// take the standalone assignment), then load the committed offsets. A session ends when the group
// rebalances, the consumer stops or the runner gives up; a new generation is a new session.
//
// Ownership: the runner opens and ends sessions. The partitions' positions are shared out by job:
// the fetcher finds start positions (ListOffsets, seeks, out-of-range resets), the runner moves
// `resolved` on as the app processes messages, and the offset manager loads and writes
// `committed` (see partition-state.ts for what each field means).
import type { Cluster } from "../cluster.ts";
import { consumerEvents } from "../events.ts";
import type { InstrumentationEmitter } from "../instrumentation.ts";
import type { Logger } from "../logger.ts";
import { createRetrier, type RetryOptions } from "../retry.ts";
import type { CommitIdentity, GroupMembership } from "./group.ts";
import type { OffsetManager } from "./offset-manager.ts";
import { createPartitionState, type PartitionState } from "./partition-state.ts";
import type { ConsumerEvents, StandaloneAssignment } from "./types.ts";

export class Session {
  ended = false;
  /** False once the broker has told us this generation is gone: committing with it would fail. */
  canCommit = true;

  constructor(
    readonly identity: CommitIdentity,
    readonly partitions: Map<string, PartitionState>,
    /** Partition counts of the subscribed topics when assigned: a change calls for a new assignment. */
    readonly partitionCounts: Map<string, number>,
  ) {}
}

export interface OpenSessionOptions {
  cluster: Cluster;
  logger: Logger;
  emitter: InstrumentationEmitter<ConsumerEvents>;
  groupId: string;
  /** null for a standalone consumer. */
  group: GroupMembership | null;
  subscription: { topics: string[]; fromBeginning: Map<string, boolean> };
  standalone: StandaloneAssignment[] | null;
  offsetManager: OffsetManager;
  retry: RetryOptions | undefined;
}

/** Whether the cluster's metadata knows the partition (and so its leader). */
export function knowsPartition(cluster: Cluster, topic: string, partition: number): boolean {
  if (!cluster.hasTopic(topic)) return false;
  return cluster.topicMetadata(topic).partitions.some((p) => p.partitionId === partition);
}

/** How many partitions each subscribed topic has, as far as the metadata knows. */
export function subscribedPartitionCounts(cluster: Cluster, topics: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const topic of topics) {
    if (cluster.hasTopic(topic)) counts.set(topic, cluster.topicMetadata(topic).partitions.length);
  }
  return counts;
}

/** A member joins (or a standalone consumer takes its assignment) and its positions are loaded. */
export async function openSession(options: OpenSessionOptions, isRunning: () => boolean): Promise<Session> {
  const { group, cluster, emitter, logger, groupId, subscription, offsetManager } = options;
  const started = Date.now();
  const retrier = createRetrier(options.retry);
  if (!group) {
    const assignment = options.standalone ?? [];
    await cluster.addTargetTopics([...new Set(assignment.map((a) => a.topic))]);
    const partitions = new Map<string, PartitionState>();
    for (const { topic, partitions: list, fromBeginning = false } of assignment) {
      for (const partition of list) {
        const state = createPartitionState(topic, partition, fromBeginning);
        partitions.set(state.key, state);
      }
    }
    const session = new Session({ generationId: -1, memberId: "" }, partitions, new Map());
    await retrier(() => offsetManager.loadCommitted(session));
    return session;
  }

  const joined = await group.joinAndSync(subscription.topics, isRunning);
  const assignedTopics = Object.keys(joined.assignment);
  const topicsNotSubscribed = assignedTopics.filter((topic) => !subscription.topics.includes(topic));
  if (topicsNotSubscribed.length > 0) {
    const payload = {
      groupId,
      generationId: joined.generationId,
      memberId: joined.memberId,
      assignedTopics,
      topicsSubscribed: subscription.topics,
      topicsNotSubscribed,
    };
    emitter.emit(consumerEvents.RECEIVED_UNSUBSCRIBED_TOPICS, payload);
    logger.warn("Consumer group received unsubscribed topics", payload);
  }
  const memberAssignment: Record<string, number[]> = {};
  const partitions = new Map<string, PartitionState>();
  for (const topic of assignedTopics) {
    if (topicsNotSubscribed.includes(topic)) continue;
    const list = [...joined.assignment[topic]!].sort((a, b) => a - b);
    memberAssignment[topic] = list;
    for (const partition of list) {
      const state = createPartitionState(topic, partition, subscription.fromBeginning.get(topic) ?? false);
      partitions.set(state.key, state);
    }
  }
  if ([...partitions.values()].some(({ topic, partition }) => !knowsPartition(cluster, topic, partition)))
    await cluster.refreshMetadata();
  const session = new Session(
    { generationId: joined.generationId, memberId: joined.memberId },
    partitions,
    subscribedPartitionCounts(cluster, subscription.topics),
  );
  await retrier(() => offsetManager.loadCommitted(session));
  emitter.emit(consumerEvents.GROUP_JOIN, {
    duration: Date.now() - started,
    groupId,
    isLeader: joined.isLeader,
    leaderId: joined.leaderId,
    groupProtocol: joined.groupProtocol,
    memberId: joined.memberId,
    memberAssignment,
  });
  logger.info("Consumer has joined the group", {
    groupId,
    memberId: joined.memberId,
    leaderId: joined.leaderId,
    isLeader: joined.isLeader,
    memberAssignment,
    groupProtocol: joined.groupProtocol,
  });
  return session;
}
