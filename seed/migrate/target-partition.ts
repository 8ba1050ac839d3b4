// Where a copied record goes on the new topic: exactly where a producer would send its key there
// (the producer's own default partitioner, murmur2 of the key bytes modulo the new partition
// count), so records copied by the migration and commands produced after the cutover meet on the
// same partition, one user's history in one place. A record without a key has no per-key order to
// keep; it stays with the other records of its source partition's slot (source % count), so the
// copy is deterministic.
//
// Owner of mutable state: none.
import { partitionForKey } from "../../broker/client/producer/partitioners.ts";

/** The partition of the new topic (with `partitions` partitions) a record of `sourcePartition` is copied to. */
export function targetPartition(key: Buffer | null, sourcePartition: number, partitions: number): number {
  if (!Number.isInteger(partitions) || partitions < 1)
    throw new RangeError(`partitions must be >= 1 (got ${partitions})`);
  if (key === null) return sourcePartition % partitions;
  return partitionForKey(key, partitions);
}
