// Topic and partition lifecycle on the controller (the topic half of Kafka's
// ReplicationControlManager): CreateTopics, CreatePartitions and DeleteTopics turned into
// TopicRecord, ConfigRecord, PartitionRecord and RemoveTopicRecord, answered per topic as Kafka's
// controller answers. Replicas come from replica-placement.ts; a new partition's ISR is its active
// replicas and its leader the first of them (the preferred replica when it is active).
//
// Ownership: none — pure functions of an image (the controller's latest, uncommitted records
// included) and the request; the random numbers and topic ids come from the caller's settings.

import { ErrorCode } from "../protocol/errors.ts";
import type { MetadataRecord } from "../protocol/metadata-records/serde.ts";
import {
  ConfigResourceType,
  isInternalTopic,
  type MetadataImage,
  type TopicImage,
  topicIdKey,
} from "../server/metadata/metadata-image.ts";
import {
  MAX_NEW_PARTITIONS_PER_REQUEST,
  TOO_MANY_PARTITIONS,
  type TopicError,
  validateTopicName,
} from "../server/topics.ts";
import type { ControllerResult } from "./controller-result.ts";
import { InvalidReplicationFactorError, placeReplicas } from "./replica-placement.ts";

export interface TopicSettings {
  /** num.partitions: for numPartitions -1. */
  defaultPartitions: number;
  /** default.replication.factor: for replicationFactor -1. */
  defaultReplicationFactor: number;
  /** An integer in [0, bound): where placement starts. */
  randomInt: (bound: number) => number;
  /** 16 random bytes. */
  newTopicId: () => Buffer;
  /** Checks topic configs (names and values); every config passes when absent. */
  validateTopicConfigs?: (configs: Record<string, string>) => TopicError | null;
}

export interface CreatableTopic {
  name: string;
  numPartitions: number;
  replicationFactor: number;
  assignments: { partitionIndex: number; brokerIds: number[] }[];
  configs: { name: string; value: string | null }[];
}

export interface CreateTopicResult {
  name: string;
  /** All zeros when the topic was not created. */
  topicId: Buffer;
  errorCode: number;
  errorMessage: string | null;
  /** -1 when the topic was not created. */
  numPartitions: number;
  replicationFactor: number;
}

export interface CreatePartitionsTopic {
  name: string;
  count: number;
  assignments: { brokerIds: number[] }[] | null;
}

export interface TopicOutcome {
  name: string;
  errorCode: number;
  errorMessage: string | null;
}

const ZERO_UUID = Buffer.alloc(16);

class TopicRefusal extends Error {
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}

function refuse(errorCode: number, message: string): never {
  throw new TopicRefusal(errorCode, message);
}

function duplicates(names: readonly string[]): Set<string> {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const name of names) (seen.has(name) ? twice : seen).add(name);
  return twice;
}

/** '.' and '_' collide in metric names, so Kafka refuses a topic that differs from another only there. */
function collidingTopic(image: MetadataImage, name: string): string | undefined {
  if (!/[._]/.test(name)) return undefined;
  const unified = name.replaceAll(".", "_");
  for (const other of image.topicsByName.keys()) {
    if (other !== name && other.replaceAll(".", "_") === unified) return other;
  }
  return undefined;
}

/** Checks a manual assignment as Kafka's validateManualPartitionAssignment does. */
function checkManualAssignment(image: MetadataImage, brokerIds: readonly number[], replicationFactor?: number): void {
  if (brokerIds.length === 0)
    refuse(ErrorCode.INVALID_REPLICA_ASSIGNMENT, "The manual partition assignment includes an empty replica list.");
  const seen = new Set<number>();
  for (const id of brokerIds) {
    if (!image.broker(id))
      refuse(
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        `The manual partition assignment includes broker ${id}, but no such broker is registered.`,
      );
    if (seen.has(id))
      refuse(
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        `The manual partition assignment includes the broker ${id} more than once.`,
      );
    seen.add(id);
  }
  if (replicationFactor !== undefined && brokerIds.length !== replicationFactor)
    refuse(
      ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      `The manual partition assignment includes a partition with ${brokerIds.length} replica(s), but this is not consistent with previous partitions, which have ${replicationFactor} replica(s).`,
    );
}

function placeOrRefuse(image: MetadataImage, count: number, replicationFactor: number, settings: TopicSettings) {
  try {
    return placeReplicas(
      image.activeBrokers().map((b) => b.id),
      count,
      replicationFactor,
      settings.randomInt,
    );
  } catch (error) {
    if (error instanceof InvalidReplicationFactorError)
      refuse(
        ErrorCode.INVALID_REPLICATION_FACTOR,
        `Unable to replicate the partition ${replicationFactor} time(s): ${error.message}`,
      );
    throw error;
  }
}

function partitionRecord(
  image: MetadataImage,
  topicId: Buffer,
  partitionId: number,
  replicas: number[],
  refusal: [number, string],
): MetadataRecord {
  const isr = replicas.filter((id) => image.isActive(id));
  if (isr.length === 0) refuse(...refusal);
  return {
    type: "PartitionRecord",
    version: 0,
    data: {
      partitionId,
      topicId,
      replicas,
      isr,
      removingReplicas: [],
      addingReplicas: [],
      leader: isr[0]!,
      leaderEpoch: 0,
      partitionEpoch: 0,
    },
  };
}

/** The replica lists of a new topic, from its manual assignment or from placement. */
function topicAssignment(image: MetadataImage, topic: CreatableTopic, settings: TopicSettings): number[][] {
  if (topic.assignments.length > 0) {
    if (topic.replicationFactor !== -1)
      refuse(
        ErrorCode.INVALID_REQUEST,
        "A manual partition assignment was specified, but replication factor was not set to -1.",
      );
    if (topic.numPartitions !== -1)
      refuse(
        ErrorCode.INVALID_REQUEST,
        "A manual partition assignment was specified, but numPartitions was not set to -1.",
      );
    const byPartition = new Map<number, number[]>();
    let replicationFactor: number | undefined;
    for (const assignment of topic.assignments) {
      if (byPartition.has(assignment.partitionIndex))
        refuse(
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          `Found multiple manual partition assignments for partition ${assignment.partitionIndex}`,
        );
      checkManualAssignment(image, assignment.brokerIds, replicationFactor);
      replicationFactor = assignment.brokerIds.length;
      byPartition.set(assignment.partitionIndex, [...assignment.brokerIds]);
    }
    const replicas: number[][] = [];
    for (let i = 0; i < byPartition.size; i++) {
      const assigned = byPartition.get(i);
      if (!assigned)
        refuse(ErrorCode.INVALID_REPLICA_ASSIGNMENT, "partitions should be a consecutive 0-based integer sequence");
      replicas.push(assigned);
    }
    return replicas;
  }
  if (topic.replicationFactor < -1 || topic.replicationFactor === 0)
    refuse(
      ErrorCode.INVALID_REPLICATION_FACTOR,
      "Replication factor must be larger than 0, or -1 to use the default value.",
    );
  if (topic.numPartitions < -1 || topic.numPartitions === 0)
    refuse(ErrorCode.INVALID_PARTITIONS, "Number of partitions was set to an invalid non-positive value.");
  const count = topic.numPartitions === -1 ? settings.defaultPartitions : topic.numPartitions;
  const replicationFactor =
    topic.replicationFactor === -1 ? settings.defaultReplicationFactor : topic.replicationFactor;
  return placeOrRefuse(image, count, replicationFactor, settings);
}

function wantedPartitions(topic: CreatableTopic, settings: TopicSettings): number {
  if (topic.assignments.length > 0) return topic.assignments.length;
  return topic.numPartitions === -1 ? settings.defaultPartitions : Math.max(0, topic.numPartitions);
}

function createTopic(
  image: MetadataImage,
  topic: CreatableTopic,
  settings: TopicSettings,
): { records: MetadataRecord[]; result: CreateTopicResult } {
  const invalidName = validateTopicName(topic.name);
  if (invalidName) refuse(invalidName.errorCode, invalidName.errorMessage);
  if (image.topic(topic.name)) refuse(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${topic.name}' already exists.`);
  const colliding = collidingTopic(image, topic.name);
  if (colliding !== undefined)
    refuse(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic '${topic.name}' collides with existing topic: ${colliding}`);
  const nullConfigs = topic.configs.filter((c) => c.value === null).map((c) => c.name);
  if (nullConfigs.length > 0)
    refuse(ErrorCode.INVALID_CONFIG, `Null value not supported for topic configs: ${nullConfigs.join(",")}`);
  const configs = Object.fromEntries(topic.configs.map((c) => [c.name, c.value as string]));
  const invalidConfig = settings.validateTopicConfigs?.(configs);
  if (invalidConfig) refuse(invalidConfig.errorCode, invalidConfig.errorMessage);
  const assignment = topicAssignment(image, topic, settings);
  const topicId = settings.newTopicId();
  const records: MetadataRecord[] = [{ type: "TopicRecord", version: 0, data: { name: topic.name, topicId } }];
  for (const [name, value] of Object.entries(configs)) {
    records.push({
      type: "ConfigRecord",
      version: 0,
      data: { resourceType: ConfigResourceType.TOPIC, resourceName: topic.name, name, value },
    });
  }
  assignment.forEach((replicas, partitionId) => {
    records.push(
      partitionRecord(image, topicId, partitionId, replicas, [
        topic.assignments.length > 0 ? ErrorCode.INVALID_REPLICA_ASSIGNMENT : ErrorCode.INVALID_REPLICATION_FACTOR,
        topic.assignments.length > 0
          ? `All brokers specified in the manual partition assignment for partition ${partitionId} are fenced or in controlled shutdown.`
          : `Unable to replicate the partition ${replicas.length} time(s): All brokers are currently fenced or in controlled shutdown.`,
      ]),
    );
  });
  return {
    records,
    result: {
      name: topic.name,
      topicId,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      numPartitions: assignment.length,
      replicationFactor: assignment[0]?.length ?? -1,
    },
  };
}

function failedTopic(name: string, errorCode: number, errorMessage: string | null): CreateTopicResult {
  return { name, topicId: ZERO_UUID, errorCode, errorMessage, numPartitions: -1, replicationFactor: -1 };
}

/** CreateTopics: one result per requested topic, in request order; with validateOnly, no records. */
export function createTopics(
  image: MetadataImage,
  topics: readonly CreatableTopic[],
  validateOnly: boolean,
  settings: TopicSettings,
): ControllerResult<CreateTopicResult[]> {
  const twice = duplicates(topics.map((t) => t.name));
  let requested = 0;
  for (const topic of topics) requested += wantedPartitions(topic, settings);
  const records: MetadataRecord[] = [];
  // Each topic sees the ones created before it in the same request (a collision between two new names is refused).
  let working = image;
  const response = topics.map((topic) => {
    if (twice.has(topic.name)) return failedTopic(topic.name, ErrorCode.INVALID_REQUEST, "Duplicate topic name.");
    if (requested > MAX_NEW_PARTITIONS_PER_REQUEST)
      return failedTopic(topic.name, TOO_MANY_PARTITIONS.errorCode, TOO_MANY_PARTITIONS.errorMessage);
    try {
      const created = createTopic(working, topic, settings);
      records.push(...created.records);
      working = withTopicName(working, topic.name, created.result.topicId);
      return created.result;
    } catch (error) {
      if (error instanceof TopicRefusal) return failedTopic(topic.name, error.errorCode, error.message);
      throw error;
    }
  });
  return { records: validateOnly ? [] : records, response };
}

/** The image with an empty topic of that name: enough for name checks later in the same request. */
function withTopicName(image: MetadataImage, name: string, topicId: Buffer): MetadataImage {
  const topic: TopicImage = { name, topicId, partitions: [] };
  const byName = new Map(image.topicsByName).set(name, topic);
  const byId = new Map(image.topicsById).set(topicIdKey(topicId), topic);
  return image.with({ topicsByName: byName, topicsById: byId });
}

function createPartitionsOf(
  image: MetadataImage,
  wanted: CreatePartitionsTopic,
  settings: TopicSettings,
): MetadataRecord[] {
  const topic = image.topic(wanted.name);
  if (!topic) refuse(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "This server does not host this topic-partition.");
  const current = topic.partitions.length;
  if (wanted.count === current) refuse(ErrorCode.INVALID_PARTITIONS, `Topic already has ${current} partition(s).`);
  if (wanted.count < current)
    refuse(
      ErrorCode.INVALID_PARTITIONS,
      `The topic ${wanted.name} currently has ${current} partition(s); ${wanted.count} would not be an increase: partitions can only be added, never removed.`,
    );
  const additional = wanted.count - current;
  const replicationFactor = topic.partitions[0]?.replicas.length ?? settings.defaultReplicationFactor;
  let assignment: number[][];
  if (wanted.assignments !== null) {
    if (wanted.assignments.length !== additional)
      refuse(
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        `Attempted to add ${additional} additional partition(s), but only ${wanted.assignments.length} assignment(s) were specified.`,
      );
    for (const a of wanted.assignments) checkManualAssignment(image, a.brokerIds, replicationFactor);
    assignment = wanted.assignments.map((a) => [...a.brokerIds]);
  } else {
    assignment = placeOrRefuse(image, additional, replicationFactor, settings);
  }
  return assignment.map((replicas, i) =>
    partitionRecord(image, topic.topicId, current + i, replicas, [
      wanted.assignments !== null ? ErrorCode.INVALID_REPLICA_ASSIGNMENT : ErrorCode.INVALID_REPLICATION_FACTOR,
      wanted.assignments !== null
        ? `All brokers specified in the manual partition assignment for partition ${current + i} are fenced or in controlled shutdown.`
        : `Unable to replicate the partition ${replicationFactor} time(s): All brokers are currently fenced or in controlled shutdown.`,
    ]),
  );
}

/** CreatePartitions: grows each topic to its count; one outcome per requested topic. */
export function createPartitions(
  image: MetadataImage,
  topics: readonly CreatePartitionsTopic[],
  validateOnly: boolean,
  settings: TopicSettings,
): ControllerResult<TopicOutcome[]> {
  const twice = duplicates(topics.map((t) => t.name));
  let added = 0;
  for (const wanted of topics) {
    const current = image.topic(wanted.name)?.partitions.length;
    if (current !== undefined) added += Math.max(0, wanted.count - current);
  }
  const records: MetadataRecord[] = [];
  const response = topics.map((wanted): TopicOutcome => {
    if (twice.has(wanted.name))
      return { name: wanted.name, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: "Duplicate topic name." };
    if (added > MAX_NEW_PARTITIONS_PER_REQUEST) return { name: wanted.name, ...TOO_MANY_PARTITIONS };
    try {
      records.push(...createPartitionsOf(image, wanted, settings));
      return { name: wanted.name, errorCode: ErrorCode.NONE, errorMessage: null };
    } catch (error) {
      if (error instanceof TopicRefusal)
        return { name: wanted.name, errorCode: error.errorCode, errorMessage: error.message };
      throw error;
    }
  });
  return { records: validateOnly ? [] : records, response };
}

/** DeleteTopics by name: a RemoveTopicRecord per existing topic; internal topics stay (their loss loses every group's offsets). */
export function deleteTopics(image: MetadataImage, names: readonly string[]): ControllerResult<TopicOutcome[]> {
  const twice = duplicates(names);
  const records: MetadataRecord[] = [];
  const response = names.map((name): TopicOutcome => {
    if (twice.has(name)) return { name, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: "Duplicate topic name." };
    const topic = image.topic(name);
    if (!topic)
      return {
        name,
        errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        errorMessage: "This server does not host this topic-partition.",
      };
    if (isInternalTopic(name))
      return {
        name,
        errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION,
        errorMessage: `Topic ${name} is internal and cannot be deleted.`,
      };
    records.push({ type: "RemoveTopicRecord", version: 0, data: { topicId: topic.topicId } });
    return { name, errorCode: ErrorCode.NONE, errorMessage: null };
  });
  return { records, response };
}
