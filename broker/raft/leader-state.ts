// What a Raft leader knows about the replicas of its epoch (Kafka's LeaderState): each voter's and
// observer's log end offset as its fetches report it, the high watermark that follows from them,
// which voters have acknowledged the new leader, and the check-quorum timer that makes a leader
// no majority has fetched from step down.
//
// The high watermark is the largest offset a majority of the voters (the leader included) have
// in their logs, and only once that is past the epoch's start offset: a leader commits nothing
// from earlier epochs until an entry of its own epoch (its LeaderChangeMessage) is on a majority
// (Raft's commitment rule; KIP-595).
//
// Ownership: a LeaderState lives as long as one leadership and is owned by its RaftNode, which
// calls it only from its serial path.

export interface ReplicaProgress {
  replicaId: number;
  /** The replica's log end offset (its last fetch offset); null until it has fetched in this epoch. */
  endOffset: bigint | null;
  /** Leader clock of its last fetch, -1 if none. */
  lastFetchTimestamp: number;
  /** Leader clock of the last time it had everything the leader had, -1 if never. */
  lastCaughtUpTimestamp: number;
}

/** The check-quorum timeout is this factor times the fetch timeout, as in Kafka. */
const CHECK_QUORUM_TIMEOUT_FACTOR = 1.5;

export class LeaderState {
  readonly localId: number;
  readonly epoch: number;
  /** The log end offset when this leadership began: where its LeaderChangeMessage went. */
  readonly epochStartOffset: bigint;
  readonly grantingVoters: readonly number[];
  readonly #voters = new Map<number, ReplicaProgress & { leaderEndAtLastFetch: bigint }>();
  readonly #observers = new Map<number, ReplicaProgress & { leaderEndAtLastFetch: bigint }>();
  readonly #acknowledged = new Set<number>();
  readonly #fetchedSinceCheck = new Set<number>();
  readonly #checkQuorumTimeoutMs: number;
  #checkQuorumDeadline: number;
  #highWatermark: bigint | null = null;

  constructor(options: {
    localId: number;
    epoch: number;
    epochStartOffset: bigint;
    voters: readonly number[];
    grantingVoters: readonly number[];
    fetchTimeoutMs: number;
    now: number;
  }) {
    this.localId = options.localId;
    this.epoch = options.epoch;
    this.epochStartOffset = options.epochStartOffset;
    this.grantingVoters = options.grantingVoters;
    for (const id of options.voters) this.#voters.set(id, fresh(id));
    this.#acknowledged.add(this.localId);
    this.#checkQuorumTimeoutMs = Math.floor(options.fetchTimeoutMs * CHECK_QUORUM_TIMEOUT_FACTOR);
    this.#checkQuorumDeadline = options.now + this.#checkQuorumTimeoutMs;
  }

  /** Null until the first entry of this epoch is on a majority. */
  get highWatermark(): bigint | null {
    return this.#highWatermark;
  }

  /** When the leader must resign unless a majority fetches first; Infinity for a single voter. */
  get checkQuorumDeadline(): number {
    return this.#voters.size === 1 ? Number.POSITIVE_INFINITY : this.#checkQuorumDeadline;
  }

  isVoter(replicaId: number): boolean {
    return this.#voters.has(replicaId);
  }

  /** The leader's own log grew; returns whether the high watermark moved. */
  updateLocalEndOffset(endOffset: bigint, now: number): boolean {
    const local = this.#voters.get(this.localId) ?? this.#observers.get(this.localId);
    if (local !== undefined) {
      local.endOffset = endOffset;
      local.lastFetchTimestamp = now;
      local.lastCaughtUpTimestamp = now;
      local.leaderEndAtLastFetch = endOffset;
    }
    return this.#maybeAdvanceHighWatermark();
  }

  /**
   * A replica fetched from `fetchOffset`, so its log ends there (the leader checked that its log
   * matches up to that point). Returns whether the high watermark moved.
   */
  updateReplica(replicaId: number, fetchOffset: bigint, leaderEndOffset: bigint, now: number): boolean {
    if (replicaId < 0 || replicaId === this.localId) return false;
    const isVoter = this.#voters.has(replicaId);
    const replicas = isVoter ? this.#voters : this.#observers;
    let progress = replicas.get(replicaId);
    if (progress === undefined) {
      progress = fresh(replicaId);
      replicas.set(replicaId, progress);
    }
    if (fetchOffset >= leaderEndOffset) progress.lastCaughtUpTimestamp = now;
    else if (progress.endOffset !== null && fetchOffset >= progress.leaderEndAtLastFetch) {
      progress.lastCaughtUpTimestamp = progress.lastFetchTimestamp;
    }
    progress.endOffset = fetchOffset;
    progress.lastFetchTimestamp = now;
    progress.leaderEndAtLastFetch = leaderEndOffset;
    if (!isVoter) return false;
    this.#acknowledged.add(replicaId);
    this.#recordFetchForCheckQuorum(replicaId, now);
    return this.#maybeAdvanceHighWatermark();
  }

  /** A voter answered BeginQuorumEpoch: it knows this leader. */
  acknowledge(voterId: number): void {
    if (this.#voters.has(voterId)) this.#acknowledged.add(voterId);
  }

  /** Voters that have neither fetched nor answered BeginQuorumEpoch in this epoch. */
  unacknowledgedVoters(): number[] {
    return [...this.#voters.keys()].filter((id) => !this.#acknowledged.has(id));
  }

  /** The other voters, the most up-to-date first: EndQuorumEpoch's preferred successors. */
  successorsByEndOffset(): number[] {
    return [...this.#voters.values()]
      .filter((voter) => voter.replicaId !== this.localId)
      .sort((a, b) => compareDescending(a.endOffset ?? -1n, b.endOffset ?? -1n) || a.replicaId - b.replicaId)
      .map((voter) => voter.replicaId);
  }

  voterProgress(): ReplicaProgress[] {
    return [...this.#voters.values()].map(publicProgress);
  }

  observerProgress(): ReplicaProgress[] {
    return [...this.#observers.values()].map(publicProgress);
  }

  #recordFetchForCheckQuorum(voterId: number, now: number): void {
    this.#fetchedSinceCheck.add(voterId);
    // The leader counts towards the majority without fetching.
    const needed = Math.floor(this.#voters.size / 2) + 1 - (this.#voters.has(this.localId) ? 1 : 0);
    if (this.#fetchedSinceCheck.size >= needed) {
      this.#fetchedSinceCheck.clear();
      this.#checkQuorumDeadline = now + this.#checkQuorumTimeoutMs;
    }
  }

  #maybeAdvanceHighWatermark(): boolean {
    const offsets = [...this.#voters.values()].map((voter) => voter.endOffset ?? -1n).sort(compareDescending);
    const onMajority = offsets[Math.floor(offsets.length / 2)]!;
    if (onMajority <= this.epochStartOffset) return false;
    if (this.#highWatermark !== null && onMajority <= this.#highWatermark) return false;
    this.#highWatermark = onMajority;
    return true;
  }
}

function fresh(replicaId: number): ReplicaProgress & { leaderEndAtLastFetch: bigint } {
  return { replicaId, endOffset: null, lastFetchTimestamp: -1, lastCaughtUpTimestamp: -1, leaderEndAtLastFetch: -1n };
}

function publicProgress(progress: ReplicaProgress): ReplicaProgress {
  const { replicaId, endOffset, lastFetchTimestamp, lastCaughtUpTimestamp } = progress;
  return { replicaId, endOffset, lastFetchTimestamp, lastCaughtUpTimestamp };
}

function compareDescending(a: bigint, b: bigint): number {
  return a > b ? -1 : a < b ? 1 : 0;
}
