// Partition reassignment on the controller (KIP-455; the reassignment half of Kafka's
// ReplicationControlManager, with its PartitionReassignmentReplicas and PartitionReassignmentRevert):
// AlterPartitionReassignments and ListPartitionReassignments, and the completion an AlterPartition
// brings about.
//
// A reassignment moves a partition from its original replicas to a target in three steps:
// 1. start: one PartitionChangeRecord makes the replicas the target followed by the original
//    replicas the target drops (the union), and names the replicas being added and removed; the ISR
//    and the leader stay (the brokers create the added replicas, which fetch from the leader);
// 2. catch up: the leader adds each new replica to the ISR with AlterPartition once it caught up;
// 3. complete: once every target replica is in the ISR, the replicas become the target, the ISR
//    keeps only target replicas, the adding and removing lists are cleared, and a leader outside the
//    target hands over to a target replica in the ISR (the brokers then stop the removed replicas
//    and delete their logs). A target already wholly in the ISR completes at once, in step 1.
// Cancelling (replicas null) reverts: back to the original replicas, the added ones out of the ISR
// (and out of leadership). A new target for a partition being moved replaces the old one, counted
// from the original replicas.
//
// Ownership: none — pure functions of an image (the controller's latest) and the request.

import { ErrorCode } from "../protocol/errors.ts";
import type { MetadataRecord } from "../protocol/metadata-records/serde.ts";
import { mergePartitionChange } from "../server/metadata/metadata-delta.ts";
import {
  type MetadataImage,
  NO_LEADER_CHANGE,
  type PartitionRegistration,
  type TopicImage,
} from "../server/metadata/metadata-image.ts";
import type { ControllerResult } from "./controller-result.ts";
import { buildPartitionChange } from "./partition-change.ts";

type PartitionChangeRecord = Extract<MetadataRecord, { type: "PartitionChangeRecord" }>;

export interface ReassignableTopic {
  name: string;
  /** replicas null: cancel the partition's reassignment. */
  partitions: { partitionIndex: number; replicas: number[] | null }[];
}

export interface ReassignmentOutcome {
  name: string;
  partitions: { partitionIndex: number; errorCode: number; errorMessage: string | null }[];
}

/** A topic's partitions ListPartitionReassignments asks about. */
export interface ListedTopic {
  name: string;
  partitionIndexes: number[];
}

export interface OngoingReassignment {
  name: string;
  partitions: { partitionIndex: number; replicas: number[]; addingReplicas: number[]; removingReplicas: number[] }[];
}

/** Whether a reassignment moves the partition now. */
export function isReassigning(partition: PartitionRegistration): boolean {
  return (partition.addingReplicas?.length ?? 0) > 0 || (partition.removingReplicas?.length ?? 0) > 0;
}

/** The replicas before the reassignment: the current ones less those being added. */
export function originalReplicas(partition: PartitionRegistration): number[] {
  const adding = partition.addingReplicas ?? [];
  return partition.replicas.filter((id) => !adding.includes(id));
}

/** The replicas the reassignment moves to: the current ones less those being removed. */
export function targetReplicas(partition: PartitionRegistration): number[] {
  const removing = partition.removingReplicas ?? [];
  return partition.replicas.filter((id) => !removing.includes(id));
}

interface WantedAssignment {
  replicas: readonly number[];
  isr: readonly number[];
  addingReplicas: readonly number[];
  removingReplicas: readonly number[];
}

const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((id, i) => id === b[i]);

/**
 * The record that gives the partition `wanted`, electing a leader among the wanted ISR (in the
 * wanted replicas' order) when the current one is not in it; null when nothing would change.
 */
function assignmentRecord(
  topicId: Buffer,
  partition: PartitionRegistration,
  wanted: WantedAssignment,
  isAcceptableLeader: (id: number) => boolean,
): PartitionChangeRecord | null {
  const election = buildPartitionChange({
    topicId,
    partition: { ...partition, replicas: wanted.replicas },
    targetIsr: wanted.isr,
    isAcceptableLeader,
  });
  const replicasChange =
    !same(wanted.replicas, partition.replicas) ||
    !same(wanted.addingReplicas, partition.addingReplicas ?? []) ||
    !same(wanted.removingReplicas, partition.removingReplicas ?? []);
  if (!replicasChange) return election?.record ?? null;
  return {
    type: "PartitionChangeRecord",
    version: 0,
    data: {
      partitionId: partition.partition,
      topicId,
      isr: election?.record.data.isr ?? null,
      leader: election?.record.data.leader ?? NO_LEADER_CHANGE,
      replicas: [...wanted.replicas],
      addingReplicas: [...wanted.addingReplicas],
      removingReplicas: [...wanted.removingReplicas],
    },
  };
}

/** The completed assignment of a partition whose target replicas are all in `isr`, or null. */
function completed(replicas: readonly number[], isr: readonly number[]): WantedAssignment | null {
  if (replicas.length === 0 || !replicas.every((id) => isr.includes(id))) return null;
  return { replicas, isr: isr.filter((id) => replicas.includes(id)), addingReplicas: [], removingReplicas: [] };
}

/**
 * The record that completes the partition's reassignment, when every target replica is in its ISR
 * (Kafka's completeReassignmentIfNeeded); null otherwise.
 */
export function completeReassignment(
  topicId: Buffer,
  partition: PartitionRegistration,
  isAcceptableLeader: (id: number) => boolean,
): PartitionChangeRecord | null {
  if (!isReassigning(partition)) return null;
  const wanted = completed(targetReplicas(partition), partition.isr);
  return wanted && assignmentRecord(topicId, partition, wanted, isAcceptableLeader);
}

/**
 * An ISR or leader change (`change`, or none) with the completion it brings about folded in: one
 * record that also completes the reassignment when the changed ISR holds every target replica.
 */
export function withReassignmentCompleted(
  topicId: Buffer,
  partition: PartitionRegistration,
  change: PartitionChangeRecord | null,
  isAcceptableLeader: (id: number) => boolean,
): PartitionChangeRecord | null {
  if (!isReassigning(partition)) return change;
  const changed = change
    ? mergePartitionChange(partition, change.data.isr ?? null, change.data.leader ?? NO_LEADER_CHANGE)
    : partition;
  const completion = completeReassignment(topicId, changed, isAcceptableLeader);
  if (!completion) return change;
  if (!change) return completion;
  const completionLeader = completion.data.leader ?? NO_LEADER_CHANGE;
  return {
    ...completion,
    data: {
      ...completion.data,
      isr: completion.data.isr ?? change.data.isr,
      leader: completionLeader !== NO_LEADER_CHANGE ? completionLeader : change.data.leader,
    },
  };
}

/** Kafka's validateManualPartitionAssignment: a refusal message, or null. */
function invalidAssignment(image: MetadataImage, replicas: readonly number[]): string | null {
  if (replicas.length === 0) return "The manual partition assignment includes an empty replica list.";
  const seen = new Set<number>();
  for (const id of replicas) {
    if (!image.broker(id))
      return `The manual partition assignment includes broker ${id}, but no such broker is registered.`;
    if (seen.has(id)) return `The manual partition assignment includes the broker ${id} more than once.`;
    seen.add(id);
  }
  return null;
}

/** Where a partition goes for a new target, counted from its original replicas (Kafka's PartitionReassignmentReplicas). */
function reassignTo(partition: PartitionRegistration, target: readonly number[]): WantedAssignment {
  const original = originalReplicas(partition);
  const removingReplicas = original.filter((id) => !target.includes(id));
  const addingReplicas = target.filter((id) => !original.includes(id));
  const replicas = [...target, ...removingReplicas];
  // Replicas an earlier target added and this one drops leave the ISR with the replica set.
  const isr = partition.isr.filter((id) => replicas.includes(id));
  return (
    completed(target, isr) ?? {
      replicas,
      isr: isr.length > 0 ? isr : partition.isr,
      addingReplicas,
      removingReplicas,
    }
  );
}

/** Back to the original replicas, the added ones out of the ISR (Kafka's PartitionReassignmentRevert). */
function revert(partition: PartitionRegistration): WantedAssignment {
  const replicas = originalReplicas(partition);
  const isr = partition.isr.filter((id) => replicas.includes(id));
  // No original replica in the ISR: the ISR stays as it is rather than empty (an ISR is never emptied).
  return { replicas, isr: isr.length > 0 ? isr : partition.isr, addingReplicas: [], removingReplicas: [] };
}

type PartitionOutcome = ReassignmentOutcome["partitions"][number];

function reassignOne(
  image: MetadataImage,
  topic: TopicImage | undefined,
  topicName: string,
  wanted: ReassignableTopic["partitions"][number],
  records: PartitionChangeRecord[],
): PartitionOutcome {
  const { partitionIndex } = wanted;
  const answer = (errorCode: number, errorMessage: string | null = null) => ({
    partitionIndex,
    errorCode,
    errorMessage,
  });
  if (!topic) return answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Unable to find topic ${topicName}`);
  const partition = topic.partitions[partitionIndex];
  if (!partition)
    return answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Unable to find partition ${topicName}:${partitionIndex}.`);
  let assignment: WantedAssignment;
  if (wanted.replicas === null) {
    if (!isReassigning(partition))
      return answer(
        ErrorCode.NO_REASSIGNMENT_IN_PROGRESS,
        `No ongoing reassignment for partition ${topicName}:${partitionIndex}.`,
      );
    assignment = revert(partition);
  } else {
    const invalid = invalidAssignment(image, wanted.replicas);
    if (invalid !== null) return answer(ErrorCode.INVALID_REPLICA_ASSIGNMENT, invalid);
    assignment = reassignTo(partition, wanted.replicas);
  }
  const record = assignmentRecord(topic.topicId, partition, assignment, (id) => image.isActive(id));
  if (record) records.push(record);
  return answer(ErrorCode.NONE);
}

/** AlterPartitionReassignments: one outcome per partition named, in request order. */
export function alterPartitionReassignments(
  image: MetadataImage,
  topics: readonly ReassignableTopic[],
): ControllerResult<ReassignmentOutcome[]> {
  const records: PartitionChangeRecord[] = [];
  const response = topics.map(({ name, partitions }) => {
    const topic = image.topic(name);
    return {
      name,
      partitions: partitions.map((wanted) => reassignOne(image, topic, name, wanted, records)),
    };
  });
  return { records, response };
}

/**
 * ListPartitionReassignments: the partitions being moved, of every topic (null) or of the topics
 * and partitions named; names of topics or partitions that do not exist, or are not being moved,
 * are left out, as Kafka does.
 */
export function listPartitionReassignments(
  image: MetadataImage,
  topics: readonly ListedTopic[] | null,
): OngoingReassignment[] {
  const wanted =
    topics === null
      ? [...image.topicsByName.values()]
          .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
          .map((topic) => ({ topic, partitions: topic.partitions }))
      : topics.map(({ name, partitionIndexes }) => {
          const topic = image.topic(name);
          const partitions = topic ? partitionIndexes.map((i) => topic.partitions[i]) : [];
          return { topic, partitions };
        });
  const ongoing: OngoingReassignment[] = [];
  for (const { topic, partitions } of wanted) {
    if (!topic) continue;
    const moving = partitions.filter((p): p is PartitionRegistration => p !== undefined && isReassigning(p));
    if (moving.length === 0) continue;
    ongoing.push({
      name: topic.name,
      partitions: moving.map((p) => ({
        partitionIndex: p.partition,
        replicas: [...p.replicas],
        addingReplicas: [...(p.addingReplicas ?? [])],
        removingReplicas: [...(p.removingReplicas ?? [])],
      })),
    });
  }
  return ongoing;
}
