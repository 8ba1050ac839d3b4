// Where a key lands: the producer's own default partitioner (murmur2 of the key's UTF-8 bytes,
// positive, modulo the partition count), so the console's calculator, key search and growth preview
// cannot disagree with where commands really went.
import { partitionForKey } from "../../broker/client/producer/partitioners.ts";

/** The partition of a topic with `partitions` partitions a message keyed `key` is produced to. */
export function partitionOfKey(key: string, partitions: number): number {
  return partitionForKey(key, partitions);
}
