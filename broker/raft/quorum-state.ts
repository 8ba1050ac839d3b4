// The election state of one Raft replica of the `__cluster_metadata` log (Kafka's QuorumState and
// its EpochState classes): which role it plays in which epoch, and the part of that which must
// survive a restart — epoch, leader, the candidate it voted for, the voters — kept in the file
// `quorum-state` of the metadata log directory, in Kafka's own JSON layout (QuorumStateData v0).
//
// Roles and their rules (KIP-595):
// - unattached: an epoch is known but neither a leader nor a vote; a voter waits out its election timeout.
// - voted: voted for a candidate in this epoch, and will vote for no other in it.
// - candidate: bumped the epoch and voted for itself; asks the other voters.
// - leader: won a majority in this epoch.
// - follower: knows the leader of this epoch and fetches from it.
// - resigned: was leader of this epoch and is stepping down (never persisted: a leader that
//   restarts comes back resigned, so it neither votes nor leads again in that epoch).
// Every transition that changes the epoch, the leader or the vote is written (fsynced, renamed
// into place) before it takes effect, so no replica votes twice in one epoch across a crash.
//
// Ownership: a QuorumState is owned by its RaftNode, which calls it only from its serial path;
// the store owns the file. Deadlines are plain numbers (ms on the node's clock): the node decides
// when to look at them.

import { join } from "node:path";
import { writeFileAtomically } from "../storage/checkpoint-file.ts";
import type { FileSystem } from "../storage/file-system.ts";

export const QUORUM_STATE_FILE = "quorum-state";
const NO_ID = -1;

/** What the `quorum-state` file holds. */
export interface ElectionState {
  epoch: number;
  leaderId: number | null;
  votedId: number | null;
  voters: readonly number[];
}

/** Reading or writing the `quorum-state` file found it unreadable or unwritable. */
export class QuorumStateFileError extends Error {}

/** Kafka's FileQuorumStateStore: one JSON line, replaced atomically (temp file, fsync, rename, dir fsync). */
export class QuorumStateStore {
  readonly path: string;
  readonly #fs: FileSystem;
  readonly #dir: string;

  constructor(fs: FileSystem, dir: string) {
    this.#fs = fs;
    this.#dir = dir;
    this.path = join(dir, QUORUM_STATE_FILE);
  }

  read(): ElectionState | null {
    if (!this.#fs.exists(this.path)) return null;
    const file = this.#fs.open(this.path, { create: false });
    let text: string;
    try {
      const bytes = Buffer.alloc(file.size());
      file.read(bytes, 0, bytes.length, 0);
      text = bytes.toString("utf8");
    } finally {
      file.close();
    }
    return parseElectionState(text, this.path);
  }

  write(state: ElectionState): void {
    this.#fs.mkdirp(this.#dir);
    writeFileAtomically(this.#fs, this.path, Buffer.from(`${formatElectionState(state)}\n`, "utf8"), { sync: true });
  }
}

export function formatElectionState(state: ElectionState): string {
  return JSON.stringify({
    clusterId: "",
    leaderId: state.leaderId ?? NO_ID,
    leaderEpoch: state.epoch,
    votedId: state.votedId ?? NO_ID,
    appliedOffset: 0,
    currentVoters: state.voters.map((voterId) => ({ voterId })),
    data_version: 0,
  });
}

export function parseElectionState(text: string, path = QUORUM_STATE_FILE): ElectionState {
  const line = text.split("\n", 1)[0]!;
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (error) {
    throw new QuorumStateFileError(`${path} is not JSON`, { cause: error });
  }
  if (typeof json !== "object" || json === null) throw new QuorumStateFileError(`${path} does not hold an object`);
  const data = json as Record<string, unknown>;
  if (data.data_version !== 0 && data.data_version !== 1) {
    throw new QuorumStateFileError(`${path} has data_version ${String(data.data_version)}, not 0 or 1`);
  }
  const int = (name: string): number => {
    const value = data[name];
    if (!Number.isInteger(value)) throw new QuorumStateFileError(`${path}: ${name} is not an integer`);
    return value as number;
  };
  const voters = Array.isArray(data.currentVoters)
    ? data.currentVoters.map((voter: unknown) => {
        const id = (voter as { voterId?: unknown } | null)?.voterId;
        if (!Number.isInteger(id)) throw new QuorumStateFileError(`${path}: a voter has no integer voterId`);
        return id as number;
      })
    : [];
  const leaderId = int("leaderId");
  const votedId = int("votedId");
  return {
    epoch: Math.max(int("leaderEpoch"), 0),
    leaderId: leaderId < 0 ? null : leaderId,
    votedId: votedId < 0 ? null : votedId,
    voters,
  };
}

// ---------------------------------------------------------------------------------------------
// Roles

export interface UnattachedRole {
  role: "unattached";
  epoch: number;
  /** When a voter stands for election; Infinity for an observer. */
  electionDeadline: number;
}

export interface VotedRole {
  role: "voted";
  epoch: number;
  votedId: number;
  electionDeadline: number;
}

export interface CandidateRole {
  role: "candidate";
  epoch: number;
  /** Voters that granted their vote, this node included. */
  granted: Set<number>;
  rejected: Set<number>;
  /** How many elections in a row this node has stood in (for the backoff). */
  retries: number;
  electionDeadline: number;
  /** Set once the election is lost or timed out: the next candidacy waits until then. */
  backoffUntil: number | null;
}

export interface LeaderRole {
  role: "leader";
  epoch: number;
  /** The voters that elected this leader (LeaderChangeMessage's GrantingVoters). */
  grantingVoters: readonly number[];
}

export interface FollowerRole {
  role: "follower";
  epoch: number;
  leaderId: number;
  /** A voter that hears nothing from its leader until then stands for election. */
  fetchDeadline: number;
}

export interface ResignedRole {
  role: "resigned";
  epoch: number;
  electionDeadline: number;
  /** Voters that have not acknowledged the EndQuorumEpoch yet. */
  unacknowledged: Set<number>;
  /** Most up-to-date voters first: the order EndQuorumEpoch suggests for the next election. */
  preferredSuccessors: readonly number[];
}

export type EpochRole = UnattachedRole | VotedRole | CandidateRole | LeaderRole | FollowerRole | ResignedRole;
export type RoleName = EpochRole["role"];

/** A transition the Raft rules forbid: a bug in the caller, never a peer's doing. */
export class IllegalTransitionError extends Error {}

export interface QuorumTimeouts {
  electionTimeoutMs: number;
  fetchTimeoutMs: number;
}

/** The log position a replica starts from: the end offset and the epoch of its last batch. */
export interface LogEndPosition {
  endOffset: bigint;
  lastEpoch: number;
}

export class QuorumState {
  readonly localId: number;
  readonly voters: readonly number[];
  readonly #store: QuorumStateStore;
  readonly #timeouts: QuorumTimeouts;
  readonly #now: () => number;
  readonly #random: () => number;
  #state: EpochRole;

  /**
   * Reads the stored election state and picks the starting role as Kafka does: a stored epoch
   * behind the log's last epoch starts unattached in the log's; a stored leadership starts
   * resigned; a stored vote for itself resumes the candidacy; any other vote stays cast; a known
   * leader is followed; else unattached.
   */
  constructor(options: {
    store: QuorumStateStore;
    localId: number;
    voters: readonly number[];
    timeouts: QuorumTimeouts;
    now: () => number;
    random: () => number;
    log: LogEndPosition;
  }) {
    this.#store = options.store;
    this.localId = options.localId;
    this.voters = [...options.voters];
    this.#timeouts = options.timeouts;
    this.#now = options.now;
    this.#random = options.random;
    const stored = this.#store.read() ?? { epoch: 0, leaderId: null, votedId: null, voters: this.voters };
    const now = this.#now();
    let initial: EpochRole;
    if (stored.epoch < options.log.lastEpoch) {
      initial = { role: "unattached", epoch: options.log.lastEpoch, electionDeadline: this.#electionDeadline(now) };
    } else if (stored.leaderId === this.localId) {
      initial = this.#resigned(stored.epoch, []);
    } else if (stored.votedId === this.localId && this.isVoter) {
      initial = this.#candidate(stored.epoch, 1, now);
    } else if (stored.votedId !== null) {
      initial = {
        role: "voted",
        epoch: stored.epoch,
        votedId: stored.votedId,
        electionDeadline: this.#electionDeadline(now),
      };
    } else if (stored.leaderId !== null) {
      initial = {
        role: "follower",
        epoch: stored.epoch,
        leaderId: stored.leaderId,
        fetchDeadline: now + this.#timeouts.fetchTimeoutMs,
      };
    } else {
      initial = { role: "unattached", epoch: stored.epoch, electionDeadline: this.#electionDeadline(now) };
    }
    this.#state = initial;
    this.#persist();
  }

  get state(): Readonly<EpochRole> {
    return this.#state;
  }

  get epoch(): number {
    return this.#state.epoch;
  }

  get role(): RoleName {
    return this.#state.role;
  }

  /** The leader of the current epoch, if known (a resigned leader still names itself). */
  get leaderId(): number | null {
    const state = this.#state;
    if (state.role === "leader" || state.role === "resigned") return this.localId;
    if (state.role === "follower") return state.leaderId;
    return null;
  }

  get isVoter(): boolean {
    return this.voters.includes(this.localId);
  }

  get isOnlyVoter(): boolean {
    return this.voters.length === 1 && this.voters[0] === this.localId;
  }

  get majority(): number {
    return Math.floor(this.voters.length / 2) + 1;
  }

  /** What is on disk for the current state. */
  election(): ElectionState {
    const state = this.#state;
    return {
      epoch: state.epoch,
      leaderId: this.leaderId,
      votedId: state.role === "voted" ? state.votedId : state.role === "candidate" ? this.localId : null,
      voters: this.voters,
    };
  }

  /**
   * Whether a vote may go to `candidateId` in the current epoch (the caller has already moved
   * to the candidate's epoch if it was higher): once per epoch, never with a leader known, and
   * only to a candidate whose log is at least as up to date as this one.
   */
  canGrantVote(candidateId: number, candidateLogIsUpToDate: boolean): boolean {
    const state = this.#state;
    if (state.role === "voted") return state.votedId === candidateId;
    if (state.role === "unattached") return candidateLogIsUpToDate;
    return false;
  }

  /** A higher epoch whose leader is not known yet. */
  transitionToUnattached(epoch: number): void {
    if (epoch <= this.epoch) this.#illegal(`unattached in epoch ${epoch}`);
    const now = this.#now();
    const current = this.#state;
    // A pending election keeps its deadline, so a stream of higher epochs cannot postpone it forever.
    const deadline =
      current.role === "candidate" || current.role === "unattached"
        ? current.electionDeadline
        : this.#electionDeadline(now);
    this.#durably({ role: "unattached", epoch, electionDeadline: this.isVoter ? deadline : Number.POSITIVE_INFINITY });
  }

  /** Grants this epoch's one vote. */
  transitionToVoted(epoch: number, candidateId: number): void {
    if (!this.isVoter) this.#illegal(`voted: ${this.localId} is not a voter`);
    if (candidateId === this.localId) this.#illegal("voted for itself (that is a candidacy)");
    if (epoch < this.epoch) this.#illegal(`voted in the past epoch ${epoch}`);
    if (epoch === this.epoch && this.#state.role !== "unattached") this.#illegal(`voted in epoch ${epoch}`);
    // The candidate has as good a chance as this node: give it a whole election timeout.
    this.#durably({
      role: "voted",
      epoch,
      votedId: candidateId,
      electionDeadline: this.#electionDeadline(this.#now()),
    });
  }

  /** Follows `leaderId`, the leader of `epoch`. */
  transitionToFollower(epoch: number, leaderId: number): void {
    if (leaderId === this.localId) this.#illegal(`follower of itself in epoch ${epoch}`);
    if (epoch < this.epoch) this.#illegal(`follower in the past epoch ${epoch}`);
    const role = this.#state.role;
    if (epoch === this.epoch && (role === "follower" || role === "leader" || role === "resigned")) {
      this.#illegal(`follower of ${leaderId} in epoch ${epoch} while ${role}`);
    }
    this.#durably({ role: "follower", epoch, leaderId, fetchDeadline: this.#now() + this.#timeouts.fetchTimeoutMs });
  }

  /** Stands for election in the next epoch, voting for itself. */
  transitionToCandidate(): void {
    if (!this.isVoter) this.#illegal(`candidate: ${this.localId} is not a voter`);
    if (this.#state.role === "leader") this.#illegal("candidate while leader");
    const retries = this.#state.role === "candidate" ? this.#state.retries + 1 : 1;
    this.#durably(this.#candidate(this.epoch + 1, retries, this.#now()));
  }

  /** Takes the leadership won in the current epoch. */
  transitionToLeader(): LeaderRole {
    const state = this.#state;
    if (state.role !== "candidate") this.#illegal(`leader from ${state.role}`);
    const candidate = state as CandidateRole;
    if (candidate.granted.size < this.majority) this.#illegal("leader without a majority of votes");
    const leader: LeaderRole = {
      role: "leader",
      epoch: state.epoch,
      grantingVoters: [...candidate.granted].sort((a, b) => a - b),
    };
    this.#durably(leader);
    return leader;
  }

  /** A leader steps down in its own epoch (shutdown, or no majority heard from). Memory only. */
  transitionToResigned(preferredSuccessors: readonly number[]): void {
    if (this.#state.role !== "leader") this.#illegal(`resigned from ${this.#state.role}`);
    this.#state = this.#resigned(this.epoch, preferredSuccessors);
  }

  /** Records a voter's answer; returns the candidacy for the caller to act on. */
  recordVote(voterId: number, granted: boolean): CandidateRole {
    const state = this.#state;
    if (state.role !== "candidate") this.#illegal(`recording a vote while ${state.role}`);
    const candidate = state as CandidateRole;
    if (!this.voters.includes(voterId)) return candidate;
    if (granted && !candidate.rejected.has(voterId)) candidate.granted.add(voterId);
    if (!granted && !candidate.granted.has(voterId)) candidate.rejected.add(voterId);
    return candidate;
  }

  /** The candidacy can no longer win: too many voters said no. */
  isVoteRejected(candidate: CandidateRole): boolean {
    return this.voters.length - candidate.rejected.size < this.majority;
  }

  /** Pushes a follower's fetch deadline (EndQuorumEpoch asks for an earlier election). */
  overrideFetchDeadline(deadline: number): void {
    if (this.#state.role === "follower") this.#state.fetchDeadline = deadline;
  }

  /** A follower heard from its leader. */
  resetFetchDeadline(): void {
    if (this.#state.role === "follower") this.#state.fetchDeadline = this.#now() + this.#timeouts.fetchTimeoutMs;
  }

  /** A candidate that lost or timed out waits `backoffMs` before standing again. */
  startBackoff(backoffMs: number): void {
    if (this.#state.role === "candidate") this.#state.backoffUntil = this.#now() + backoffMs;
  }

  randomElectionTimeoutMs(): number {
    const base = this.#timeouts.electionTimeoutMs;
    return base + Math.floor(this.#random() * base);
  }

  #electionDeadline(now: number): number {
    return this.isVoter ? now + this.randomElectionTimeoutMs() : Number.POSITIVE_INFINITY;
  }

  #candidate(epoch: number, retries: number, now: number): CandidateRole {
    return {
      role: "candidate",
      epoch,
      granted: new Set([this.localId]),
      rejected: new Set(),
      retries,
      electionDeadline: now + this.randomElectionTimeoutMs(),
      backoffUntil: null,
    };
  }

  #resigned(epoch: number, preferredSuccessors: readonly number[]): ResignedRole {
    return {
      role: "resigned",
      epoch,
      electionDeadline: this.#electionDeadline(this.#now()),
      unacknowledged: new Set(this.voters.filter((id) => id !== this.localId)),
      preferredSuccessors,
    };
  }

  #durably(next: EpochRole): void {
    const previous = this.#state;
    this.#state = next;
    try {
      this.#persist();
    } catch (error) {
      // Not durable means not taken: a vote must never count before it is on disk.
      this.#state = previous;
      throw error;
    }
  }

  #persist(): void {
    this.#store.write(this.election());
  }

  #illegal(what: string): never {
    throw new IllegalTransitionError(`node ${this.localId} in ${this.#state.role} epoch ${this.epoch}: ${what}`);
  }
}
