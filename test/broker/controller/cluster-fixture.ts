// Metadata images built from records, as the controller tests need them: brokers registered (fenced
// or not), topics with given replicas, ISR and leader, and settings with a fixed placement start and
// topic ids derived from the topic name, so results are the same on every run.
import { createHash } from "node:crypto";
import type { CreatableTopic, TopicSettings } from "../../../broker/controller/replication-control.ts";
import type { MetadataRecord } from "../../../broker/protocol/metadata-records/serde.ts";
import { applyBatch } from "../../../broker/server/metadata/metadata-delta.ts";
import { MetadataImage } from "../../../broker/server/metadata/metadata-image.ts";

export function topicIdOf(name: string): Buffer {
  return createHash("sha256").update(name).digest().subarray(0, 16);
}

export function incarnationOf(brokerId: number, generation = 0): Buffer {
  return createHash("sha256").update(`broker-${brokerId}-${generation}`).digest().subarray(0, 16);
}

/** Commits `records` as the next batch after the image's offset. */
export function commit(image: MetadataImage, records: readonly MetadataRecord[], epoch = 1): MetadataImage {
  return applyBatch(image, records, image.offset + 1n, epoch);
}

export function registerBrokerRecord(
  brokerId: number,
  brokerEpoch: bigint,
  { fenced = false, rack = null as string | null, generation = 0 } = {},
): MetadataRecord {
  return {
    type: "RegisterBrokerRecord",
    version: 1,
    data: {
      brokerId,
      isMigratingZkBroker: false,
      incarnationId: incarnationOf(brokerId, generation),
      brokerEpoch,
      endPoints: [{ name: "PLAINTEXT", host: "127.0.0.1", port: 9092 + brokerId, securityProtocol: 0 }],
      features: [],
      rack,
      fenced,
      inControlledShutdown: false,
      logDirs: [],
    },
  };
}

/** An image with these brokers registered (epoch 100 + id), unfenced unless listed in `fenced`. */
export function clusterOf(brokerIds: number[], { fenced = [] as number[] } = {}): MetadataImage {
  return commit(
    MetadataImage.EMPTY,
    brokerIds.map((id) => registerBrokerRecord(id, BigInt(100 + id), { fenced: fenced.includes(id) })),
  );
}

export interface PartitionSpec {
  replicas: number[];
  isr?: number[];
  leader?: number;
}

/** The image with a topic whose partitions are as given (ISR = replicas, leader = first ISR member, by default). */
export function withTopic(
  image: MetadataImage,
  name: string,
  partitions: (number[] | PartitionSpec)[],
  configs: Record<string, string> = {},
): MetadataImage {
  const topicId = topicIdOf(name);
  const records: MetadataRecord[] = [{ type: "TopicRecord", version: 0, data: { name, topicId } }];
  for (const [key, value] of Object.entries(configs)) {
    records.push({ type: "ConfigRecord", version: 0, data: { resourceType: 2, resourceName: name, name: key, value } });
  }
  partitions.forEach((spec, partitionId) => {
    const { replicas, isr = replicas, leader = isr[0] ?? -1 } = Array.isArray(spec) ? { replicas: spec } : spec;
    records.push({
      type: "PartitionRecord",
      version: 0,
      data: {
        partitionId,
        topicId,
        replicas,
        isr,
        removingReplicas: [],
        addingReplicas: [],
        leader,
        leaderEpoch: 0,
        partitionEpoch: 0,
      },
    });
  });
  return commit(image, records);
}

export const electionSettings = { uncleanLeaderElection: false };

/** Placement starts at the first broker (randomInt 0, then one further per partition); topic ids from names. */
export function topicSettings(more: Partial<TopicSettings> = {}): TopicSettings {
  let created = 0;
  return {
    defaultPartitions: 1,
    defaultReplicationFactor: 1,
    randomInt: () => 0,
    newTopicId: () => topicIdOf(`new-topic-${created++}`),
    ...more,
  };
}

export function creatable(name: string, more: Partial<CreatableTopic> = {}): CreatableTopic {
  return { name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [], ...more };
}
