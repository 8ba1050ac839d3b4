// How long a voter waits before it stands for election again (Kafka's KafkaRaftClient backoffs).
// After a lost or timed-out election: a random binary exponential backoff, so that rival candidates
// drift apart. After a leader's EndQuorumEpoch: a strict exponential one by the voter's place in
// the leader's list of preferred successors, so the most up-to-date voter stands first. Pure.

/** The unit of the random backoff after a failed election. */
export const ELECTION_RETRY_BACKOFF_BASE_MS = 100;

/** A random backoff after the `retries`-th failed election in a row (retries ≥ 1), capped at `maxMs`. */
export function binaryExponentialBackoffMs(retries: number, maxMs: number, random: () => number): number {
  const exponent = Math.min(20, Math.max(retries, 1) - 1);
  const slots = 2 << exponent;
  return Math.min(ELECTION_RETRY_BACKOFF_BASE_MS * Math.floor(random() * slots), maxMs);
}

/**
 * The wait of the voter at `position` in a list of `count` preferred successors: the first stands
 * at once, each next one waits twice as long as the one before, up to `maxMs`; a voter missing from
 * the list (`position` < 0 or ≥ `count`) waits `maxMs`.
 */
export function successorBackoffMs(position: number, count: number, maxMs: number): number {
  if (position === 0) return 0;
  if (position < 0 || position >= count) return maxMs;
  const base = maxMs >> (count - 1);
  return Math.min(maxMs, base << (position - 1));
}
