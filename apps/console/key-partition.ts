// Where a key lands: the producer's own default partitioner (murmur2 of the key's UTF-8 bytes,
// positive, modulo the partition count), asked exactly as the producer asks it, so the console's
// calculator, key search and growth preview cannot disagree with where commands really went.
import { DefaultPartitioner } from "../../broker/client/producer/partitioners.ts";
import type { PartitionMetadata } from "../../broker/client/types.ts";

const partitioner = DefaultPartitioner();

/** The partition of `topic` (with `partitions` partitions) a message keyed `key` is produced to. */
export function partitionOfKey(key: string, partitions: number, topic = "topic"): number {
  if (!Number.isInteger(partitions) || partitions < 1)
    throw new RangeError(`partitions must be >= 1 (got ${partitions})`);
  const partitionMetadata: PartitionMetadata[] = Array.from({ length: partitions }, (_, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader: 0,
    replicas: [0],
    isr: [0],
    offlineReplicas: [],
  }));
  return partitioner({ topic, partitionMetadata, message: { key, value: null } });
}
