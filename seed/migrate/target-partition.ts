// Where a copied record goes on the new topic: exactly where a producer would send its key there
// (the producer's own default partitioner, murmur2 of the key bytes modulo the new partition
// count), so records copied by the migration and commands produced after the cutover meet on the
// same partition, one user's history in one place. A record without a key has no per-key order to
// keep; it stays with the other records of its source partition's slot (source % count), so the
// copy is deterministic.
//
// Owner of mutable state: none (the partitioner keeps round-robin counters only for keyless
// messages, which never reach it here).
import { DefaultPartitioner } from "../../broker/client/producer/partitioners.ts";
import type { PartitionMetadata } from "../../broker/client/types.ts";

const partitioner = DefaultPartitioner();

function metadataOf(partitions: number): PartitionMetadata[] {
  return Array.from({ length: partitions }, (_, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader: 0,
    replicas: [0],
    isr: [0],
    offlineReplicas: [],
  }));
}

/** The partition of the new topic (with `partitions` partitions) a record of `sourcePartition` is copied to. */
export function targetPartition(key: Buffer | null, sourcePartition: number, partitions: number): number {
  if (!Number.isInteger(partitions) || partitions < 1)
    throw new RangeError(`partitions must be >= 1 (got ${partitions})`);
  if (key === null) return sourcePartition % partitions;
  return partitioner({ topic: "target", partitionMetadata: metadataOf(partitions), message: { key, value: null } });
}
