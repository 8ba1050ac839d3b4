// A consumer session: one generation of group membership with its assignment (or a standalone
// assignment) and the state of each assigned partition, and how one is opened: join and sync (or
// take the standalone assignment), then load the committed offsets. A session ends when the group
// rebalances, the consumer stops or the runner gives up; a new generation is a new session, except
// under the cooperative protocol, where a session lives on through rebalances: each new generation
// changes its identity and adds or revokes partitions (the runner's cooperative rejoin).
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
import type { TopicPartitions } from "../types.ts";
import type { CommitIdentity, GroupJoinResult, GroupMember } from "./group.ts";
import type { OffsetManager } from "./offset-manager.ts";
import { createPartitionState, type PartitionState } from "./partition-state.ts";
import type { AssignmentChangeReason, ConsumerEvents, StandaloneAssignment } from "./types.ts";

export class Session {
  ended = false;
  /** False once the broker has told us this generation is gone: committing with it would fail. */
  canCommit = true;
  /** Why the session ended, for the PARTITIONS_REVOKED event; "stop" unless a rebalance ended it. */
  endReason: { reason: AssignmentChangeReason; cause?: string } = { reason: "stop" };

  constructor(
    /** Replaced (never changed in place) when a cooperative session moves to its next generation. */
    public identity: CommitIdentity,
    readonly partitions: Map<string, PartitionState>,
    /** Partition counts of the subscribed topics when assigned: a change calls for a new assignment. */
    public partitionCounts: Map<string, number>,
  ) {}

  /** What the member owns, as its subscription metadata lists it for the cooperative assignor. */
  ownedPartitions(): TopicPartitions[] {
    return toTopicPartitions([...this.partitions.values()]);
  }
}

/** Partitions grouped by topic, each list in partition order. */
export function toTopicPartitions(states: Array<{ topic: string; partition: number }>): TopicPartitions[] {
  const byTopic = new Map<string, number[]>();
  for (const { topic, partition } of states) {
    let list = byTopic.get(topic);
    if (!list) byTopic.set(topic, (list = []));
    list.push(partition);
  }
  return [...byTopic].map(([topic, partitions]) => ({ topic, partitions: partitions.sort((a, b) => a - b) }));
}

export interface OpenSessionOptions {
  cluster: Cluster;
  logger: Logger;
  emitter: InstrumentationEmitter<ConsumerEvents>;
  groupId: string;
  /** null for a standalone consumer. */
  group: GroupMember | null;
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
  const { group, cluster, subscription, offsetManager } = options;
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
  const memberAssignment = subscribedAssignment(options, joined);
  const partitions = new Map<string, PartitionState>();
  for (const [topic, list] of Object.entries(memberAssignment)) {
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
  emitGroupJoin(options, joined, memberAssignment, started);
  return session;
}

/** The joined member's assignment, topics it did not subscribe to left out (and reported), partitions in order. */
export function subscribedAssignment(
  {
    emitter,
    logger,
    groupId,
    subscription,
  }: Pick<OpenSessionOptions, "emitter" | "logger" | "groupId" | "subscription">,
  joined: GroupJoinResult,
): Record<string, number[]> {
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
  for (const topic of assignedTopics) {
    if (topicsNotSubscribed.includes(topic)) continue;
    memberAssignment[topic] = [...joined.assignment[topic]!].sort((a, b) => a - b);
  }
  return memberAssignment;
}

/** kafkajs's GROUP_JOIN event and log line, once a generation's assignment is in place. */
export function emitGroupJoin(
  { emitter, logger, groupId }: Pick<OpenSessionOptions, "emitter" | "logger" | "groupId">,
  joined: GroupJoinResult,
  memberAssignment: Record<string, number[]>,
  started: number,
): void {
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
}
