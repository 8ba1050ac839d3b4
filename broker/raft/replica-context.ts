// What the parts of a RaftNode's protocol logic (request-answers.ts, response-handling.ts,
// role-poll.ts) see of the node: its state to read, and the transitions and effects they may
// cause; and what its transitions and commits (role-transitions.ts, commits.ts) see besides: the
// leadership and the commit point they set, and the parts of the node a change of either
// settles. They are plain functions over these contexts, called only from the node's serial path.
//
// Ownership: none; the RaftNode owns everything behind it.

import type { FetchResponse } from "../protocol/messages/index.ts";
import type { Logger } from "../server/logger.ts";
import type { FetchPurgatory } from "./fetch-purgatory.ts";
import type { LeaderState } from "./leader-state.ts";
import type { OutboundRequests } from "./outbound-requests.ts";
import type { PendingProposals } from "./pending-proposals.ts";
import type { RaftConfig } from "./quorum-config.ts";
import type { QuorumState } from "./quorum-state.ts";
import type { RaftListeners } from "./raft-listeners.ts";
import type { OffsetAndEpoch, RaftLog } from "./raft-log.ts";
import type { LeaderAndEpoch } from "./raft-messages.ts";

export interface ReplicaContext {
  readonly nodeId: number;
  readonly config: RaftConfig;
  readonly quorum: QuorumState;
  readonly log: RaftLog;
  readonly logger: Logger;
  readonly requests: OutboundRequests;
  /** The leadership in progress, or null. */
  readonly leader: LeaderState | null;
  /** Offsets below it are committed. */
  readonly committed: bigint;
  readonly shuttingDown: boolean;
  readonly closed: boolean;
  /** When the leader next (re)sends BeginQuorumEpoch to the voters that have not acknowledged it. */
  beginQuorumEpochDueAt: number;
  now(): number;
  random(): number;
  /** The epoch and its leader as this node knows them (a resigned leader still names itself). */
  current(): LeaderAndEpoch;

  becomeUnattached(epoch: number): void;
  becomeFollower(epoch: number, leaderId: number): void;
  becomeCandidate(): void;
  becomeLeader(): void;
  resign(): void;
  /** Follows what a message says about the epoch and its leader (Kafka's maybeTransition). */
  maybeTransition(leaderId: number | null, epoch: number): void;

  /** Offsets below `highWatermark` (clamped to the log) are committed. */
  advanceCommitted(highWatermark: bigint): void;
  /** The leader's high watermark moved. */
  onLeaderHighWatermark(): void;
}

/** The node as its transitions and commits see it: set only by them, on the serial path. */
export interface NodeContext extends ReplicaContext {
  leader: LeaderState | null;
  committed: bigint;
  /** Whether the node has started: its own leadership is announced only from then on. */
  readonly started: boolean;
  readonly pending: PendingProposals;
  readonly purgatory: FetchPurgatory<FetchResponse>;
  readonly listeners: RaftListeners;
  /** The leader this node tells its listeners and callers of: none while it has resigned. */
  leaderId(): number | null;
}

/** A Fetch of the metadata log as the leader answers it. */
export interface FetchQuery {
  replicaId: number;
  epoch: number;
  fetchOffset: bigint;
  lastFetchedEpoch: number;
  maxBytes: number;
}

/** Compares two log ends: by epoch first, then offset (Kafka's OffsetAndEpoch order). */
export function compareLogEnds(a: OffsetAndEpoch, b: OffsetAndEpoch): number {
  if (a.epoch !== b.epoch) return a.epoch < b.epoch ? -1 : 1;
  return a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0;
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
