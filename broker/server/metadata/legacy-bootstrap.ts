// The first metadata of a lone broker that an older version of this project ran: it kept its topics
// in `cluster-metadata.json` (the whole cluster state as one JSON file). Started now as a quorum of
// one, with an empty metadata log, its controller writes that state as records before anything else
// (as Kafka's bootstrap checkpoint seeds a new quorum), so every topic keeps its id, its partitions,
// their leader epochs and its configs, and producer ids keep rising. Reads one file; holds no state.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type MetadataRecord, metadataRecord } from "../../protocol/metadata-records/serde.ts";
import { ConfigResourceType } from "./metadata-image.ts";

export const LEGACY_METADATA_FILE = "cluster-metadata.json";

export interface LegacyMetadata {
  clusterId?: string;
  nextProducerId?: string;
  topics?: {
    name: string;
    topicId: string;
    partitions: { partition: number; leaderEpoch: number }[];
    configs: Record<string, string>;
  }[];
}

/** The legacy metadata file of `dataDir`, or null when there is none. */
export function readLegacyMetadata(dataDir: string): LegacyMetadata | null {
  const file = join(dataDir, LEGACY_METADATA_FILE);
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as LegacyMetadata) : null;
}

/** The records that recreate a legacy lone broker's topics on node `nodeId`; none without the file. */
export function legacyBootstrapRecords(dataDir: string, nodeId: number): MetadataRecord[] {
  const legacy = readLegacyMetadata(dataDir);
  if (!legacy) return [];
  const records: MetadataRecord[] = [];
  for (const topic of legacy.topics ?? []) {
    const topicId = Buffer.from(topic.topicId, "hex");
    records.push(metadataRecord("TopicRecord", { name: topic.name, topicId }));
    for (const p of topic.partitions) {
      records.push(
        metadataRecord("PartitionRecord", {
          partitionId: p.partition,
          topicId,
          replicas: [nodeId],
          isr: [nodeId],
          removingReplicas: [],
          addingReplicas: [],
          leader: nodeId,
          leaderEpoch: p.leaderEpoch,
          partitionEpoch: 0,
        }),
      );
    }
    for (const [name, value] of Object.entries(topic.configs))
      records.push(
        metadataRecord("ConfigRecord", {
          resourceType: ConfigResourceType.TOPIC,
          resourceName: topic.name,
          name,
          value,
        }),
      );
  }
  if (legacy.nextProducerId !== undefined)
    records.push(
      metadataRecord("ProducerIdsRecord", {
        brokerId: nodeId,
        brokerEpoch: -1n,
        producerIdsEnd: BigInt(legacy.nextProducerId),
      }),
    );
  return records;
}
