// How a replica changes role (Kafka's KafkaRaftClient transitionTo* and onBecome*): the quorum
// state records the new role durably first (quorum-state.ts), then what the old role had going
// ends with it (a leadership's proposals fail, its held fetches are answered) and the outbound
// requests start afresh. A candidate that already holds a majority (a single voter) leads at
// once; a new leader opens its epoch with a LeaderChangeMessage, since nothing commits before an
// entry of its own epoch does. What a request or a response says about the epoch and its leader
// is followed here too (Kafka's maybeTransition).
//
// Plain functions over the node's context (replica-context.ts), called only from its serial
// path. Ownership: none; the RaftNode owns the quorum state, the leadership and all the rest.

import { announceLeader, onLeaderAppend } from "./commits.ts";
import { LeaderState } from "./leader-state.ts";
import { NotLeaderError } from "./pending-proposals.ts";
import { leaderChangeBatch } from "./raft-batches.ts";
import type { NodeContext } from "./replica-context.ts";

export function becomeUnattached(node: NodeContext, epoch: number): void {
  node.quorum.transitionToUnattached(epoch);
  leaveLeadership(node);
  node.requests.resetAll();
  announceLeader(node);
}

export function becomeFollower(node: NodeContext, epoch: number, leaderId: number): void {
  node.quorum.transitionToFollower(epoch, leaderId);
  leaveLeadership(node);
  node.requests.resetAll();
  node.logger.info("following", { nodeId: node.nodeId, leaderId, epoch });
  announceLeader(node);
}

export function becomeCandidate(node: NodeContext): void {
  node.quorum.transitionToCandidate();
  leaveLeadership(node);
  node.logger.info("standing for election", { nodeId: node.nodeId, epoch: node.quorum.epoch });
  announceLeader(node);
  onBecomeCandidate(node);
}

/** A candidate whose votes already make a majority (a single voter) leads; else it asks for them. */
export function onBecomeCandidate(node: NodeContext): void {
  const state = node.quorum.state;
  if (state.role === "candidate" && state.granted.size >= node.quorum.majority) becomeLeader(node);
  else node.requests.resetAll();
}

export function becomeLeader(node: NodeContext): void {
  const role = node.quorum.transitionToLeader();
  const now = node.now();
  const epochStartOffset = node.log.endOffset;
  node.leader = new LeaderState({
    localId: node.nodeId,
    epoch: role.epoch,
    epochStartOffset,
    voters: node.quorum.voters,
    grantingVoters: role.grantingVoters,
    fetchTimeoutMs: node.config.fetchTimeoutMs,
    now,
  });
  node.logger.info("elected leader", { nodeId: node.nodeId, epoch: role.epoch, epochStartOffset });
  // Nothing commits before an entry of this epoch does, so the epoch opens with one at once.
  const opening = leaderChangeBatch(node.nodeId, node.quorum.voters, role.grantingVoters, role.epoch, now);
  node.log.appendAsLeader(opening, role.epoch);
  node.log.flush();
  node.requests.resetAll();
  node.beginQuorumEpochDueAt = now;
  onLeaderAppend(node);
}

export function resign(node: NodeContext): void {
  const leader = node.leader!;
  node.quorum.transitionToResigned(leader.successorsByEndOffset());
  leaveLeadership(node);
  node.requests.resetAll();
  node.logger.info("resigned", { nodeId: node.nodeId, epoch: node.quorum.epoch });
}

/** Whatever a leadership had going ends with it: proposals fail, held fetches get their answer. */
function leaveLeadership(node: NodeContext): void {
  if (node.leader === null) return;
  node.leader = null;
  node.pending.failAll(
    new NotLeaderError(node.leaderId(), node.quorum.epoch, "leadership lost before the proposal committed"),
  );
  node.purgatory.completeAll();
}

/**
 * Follows what a request or response says about the epoch and its leader (Kafka's
 * maybeTransition): a higher epoch is joined, as follower when its leader is named; a leader
 * named for the current epoch is followed if none was known.
 */
export function maybeTransition(node: NodeContext, leaderId: number | null, epoch: number): void {
  const known = node.quorum.leaderId;
  if (epoch === node.quorum.epoch && leaderId !== null && known !== null && known !== leaderId) {
    node.logger.error("two leaders claimed for one epoch; ignoring the second", {
      nodeId: node.nodeId,
      epoch,
      known,
      claimed: leaderId,
    });
    return;
  }
  if (epoch > node.quorum.epoch) {
    if (leaderId !== null && leaderId !== node.nodeId) becomeFollower(node, epoch, leaderId);
    else becomeUnattached(node, epoch);
  } else if (epoch === node.quorum.epoch && leaderId !== null && known === null && leaderId !== node.nodeId) {
    becomeFollower(node, epoch, leaderId);
  }
}
