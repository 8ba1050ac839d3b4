// Replays metadata records onto an image (Kafka's MetadataDelta and the replay() methods of its
// control managers): one MetadataDelta collects the changes of a batch, apply() makes the next image.
// The same replay serves a broker's loader (committed records) and the active controller's view of
// its own not yet committed records, so both read records alike.
//
// Ownership: a MetadataDelta owns its working copies until apply(); it copies a map, a topic or a
// partition list only the first time the batch changes it, so a new image shares everything else
// with the one it came from. Images themselves are never written.
import type { MetadataRecord } from "../../protocol/metadata-records/serde.ts";
import {
  type BrokerRegistration,
  ConfigResourceType,
  type FeatureLevel,
  MetadataImage,
  NO_LEADER_CHANGE,
  type PartitionRegistration,
  type TopicImage,
  topicIdKey,
} from "./metadata-image.ts";

/** A record that does not fit the image it is replayed onto (Kafka fails the same replays). */
export class MetadataReplayError extends Error {}

interface BrokerChange {
  fenced?: boolean;
  inControlledShutdown?: boolean;
}

interface MutableTopic {
  name: string;
  topicId: Buffer;
  partitions: PartitionRegistration[];
}

export class MetadataDelta {
  private brokers: Map<number, BrokerRegistration> | null = null;
  private topicsByName: Map<string, TopicImage> | null = null;
  private topicsById: Map<string, TopicImage> | null = null;
  /** Topics this delta has copied (and may write), by id key; frozen into TopicImages by apply(). */
  private readonly changedTopics = new Map<string, MutableTopic>();
  private topicConfigs: Map<string, ReadonlyMap<string, string>> | null = null;
  private brokerConfigs: Map<string, ReadonlyMap<string, string>> | null = null;
  private features: Map<string, FeatureLevel> | null = null;
  private nextProducerId: bigint;
  private highestBrokerEpoch: bigint;

  constructor(private readonly base: MetadataImage) {
    this.nextProducerId = base.nextProducerId;
    this.highestBrokerEpoch = base.highestBrokerEpoch;
  }

  /** Applies one record; `offset` is its place in the log (-1n for a controller's uncommitted record). */
  replay(record: MetadataRecord, offset = -1n): void {
    switch (record.type) {
      case "RegisterBrokerRecord":
        this.registerBroker(record.data, offset);
        return;
      case "UnregisterBrokerRecord": {
        const { brokerId, brokerEpoch } = record.data;
        this.brokerWithEpoch(brokerId, brokerEpoch, "unregister");
        this.writableBrokers().delete(brokerId);
        return;
      }
      case "FenceBrokerRecord":
        this.changeBroker(record.data.id, record.data.epoch, "fence", { fenced: true });
        return;
      case "UnfenceBrokerRecord":
        this.changeBroker(record.data.id, record.data.epoch, "unfence", { fenced: false });
        return;
      case "BrokerRegistrationChangeRecord": {
        const { brokerId, brokerEpoch } = record.data;
        const fenced = record.data.fenced ?? 0;
        const inControlledShutdown = record.data.inControlledShutdown ?? 0;
        const change: BrokerChange = {};
        if (fenced === 1) change.fenced = true;
        else if (fenced === -1) change.fenced = false;
        else if (fenced !== 0) throw new MetadataReplayError(`unknown fencing change ${fenced} for broker ${brokerId}`);
        if (inControlledShutdown === 1) change.inControlledShutdown = true;
        else if (inControlledShutdown !== 0)
          throw new MetadataReplayError(
            `unknown controlled shutdown change ${inControlledShutdown} for broker ${brokerId}`,
          );
        this.changeBroker(brokerId, brokerEpoch, "change", change);
        return;
      }
      case "TopicRecord":
        this.createTopic(record.data.name, record.data.topicId);
        return;
      case "PartitionRecord": {
        const data = record.data;
        const topic = this.writableTopic(data.topicId, `partition ${data.partitionId}`);
        if (data.partitionId < 0 || data.partitionId > topic.partitions.length)
          throw new MetadataReplayError(
            `partition ${data.partitionId} of ${topic.name} does not follow its ${topic.partitions.length} partition(s)`,
          );
        topic.partitions[data.partitionId] = {
          partition: data.partitionId,
          replicas: [...data.replicas],
          isr: [...data.isr],
          leader: data.leader ?? -1,
          leaderEpoch: data.leaderEpoch ?? -1,
          partitionEpoch: data.partitionEpoch ?? -1,
          ...reassignmentFields(data.addingReplicas ?? [], data.removingReplicas ?? []),
        };
        return;
      }
      case "PartitionChangeRecord": {
        const data = record.data;
        const topic = this.writableTopic(data.topicId, `partition ${data.partitionId}`);
        const current = topic.partitions[data.partitionId];
        if (!current) throw new MetadataReplayError(`no partition ${data.partitionId} of ${topic.name} to change`);
        topic.partitions[data.partitionId] = mergePartitionChange(
          current,
          data.isr ?? null,
          data.leader ?? NO_LEADER_CHANGE,
          data,
        );
        return;
      }
      case "RemoveTopicRecord": {
        const key = topicIdKey(record.data.topicId);
        const topic = this.changedTopics.get(key) ?? this.currentTopicsById().get(key);
        if (!topic) throw new MetadataReplayError(`no topic with id ${key} to remove`);
        this.changedTopics.delete(key);
        if (this.currentTopicsById().has(key)) {
          this.writableTopicsById().delete(key);
          this.writableTopicsByName().delete(topic.name);
        }
        if (this.currentTopicConfigs().has(topic.name)) this.writableTopicConfigs().delete(topic.name);
        return;
      }
      case "ConfigRecord": {
        const { resourceType, resourceName, name, value } = record.data;
        if (resourceType === ConfigResourceType.TOPIC) {
          setConfig(this.writableTopicConfigs(), resourceName, name, value);
        } else if (resourceType === ConfigResourceType.BROKER) {
          setConfig(this.writableBrokerConfigs(), resourceName, name, value);
        }
        return;
      }
      case "ProducerIdsRecord": {
        const end = record.data.producerIdsEnd;
        if (end <= this.nextProducerId)
          throw new MetadataReplayError(`producer ids end ${end} does not pass the current ${this.nextProducerId}`);
        this.nextProducerId = end;
        return;
      }
      case "FeatureLevelRecord": {
        const { name, minFeatureLevel, maxFeatureLevel } = record.data;
        this.features ??= new Map(this.base.features);
        this.features.set(name, { min: minFeatureLevel, max: maxFeatureLevel });
        return;
      }
      case "NoOpRecord":
        return;
      default:
        // Record types the image does not keep (a newer log's) are skipped, not fatal.
        return;
    }
  }

  /** The next image, at the given log position (the base image's when not given). */
  apply(offset = this.base.offset, epoch = this.base.epoch): MetadataImage {
    let topicsByName = this.topicsByName ?? this.base.topicsByName;
    let topicsById = this.topicsById ?? this.base.topicsById;
    if (this.changedTopics.size > 0) {
      const byName = this.writableTopicsByName();
      const byId = this.writableTopicsById();
      for (const [key, topic] of this.changedTopics) {
        const frozen: TopicImage = { name: topic.name, topicId: topic.topicId, partitions: topic.partitions };
        byName.set(topic.name, frozen);
        byId.set(key, frozen);
      }
      topicsByName = byName;
      topicsById = byId;
    }
    return new MetadataImage({
      offset,
      epoch,
      brokers: this.brokers ?? this.base.brokers,
      topicsByName,
      topicsById,
      topicConfigs: this.topicConfigs ?? this.base.topicConfigs,
      brokerConfigs: this.brokerConfigs ?? this.base.brokerConfigs,
      features: this.features ?? this.base.features,
      nextProducerId: this.nextProducerId,
      highestBrokerEpoch: this.highestBrokerEpoch,
    });
  }

  private registerBroker(
    data: Extract<MetadataRecord, { type: "RegisterBrokerRecord" }>["data"],
    offset: bigint,
  ): void {
    const endpoints = data.endPoints.map((e) => ({
      name: e.name,
      host: e.host,
      port: e.port,
      securityProtocol: e.securityProtocol,
    }));
    this.writableBrokers().set(data.brokerId, {
      id: data.brokerId,
      epoch: data.brokerEpoch,
      incarnationId: data.incarnationId,
      endpoints,
      host: endpoints[0]?.host ?? "",
      port: endpoints[0]?.port ?? -1,
      rack: data.rack ?? null,
      fenced: data.fenced ?? true,
      inControlledShutdown: data.inControlledShutdown ?? false,
      registrationOffset: offset,
    });
    if (data.brokerEpoch > this.highestBrokerEpoch) this.highestBrokerEpoch = data.brokerEpoch;
  }

  private brokerWithEpoch(id: number, epoch: bigint, action: string): BrokerRegistration {
    const broker = (this.brokers ?? this.base.brokers).get(id);
    if (!broker) throw new MetadataReplayError(`cannot ${action} broker ${id}: it is not registered`);
    if (broker.epoch !== epoch)
      throw new MetadataReplayError(`cannot ${action} broker ${id}: epoch ${epoch} is not its epoch ${broker.epoch}`);
    return broker;
  }

  private changeBroker(id: number, epoch: bigint, action: string, change: BrokerChange): void {
    const broker = this.brokerWithEpoch(id, epoch, action);
    const next = { ...broker, ...change };
    if (next.fenced !== broker.fenced || next.inControlledShutdown !== broker.inControlledShutdown) {
      this.writableBrokers().set(id, next);
    }
  }

  private createTopic(name: string, topicId: Buffer): void {
    const key = topicIdKey(topicId);
    if (this.currentTopicsByName().has(name) || this.changedTopicNamed(name))
      throw new MetadataReplayError(`topic ${name} exists already`);
    if (this.currentTopicsById().has(key) || this.changedTopics.has(key))
      throw new MetadataReplayError(`topic id ${key} exists already`);
    this.changedTopics.set(key, { name, topicId, partitions: [] });
  }

  private changedTopicNamed(name: string): boolean {
    for (const topic of this.changedTopics.values()) if (topic.name === name) return true;
    return false;
  }

  /** The topic with that id, copied into this delta on first write. */
  private writableTopic(topicId: Buffer, what: string): MutableTopic {
    const key = topicIdKey(topicId);
    let topic = this.changedTopics.get(key);
    if (topic) return topic;
    const current = this.currentTopicsById().get(key);
    if (!current) throw new MetadataReplayError(`no topic with id ${key} for ${what}`);
    topic = { name: current.name, topicId: current.topicId, partitions: [...current.partitions] };
    this.changedTopics.set(key, topic);
    return topic;
  }

  private currentTopicsById(): ReadonlyMap<string, TopicImage> {
    return this.topicsById ?? this.base.topicsById;
  }

  private currentTopicsByName(): ReadonlyMap<string, TopicImage> {
    return this.topicsByName ?? this.base.topicsByName;
  }

  private currentTopicConfigs(): ReadonlyMap<string, ReadonlyMap<string, string>> {
    return this.topicConfigs ?? this.base.topicConfigs;
  }

  private writableBrokers(): Map<number, BrokerRegistration> {
    this.brokers ??= new Map(this.base.brokers);
    return this.brokers;
  }

  private writableTopicsByName(): Map<string, TopicImage> {
    this.topicsByName ??= new Map(this.base.topicsByName);
    return this.topicsByName;
  }

  private writableTopicsById(): Map<string, TopicImage> {
    this.topicsById ??= new Map(this.base.topicsById);
    return this.topicsById;
  }

  private writableTopicConfigs(): Map<string, ReadonlyMap<string, string>> {
    this.topicConfigs ??= new Map(this.base.topicConfigs);
    return this.topicConfigs;
  }

  private writableBrokerConfigs(): Map<string, ReadonlyMap<string, string>> {
    this.brokerConfigs ??= new Map(this.base.brokerConfigs);
    return this.brokerConfigs;
  }
}

/** A reassignment's replica changes of a PartitionChangeRecord: null (or absent) leaves each as it is. */
export interface ReplicaSetChange {
  replicas?: readonly number[] | null;
  addingReplicas?: readonly number[] | null;
  removingReplicas?: readonly number[] | null;
}

/** The optional reassignment fields of a registration: left out when empty. */
function reassignmentFields(
  addingReplicas: readonly number[],
  removingReplicas: readonly number[],
): Pick<PartitionRegistration, "addingReplicas" | "removingReplicas"> {
  return {
    ...(addingReplicas.length > 0 ? { addingReplicas: [...addingReplicas] } : {}),
    ...(removingReplicas.length > 0 ? { removingReplicas: [...removingReplicas] } : {}),
  };
}

/**
 * A partition after a PartitionChangeRecord (Kafka's PartitionRegistration.merge): a named leader,
 * even the same one, bumps the leader epoch; any change bumps the partition epoch.
 */
export function mergePartitionChange(
  partition: PartitionRegistration,
  isr: readonly number[] | null,
  leader: number,
  replicaSet: ReplicaSetChange = {},
): PartitionRegistration {
  const leaderChanges = leader !== NO_LEADER_CHANGE;
  return {
    partition: partition.partition,
    replicas: replicaSet.replicas ? [...replicaSet.replicas] : partition.replicas,
    isr: isr === null ? partition.isr : [...isr],
    leader: leaderChanges ? leader : partition.leader,
    leaderEpoch: leaderChanges ? partition.leaderEpoch + 1 : partition.leaderEpoch,
    partitionEpoch: partition.partitionEpoch + 1,
    ...reassignmentFields(
      replicaSet.addingReplicas ?? partition.addingReplicas ?? [],
      replicaSet.removingReplicas ?? partition.removingReplicas ?? [],
    ),
  };
}

function setConfig(
  configs: Map<string, ReadonlyMap<string, string>>,
  resource: string,
  name: string,
  value: string | null,
): void {
  const next = new Map(configs.get(resource));
  if (value === null) next.delete(name);
  else next.set(name, value);
  if (next.size === 0) configs.delete(resource);
  else configs.set(resource, next);
}

/** The image after a batch of records at `baseOffset` (record i at baseOffset + i) in Raft epoch `epoch`. */
export function applyBatch(
  image: MetadataImage,
  records: readonly MetadataRecord[],
  baseOffset: bigint,
  epoch: number,
): MetadataImage {
  const delta = new MetadataDelta(image);
  records.forEach((record, i) => {
    delta.replay(record, baseOffset + BigInt(i));
  });
  return delta.apply(baseOffset + BigInt(records.length) - 1n, epoch);
}

/** The image after records that are not in the log yet (a controller's own proposals); the position stays. */
export function applyUncommitted(image: MetadataImage, records: readonly MetadataRecord[]): MetadataImage {
  const delta = new MetadataDelta(image);
  for (const record of records) delta.replay(record);
  return delta.apply();
}
