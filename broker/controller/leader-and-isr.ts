// Leaders and ISRs on the controller (the partition half of Kafka's ReplicationControlManager):
// AlterPartition from partition leaders (completing a reassignment once its new replicas are all in
// the ISR: partition-reassignment.ts), the leader and ISR changes a broker's fencing, unfencing,
// controlled shutdown or unregistration causes, ElectLeaders, and the periodic preferred-leader
// (auto rebalance) and unclean elections. Every change goes through partition-change.ts.
//
// Unclean election: a topic may elect a leader outside its ISR only when its
// `unclean.leader.election.enable` says so (the topic's ConfigRecord, else the cluster-wide broker
// config, else this controller's broker default, false unless configured).
//
// Ownership: none — pure functions of an image (the controller's latest) and the request.

import { ErrorCode } from "../protocol/errors.ts";
import type { MetadataRecord } from "../protocol/metadata-records/serde.ts";
import { mergePartitionChange } from "../server/metadata/metadata-delta.ts";
import {
  type MetadataImage,
  NO_LEADER,
  NO_LEADER_CHANGE,
  type PartitionRegistration,
  type TopicPartitionImage,
} from "../server/metadata/metadata-image.ts";
import type { ControllerResult } from "./controller-result.ts";
import { buildPartitionChange, type Election, type PartitionChange } from "./partition-change.ts";
import { withReassignmentCompleted } from "./partition-reassignment.ts";

type PartitionChangeRecord = PartitionChange["record"];

export const UNCLEAN_LEADER_ELECTION_CONFIG = "unclean.leader.election.enable";

export interface ElectionSettings {
  /** The broker default of unclean.leader.election.enable. */
  uncleanLeaderElection: boolean;
  /** Told about every unclean election (it may lose acknowledged data, so it is worth a warning). */
  onUncleanElection?: (topic: string, partition: number, leader: number) => void;
}

export function uncleanElectionEnabled(image: MetadataImage, topic: string, settings: ElectionSettings): boolean {
  const value =
    image.topicConfig(topic, UNCLEAN_LEADER_ELECTION_CONFIG) ??
    image.brokerConfigs.get("")?.get(UNCLEAN_LEADER_ELECTION_CONFIG);
  return value === undefined ? settings.uncleanLeaderElection : value === "true";
}

function partitionChangeRecord(
  { topic, partition }: TopicPartitionImage,
  settings: ElectionSettings,
  options: { targetIsr?: readonly number[]; election: Election; isAcceptableLeader: (id: number) => boolean },
): PartitionChangeRecord | null {
  const change = buildPartitionChange({ topicId: topic.topicId, partition, ...options });
  if (!change) return null;
  if (change.unclean) settings.onUncleanElection?.(topic.name, partition.partition, change.record.data.leader!);
  return change.record;
}

/**
 * Kafka's generateLeaderAndIsrUpdates: for each partition, `remove` leaves the ISR and may not lead,
 * `add` may lead although the image does not show it active yet (it is being unfenced), and a new
 * leader is elected where the old one may no longer lead.
 */
export function leaderAndIsrUpdates(
  image: MetadataImage,
  partitions: readonly TopicPartitionImage[],
  settings: ElectionSettings,
  { remove = NO_LEADER, add = NO_LEADER }: { remove?: number; add?: number },
): MetadataRecord[] {
  const isAcceptableLeader = (id: number) => id !== remove && (id === add || image.isActive(id));
  const records: MetadataRecord[] = [];
  for (const entry of partitions) {
    const record = partitionChangeRecord(entry, settings, {
      targetIsr: entry.partition.isr.filter((id) => id !== remove),
      election: uncleanElectionEnabled(image, entry.topic.name, settings) ? "unclean" : "online",
      isAcceptableLeader,
    });
    if (record) records.push(record);
  }
  return records;
}

/** Partitions the broker leads or is an ISR member of. */
function partitionsInvolving(image: MetadataImage, brokerId: number): TopicPartitionImage[] {
  return image
    .allPartitions()
    .filter(({ partition }) => partition.leader === brokerId || partition.isr.includes(brokerId));
}

/** Fencing: the broker leaves every ISR and leadership (the last ISR member stays, leaderless), then is fenced. */
export function fenceBrokerRecords(
  image: MetadataImage,
  brokerId: number,
  settings: ElectionSettings,
): MetadataRecord[] {
  const broker = image.broker(brokerId);
  if (!broker) return [];
  return [
    ...leaderAndIsrUpdates(image, partitionsInvolving(image, brokerId), settings, { remove: brokerId }),
    { type: "FenceBrokerRecord", version: 0, data: { id: brokerId, epoch: broker.epoch } },
  ];
}

/** Unfencing: the broker is unfenced, then leads the leaderless partitions it may lead. */
export function unfenceBrokerRecords(
  image: MetadataImage,
  brokerId: number,
  settings: ElectionSettings,
): MetadataRecord[] {
  const broker = image.broker(brokerId);
  if (!broker) return [];
  return [
    { type: "UnfenceBrokerRecord", version: 0, data: { id: brokerId, epoch: broker.epoch } },
    ...leaderAndIsrUpdates(image, image.partitionsWithoutLeader(), settings, { add: brokerId }),
  ];
}

/** Controlled shutdown: the broker is marked shutting down, leaves every ISR, and its leaderships move. */
export function controlledShutdownRecords(
  image: MetadataImage,
  brokerId: number,
  settings: ElectionSettings,
): MetadataRecord[] {
  const broker = image.broker(brokerId);
  if (!broker) return [];
  const records: MetadataRecord[] = [];
  if (!broker.inControlledShutdown) {
    records.push({
      type: "BrokerRegistrationChangeRecord",
      version: 1,
      data: { brokerId, brokerEpoch: broker.epoch, fenced: 0, inControlledShutdown: 1, logDirs: [] },
    });
  }
  records.push(...leaderAndIsrUpdates(image, partitionsInvolving(image, brokerId), settings, { remove: brokerId }));
  return records;
}

/** Unregistration: the broker leaves every ISR and leadership, then its registration goes. */
export function unregisterBrokerRecords(
  image: MetadataImage,
  brokerId: number,
  settings: ElectionSettings,
): MetadataRecord[] {
  const broker = image.broker(brokerId);
  if (!broker) return [];
  return [
    ...leaderAndIsrUpdates(image, partitionsInvolving(image, brokerId), settings, { remove: brokerId }),
    { type: "UnregisterBrokerRecord", version: 0, data: { brokerId, brokerEpoch: broker.epoch } },
  ];
}

// AlterPartition ---------------------------------------------------------------------------------

export interface AlterPartitionRequestData {
  brokerId: number;
  brokerEpoch: bigint;
  topics: {
    /** Versions 0-1. */
    topicName?: string;
    /** Versions 2+. */
    topicId?: Buffer;
    partitions: {
      partitionIndex: number;
      leaderEpoch: number;
      /** Versions 0-2. */
      newIsr?: number[];
      /** Versions 3+: -1n as a broker epoch skips its check. */
      newIsrWithEpochs?: { brokerId: number; brokerEpoch: bigint }[];
      /** 1 while recovering from an unclean election (versions 1+). */
      leaderRecoveryState?: number;
      partitionEpoch: number;
    }[];
  }[];
}

export interface AlterPartitionPartitionResult {
  partitionIndex: number;
  errorCode: number;
  leaderId: number;
  leaderEpoch: number;
  isr: number[];
  leaderRecoveryState: number;
  partitionEpoch: number;
}

export interface AlterPartitionResponseData {
  errorCode: number;
  topics: { topicName: string; topicId: Buffer; partitions: AlterPartitionPartitionResult[] }[];
}

type AlterPartitionData = AlterPartitionRequestData["topics"][number]["partitions"][number];

const RECOVERING = 1;

function failedPartition(partitionIndex: number, errorCode: number): AlterPartitionPartitionResult {
  return {
    partitionIndex,
    errorCode,
    leaderId: NO_LEADER,
    leaderEpoch: -1,
    isr: [],
    leaderRecoveryState: 0,
    partitionEpoch: -1,
  };
}

/** Kafka's validateAlterPartitionData, in its order, with its answers. */
function validateAlterPartition(
  image: MetadataImage,
  brokerId: number,
  partition: PartitionRegistration | undefined,
  data: AlterPartitionData,
  newIsr: { brokerId: number; brokerEpoch: bigint }[],
  version: number,
): number {
  if (!partition) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
  // The leader knows a newer partition than this controller: this controller is probably no longer active.
  if (data.leaderEpoch > partition.leaderEpoch || data.partitionEpoch > partition.partitionEpoch)
    return ErrorCode.NOT_CONTROLLER;
  if (data.leaderEpoch < partition.leaderEpoch) return ErrorCode.FENCED_LEADER_EPOCH;
  if (brokerId !== partition.leader) return ErrorCode.INVALID_REQUEST;
  if (data.partitionEpoch < partition.partitionEpoch) return ErrorCode.INVALID_UPDATE_VERSION;
  const ids = newIsr.map((s) => s.brokerId);
  if (new Set(ids).size !== ids.length || ids.some((id) => !partition.replicas.includes(id)))
    return ErrorCode.INVALID_REQUEST;
  if (!ids.includes(partition.leader)) return ErrorCode.INVALID_REQUEST;
  // This controller does not track leader recovery: every partition counts as recovered.
  if ((data.leaderRecoveryState ?? 0) === RECOVERING) return ErrorCode.INVALID_REQUEST;
  const ineligible = newIsr.some(({ brokerId: id, brokerEpoch }) => {
    const broker = image.broker(id);
    return (
      !broker || broker.inControlledShutdown || broker.fenced || (brokerEpoch !== -1n && brokerEpoch !== broker.epoch)
    );
  });
  if (ineligible) return version > 1 ? ErrorCode.INELIGIBLE_REPLICA : ErrorCode.OPERATION_NOT_ATTEMPTED;
  return ErrorCode.NONE;
}

/** The broker's registration must carry the epoch the request names (else STALE_BROKER_EPOCH). */
export function hasBrokerEpoch(image: MetadataImage, brokerId: number, brokerEpoch: bigint): boolean {
  return image.broker(brokerId)?.epoch === brokerEpoch;
}

/** AlterPartition (Kafka's ReplicationControlManager.alterPartition) at request `version`. */
export function alterPartition(
  image: MetadataImage,
  request: AlterPartitionRequestData,
  version: number,
  settings: ElectionSettings,
): ControllerResult<AlterPartitionResponseData> {
  if (!hasBrokerEpoch(image, request.brokerId, request.brokerEpoch))
    return { records: [], response: { errorCode: ErrorCode.STALE_BROKER_EPOCH, topics: [] } };
  const records: MetadataRecord[] = [];
  const topics = request.topics.map((wanted) => {
    const topic =
      version > 1 ? image.topicById(wanted.topicId ?? Buffer.alloc(16)) : image.topic(wanted.topicName ?? "");
    const answer = { topicName: wanted.topicName ?? "", topicId: wanted.topicId ?? Buffer.alloc(16) };
    if (!topic) {
      const errorCode = version > 1 ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      return { ...answer, partitions: wanted.partitions.map((p) => failedPartition(p.partitionIndex, errorCode)) };
    }
    const partitions = wanted.partitions.map((data): AlterPartitionPartitionResult => {
      const newIsr =
        version >= 3
          ? (data.newIsrWithEpochs ?? [])
          : (data.newIsr ?? []).map((brokerId) => ({ brokerId, brokerEpoch: -1n }));
      let partition = topic.partitions[data.partitionIndex];
      const errorCode = validateAlterPartition(image, request.brokerId, partition, data, newIsr, version);
      if (errorCode !== ErrorCode.NONE || !partition) return failedPartition(data.partitionIndex, errorCode);
      const isAcceptableLeader = (id: number) => image.isActive(id);
      // An ISR that now holds every replica a reassignment adds completes it in the same record.
      const record = withReassignmentCompleted(
        topic.topicId,
        partition,
        partitionChangeRecord({ topic, partition }, settings, {
          targetIsr: newIsr.map((s) => s.brokerId),
          election: uncleanElectionEnabled(image, topic.name, settings) ? "unclean" : "online",
          isAcceptableLeader,
        }),
        isAcceptableLeader,
      );
      if (record) {
        records.push(record);
        const leader = record.data.leader ?? NO_LEADER_CHANGE;
        partition = mergePartitionChange(partition, record.data.isr ?? null, leader, record.data);
        // The change moved leadership away from the asking leader: it must learn the new state first.
        if (leader !== NO_LEADER_CHANGE && leader !== request.brokerId)
          return failedPartition(
            data.partitionIndex,
            version > 1 ? ErrorCode.NEW_LEADER_ELECTED : ErrorCode.FENCED_LEADER_EPOCH,
          );
      }
      return {
        partitionIndex: data.partitionIndex,
        errorCode: ErrorCode.NONE,
        leaderId: partition.leader,
        leaderEpoch: partition.leaderEpoch,
        isr: [...partition.isr],
        leaderRecoveryState: 0,
        partitionEpoch: partition.partitionEpoch,
      };
    });
    return { ...answer, partitions };
  });
  return { records, response: { errorCode: ErrorCode.NONE, topics } };
}

// Elections --------------------------------------------------------------------------------------

export const ElectionType = { PREFERRED: 0, UNCLEAN: 1 } as const;

export interface ElectLeadersRequestData {
  /** 0 preferred, 1 unclean (version 0 has no field: preferred). */
  electionType: number;
  /** null: every partition. */
  topicPartitions: { topic: string; partitions: number[] }[] | null;
}

export interface ElectLeadersResponseData {
  errorCode: number;
  replicaElectionResults: {
    topic: string;
    partitionResult: { partitionId: number; errorCode: number; errorMessage: string | null }[];
  }[];
}

function electOne(
  image: MetadataImage,
  topicName: string,
  partitionId: number,
  electionType: number,
  settings: ElectionSettings,
  records: MetadataRecord[],
): { errorCode: number; errorMessage: string | null } {
  const topic = image.topic(topicName);
  if (!topic) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `No such topic as ${topicName}` };
  const partition = topic.partitions[partitionId];
  if (!partition)
    return {
      errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      errorMessage: `No such partition as ${topicName}-${partitionId}`,
    };
  const preferred = electionType === ElectionType.PREFERRED;
  if ((preferred && partition.leader === partition.replicas[0]) || (!preferred && partition.leader !== NO_LEADER))
    return { errorCode: ErrorCode.ELECTION_NOT_NEEDED, errorMessage: null };
  const record = partitionChangeRecord({ topic, partition }, settings, {
    election: preferred ? "preferred" : "unclean",
    isAcceptableLeader: (id) => image.isActive(id),
  });
  if (!record)
    return preferred
      ? { errorCode: ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, errorMessage: null }
      : { errorCode: ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE, errorMessage: null };
  records.push(record);
  return { errorCode: ErrorCode.NONE, errorMessage: null };
}

/** ElectLeaders (Kafka's ReplicationControlManager.electLeaders). */
export function electLeaders(
  image: MetadataImage,
  request: ElectLeadersRequestData,
  settings: ElectionSettings,
): ControllerResult<ElectLeadersResponseData> {
  const { electionType } = request;
  if (electionType !== ElectionType.PREFERRED && electionType !== ElectionType.UNCLEAN)
    return { records: [], response: { errorCode: ErrorCode.INVALID_REQUEST, replicaElectionResults: [] } };
  const records: MetadataRecord[] = [];
  let replicaElectionResults: ElectLeadersResponseData["replicaElectionResults"];
  if (request.topicPartitions === null) {
    // Every partition; those that already have the leader wanted are left out of the answer.
    replicaElectionResults = [...image.topicsByName.keys()].sort().map((topic) => ({
      topic,
      partitionResult: image
        .topic(topic)!
        .partitions.map((p) => ({
          partitionId: p.partition,
          ...electOne(image, topic, p.partition, electionType, settings, records),
        }))
        .filter((r) => r.errorCode !== ErrorCode.ELECTION_NOT_NEEDED),
    }));
  } else {
    replicaElectionResults = request.topicPartitions.map(({ topic, partitions }) => ({
      topic,
      partitionResult: partitions.map((partitionId) => ({
        partitionId,
        ...electOne(image, topic, partitionId, electionType, settings, records),
      })),
    }));
  }
  return { records, response: { errorCode: ErrorCode.NONE, replicaElectionResults } };
}

/** Auto rebalance: preferred-leader elections for partitions not led by their first replica, at most `max`. */
export function balancePartitionLeaders(
  image: MetadataImage,
  settings: ElectionSettings,
  max = 1000,
): MetadataRecord[] {
  const records: MetadataRecord[] = [];
  for (const entry of image.allPartitions()) {
    if (records.length >= max) break;
    if (entry.partition.leader === entry.partition.replicas[0]) continue;
    const record = partitionChangeRecord(entry, settings, {
      election: "preferred",
      isAcceptableLeader: (id) => image.isActive(id),
    });
    if (record) records.push(record);
  }
  return records;
}

/** Leaderless partitions of topics that allow unclean election get a leader from outside the ISR, at most `max`. */
export function electUncleanLeaders(image: MetadataImage, settings: ElectionSettings, max = 1000): MetadataRecord[] {
  const records: MetadataRecord[] = [];
  for (const entry of image.partitionsWithoutLeader()) {
    if (records.length >= max) break;
    if (!uncleanElectionEnabled(image, entry.topic.name, settings)) continue;
    const record = partitionChangeRecord(entry, settings, {
      election: "unclean",
      isAcceptableLeader: (id) => image.isActive(id),
    });
    if (record) records.push(record);
  }
  return records;
}
