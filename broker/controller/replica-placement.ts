// Where a new partition's replicas go (Kafka's StripedReplicaPlacer, without racks): the usable
// brokers in id order, a random starting position, and each partition starting one broker further
// than the one before, its replicas the brokers that follow. So leaders (first replicas) go round
// the brokers evenly — 6 partitions on 3 brokers give each broker 2 — and no broker holds two
// replicas of one partition.
//
// Differences from Kafka: racks are not considered, and only active brokers (unfenced, not shutting
// down) take replicas, so the replication factor is capped by the live brokers, as the issue asks,
// where Kafka falls back to fenced brokers for followers.
//
// Ownership: none — a pure function of its arguments (the random start comes from the caller).

export class InvalidReplicationFactorError extends Error {}

/**
 * Replica lists for `count` partitions at replication factor `replicationFactor` over `brokerIds`.
 * `randomInt(n)` returns an integer in [0, n).
 */
export function placeReplicas(
  brokerIds: readonly number[],
  count: number,
  replicationFactor: number,
  randomInt: (bound: number) => number,
): number[][] {
  const sorted = [...new Set(brokerIds)].sort((a, b) => a - b);
  if (replicationFactor < 1) throw new InvalidReplicationFactorError("Replication factor must be larger than 0.");
  if (sorted.length === 0)
    throw new InvalidReplicationFactorError("All brokers are currently fenced or in controlled shutdown.");
  if (replicationFactor > sorted.length) {
    throw new InvalidReplicationFactorError(
      `The target replication factor of ${replicationFactor} cannot be reached because only ${sorted.length} broker(s) are unfenced.`,
    );
  }
  let offset = randomInt(sorted.length);
  const assignments: number[][] = [];
  for (let p = 0; p < count; p++) {
    offset = (offset + 1) % sorted.length;
    const replicas: number[] = [];
    for (let i = 0; i < replicationFactor; i++) replicas.push(sorted[(offset + i) % sorted.length]!);
    assignments.push(replicas);
  }
  return assignments;
}
