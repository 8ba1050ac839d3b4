// The leader's view of one follower of a partition (Kafka's Replica and ReplicaState): where the
// follower's log ends and starts as its last fetch said, when it last fetched, and the last time
// it was caught up with the leader — the time the ISR rules compare with replica.lag.time.max.ms.
//
// Ownership: each FollowerReplica is owned by the PartitionState of the partition it follows
// (partition-state.ts), which updates it synchronously from the follower's fetches and from
// leadership changes.

/** A follower whose fetches the leader has not seen since it became leader. */
export const UNKNOWN_OFFSET = -1n;

export interface ReplicaSnapshot {
  /** From the follower's last fetch; unknown until it fetches. */
  readonly logStartOffset: bigint;
  /** The follower's fetch offset: everything below it is on the follower. */
  readonly logEndOffset: bigint;
  /** The leader's log end offset when the follower last fetched (Kafka's lastFetchLeaderLogEndOffset). */
  readonly lastFetchLeaderLogEndOffset: bigint;
  readonly lastFetchTimeMs: number;
  /**
   * The latest time t at which the follower had everything the leader had at t: the ISR keeps a
   * follower whose lastCaughtUpTimeMs is within replica.lag.time.max.ms of now.
   */
  readonly lastCaughtUpTimeMs: number;
}

const empty: ReplicaSnapshot = {
  logStartOffset: UNKNOWN_OFFSET,
  logEndOffset: UNKNOWN_OFFSET,
  lastFetchLeaderLogEndOffset: 0n,
  lastFetchTimeMs: 0,
  lastCaughtUpTimeMs: 0,
};

export class FollowerReplica {
  #state: ReplicaSnapshot = empty;

  constructor(readonly brokerId: number) {}

  get state(): ReplicaSnapshot {
    return this.#state;
  }

  get logEndOffset(): bigint {
    return this.#state.logEndOffset;
  }

  /**
   * Records a fetch at `fetchOffset`, received at `fetchTimeMs` when the leader's log ended at
   * `leaderEndOffset`. A fetch that reaches the leader's end makes the follower caught up now; one
   * that reaches what the leader had at the previous fetch makes it caught up as of that fetch.
   * The second rule lets a follower stay in sync under a steady stream of small appends, where
   * its fetch offset is always a little behind the leader's end.
   */
  updateFetchState(
    fetchOffset: bigint,
    followerStartOffset: bigint,
    fetchTimeMs: number,
    leaderEndOffset: bigint,
  ): void {
    const current = this.#state;
    let lastCaughtUpTimeMs = current.lastCaughtUpTimeMs;
    if (fetchOffset >= leaderEndOffset) lastCaughtUpTimeMs = Math.max(lastCaughtUpTimeMs, fetchTimeMs);
    else if (fetchOffset >= current.lastFetchLeaderLogEndOffset)
      lastCaughtUpTimeMs = Math.max(lastCaughtUpTimeMs, current.lastFetchTimeMs);
    this.#state = {
      logStartOffset: followerStartOffset,
      logEndOffset: fetchOffset,
      lastFetchLeaderLogEndOffset:
        leaderEndOffset > current.lastFetchLeaderLogEndOffset ? leaderEndOffset : current.lastFetchLeaderLogEndOffset,
      lastFetchTimeMs: fetchTimeMs,
      lastCaughtUpTimeMs,
    };
  }

  /**
   * Starts the follower over when this broker becomes leader or gets a new leader epoch: an ISR
   * member counts as caught up now, any other replica as never, so a replica outside the ISR
   * cannot hold the high watermark back. A new leader forgets the follower's offsets (they may be
   * from an older term); a re-elected one keeps them.
   */
  reset(nowMs: number, leaderEndOffset: bigint, isNewLeader: boolean, isInSync: boolean): void {
    const lastCaughtUpTimeMs = isInSync ? nowMs : 0;
    this.#state = isNewLeader
      ? { ...empty, lastFetchLeaderLogEndOffset: UNKNOWN_OFFSET, lastCaughtUpTimeMs }
      : {
          ...this.#state,
          lastFetchLeaderLogEndOffset: leaderEndOffset,
          lastFetchTimeMs: isInSync ? nowMs : 0,
          lastCaughtUpTimeMs,
        };
  }

  /** At the leader's end, or caught up within the last `maxLagMs`. */
  isCaughtUp(leaderEndOffset: bigint, nowMs: number, maxLagMs: number): boolean {
    return leaderEndOffset === this.#state.logEndOffset || nowMs - this.#state.lastCaughtUpTimeMs <= maxLagMs;
  }
}
