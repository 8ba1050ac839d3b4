// Which partitions of `__transaction_state` this broker's transaction coordinator serves, and
// whether each is loaded: the same rules as the group coordinator's `__consumer_offsets`
// partitions (groups/offsets-partitions.ts, reused as it is): a partition led here is loaded once
// everything its replica holds is committed, COORDINATOR_LOAD_IN_PROGRESS meanwhile; one no longer
// led gets NOT_COORDINATOR. Its leader epoch is the coordinator epoch the markers carry.
//
// Ownership: the OffsetsPartitions made here owns the led set and the lifecycle (see its file).
import { offsetsPartitionFor } from "../groups/group-metadata-manager.ts";
import { type OffsetsPartitionHooks, OffsetsPartitions } from "../groups/offsets-partitions.ts";

export type TransactionPartitionHooks = Omit<OffsetsPartitionHooks, "name">;

export function transactionPartitions(hooks: TransactionPartitionHooks): OffsetsPartitions {
  return new OffsetsPartitions({ ...hooks, name: "transaction coordinator" });
}

/** The `__transaction_state` partition of a transactional id: Kafka's abs(hashCode) % partitions, as for groups. */
export function transactionPartitionFor(transactionalId: string, partitions: number): number {
  return offsetsPartitionFor(transactionalId, partitions);
}
