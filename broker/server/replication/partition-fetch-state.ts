// Where each partition of one replica fetcher stands (Kafka's PartitionFetchState, in the table its
// AbstractFetcherThread keeps): the offset to fetch from, the leader epoch it follows, whether it is
// truncating or fetching, and how long it waits after an error.
//
// An entry is replaced, never mutated. A step that awaited the leader still holds the entry it
// started from, so it can tell whether the partition was removed, re-added or moved meanwhile (its
// entry is no longer the current one): a change based on a stale entry is dropped, which is how a
// late answer is ignored without any bookkeeping of requests.
//
// Ownership: a PartitionFetchStates table belongs to one ReplicaFetcher and is changed only from its
// loop, or by the replica manager adding and removing partitions through the fetcher; the fetcher's
// OffsetTruncation replaces entries through it too, from the same loop.

export type FetchStatus = "truncating" | "fetching";

export interface PartitionFetchState {
  readonly topic: string;
  readonly partition: number;
  readonly fetchOffset: bigint;
  readonly currentLeaderEpoch: number;
  readonly status: FetchStatus;
  /** Date.now() before which the partition waits (after an error); 0 if it does not. */
  readonly delayedUntil: number;
}

const keyOf = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export class PartitionFetchStates {
  readonly #states = new Map<string, PartitionFetchState>();

  /** `backoffMs`: replica.fetch.backoff.ms, how long a partition waits after an error. */
  constructor(private readonly backoffMs: number) {}

  get size(): number {
    return this.#states.size;
  }

  get(topic: string, partition: number): PartitionFetchState | undefined {
    return this.#states.get(keyOf(topic, partition));
  }

  /**
   * Starts the partition over, truncating first from `initOffset`; one already here at the same
   * leader epoch keeps its position, since nothing it fetched can have diverged from that leader.
   */
  add(topic: string, partition: number, currentLeaderEpoch: number, initOffset: bigint): void {
    const key = keyOf(topic, partition);
    if (this.#states.get(key)?.currentLeaderEpoch === currentLeaderEpoch) return;
    this.#states.set(key, {
      topic,
      partition,
      fetchOffset: initOffset,
      currentLeaderEpoch,
      status: "truncating",
      delayedUntil: 0,
    });
  }

  remove(topic: string, partition: number): void {
    this.#states.delete(keyOf(topic, partition));
  }

  /** Whether `state` is still the partition's entry: nothing removed, re-added or moved it since it was read. */
  isCurrent(state: PartitionFetchState): boolean {
    return this.#states.get(keyOf(state.topic, state.partition)) === state;
  }

  /** Applies `change` to the partition, unless `state` is no longer current. */
  replace(state: PartitionFetchState, change: Partial<PartitionFetchState>): void {
    if (this.isCurrent(state)) this.#states.set(keyOf(state.topic, state.partition), { ...state, ...change });
  }

  /** Holds the partitions back for the backoff (those still current). */
  delay(states: readonly PartitionFetchState[]): void {
    const until = Date.now() + this.backoffMs;
    for (const state of states) this.replace(state, { delayedUntil: until });
  }

  /** The partitions in `status` that are not held back at `now`. */
  ready(status: FetchStatus, now: number): PartitionFetchState[] {
    return [...this.#states.values()].filter((s) => s.status === status && s.delayedUntil <= now);
  }

  /** How long until the first held-back partition may go again; the backoff at most. */
  msUntilNextReady(now: number): number {
    let wait = this.backoffMs;
    for (const state of this.#states.values())
      if (state.delayedUntil > now) wait = Math.min(wait, state.delayedUntil - now);
    return wait;
  }
}
