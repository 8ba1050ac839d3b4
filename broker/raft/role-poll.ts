// What each role has to do when its time comes (Kafka's KafkaRaftClient poll* methods), and when
// to look again:
// - leader: step down when no majority fetched within the check-quorum time; (re)send
//   BeginQuorumEpoch to voters that have not acknowledged it.
// - candidate: ask the voters not heard from; after a lost or timed-out election back off at
//   random, then stand again in the next epoch.
// - follower: fetch from the leader; a voter that heard nothing in the fetch timeout stands for
//   election; an observer whose leader went quiet asks any voter.
// - unattached / voted: a voter stands once its election timeout passes; an observer asks a voter.
// - resigned: tell the voters (EndQuorumEpoch) until they acknowledge; stand again after the
//   election timeout unless shutting down.
// Called only from the node's serial path; returns the time to be called again.

import { binaryExponentialBackoffMs } from "./election-backoff.ts";
import { beginQuorumEpochRequest, endQuorumEpochRequest, fetchRequest, voteRequest } from "./raft-messages.ts";
import type { ReplicaContext } from "./replica-context.ts";

export function pollRole(context: ReplicaContext, now: number): number {
  const state = context.quorum.state;
  switch (state.role) {
    case "leader":
      return pollLeader(context, now);
    case "candidate":
      return pollCandidate(context, now);
    case "follower":
      return pollFollower(context, now);
    case "unattached":
    case "voted":
      return pollUnattached(context, now, state.electionDeadline);
    case "resigned":
      return pollResigned(context, now);
  }
}

function pollLeader(context: ReplicaContext, now: number): number {
  const leader = context.leader!;
  if (now >= leader.checkQuorumDeadline) {
    context.logger.warn("no majority of voters fetched in time; resigning", {
      nodeId: context.nodeId,
      epoch: leader.epoch,
    });
    context.resign();
    return now;
  }
  if (now >= context.beginQuorumEpochDueAt) {
    for (const voter of leader.unacknowledgedVoters()) {
      if (context.requests.isReady(voter, now)) {
        context.requests.send(voter, "BeginQuorumEpoch", beginQuorumEpochRequest(context.nodeId, leader.epoch));
      }
    }
    context.beginQuorumEpochDueAt = now + Math.floor(context.config.fetchTimeoutMs / 2);
  }
  return Math.min(leader.checkQuorumDeadline, context.beginQuorumEpochDueAt);
}

function pollCandidate(context: ReplicaContext, now: number): number {
  const { quorum, requests } = context;
  const state = quorum.state;
  if (state.role !== "candidate") return now;
  if (state.backoffUntil !== null) {
    if (now < state.backoffUntil || context.shuttingDown) return state.backoffUntil;
    context.becomeCandidate();
    return now;
  }
  if (now >= state.electionDeadline) {
    const backoff = binaryExponentialBackoffMs(state.retries, context.config.electionBackoffMaxMs, () =>
      context.random(),
    );
    context.logger.info("election timed out; backing off", { nodeId: context.nodeId, epoch: state.epoch, backoff });
    quorum.startBackoff(backoff);
    return now + backoff;
  }
  let wakeAt = state.electionDeadline;
  if (!quorum.isVoteRejected(state)) {
    const request = voteRequest(context.nodeId, state.epoch, context.log.endPosition);
    for (const voter of quorum.voters) {
      if (state.granted.has(voter) || state.rejected.has(voter)) continue;
      if (requests.isReady(voter, now)) context.requests.send(voter, "Vote", request);
      else wakeAt = Math.min(wakeAt, requests.readyAt(voter, now));
    }
  }
  return wakeAt;
}

function pollFollower(context: ReplicaContext, now: number): number {
  const { quorum, requests } = context;
  const state = quorum.state;
  if (state.role !== "follower") return now;
  if (quorum.isVoter && now >= state.fetchDeadline && !context.shuttingDown) {
    context.logger.info("no word from the leader in time; standing for election", {
      nodeId: context.nodeId,
      leaderId: state.leaderId,
      epoch: state.epoch,
    });
    context.becomeCandidate();
    return now;
  }
  const target = !quorum.isVoter && now >= state.fetchDeadline ? randomVoter(context) : state.leaderId;
  if (requests.isReady(target, now)) sendFetch(context, target);
  const retryAt = requests.readyAt(target, now);
  return quorum.isVoter ? Math.min(state.fetchDeadline, retryAt) : retryAt;
}

function pollUnattached(context: ReplicaContext, now: number, electionDeadline: number): number {
  if (context.quorum.isVoter) {
    if (now < electionDeadline || context.shuttingDown) return electionDeadline;
    context.becomeCandidate();
    return now;
  }
  // An observer finds the leader by asking any voter.
  const voter = randomVoter(context);
  if (context.requests.isReady(voter, now)) sendFetch(context, voter);
  return Math.max(now + context.config.retryBackoffMs, context.requests.readyAt(voter, now));
}

function pollResigned(context: ReplicaContext, now: number): number {
  const { quorum, requests } = context;
  const state = quorum.state;
  if (state.role !== "resigned") return now;
  const request = endQuorumEpochRequest(context.nodeId, state.epoch, state.preferredSuccessors);
  let wakeAt = context.shuttingDown ? Number.POSITIVE_INFINITY : state.electionDeadline;
  for (const voter of state.unacknowledged) {
    if (requests.isReady(voter, now)) context.requests.send(voter, "EndQuorumEpoch", request);
    else wakeAt = Math.min(wakeAt, requests.readyAt(voter, now));
  }
  if (!context.shuttingDown && now >= state.electionDeadline) {
    if (quorum.isVoter) context.becomeCandidate();
    else context.becomeUnattached(state.epoch + 1);
    return now;
  }
  return wakeAt;
}

/** Fetches from the log end (answers handled in response-handling.ts). */
function sendFetch(context: ReplicaContext, destination: number): void {
  context.requests.send(
    destination,
    "Fetch",
    fetchRequest({
      replicaId: context.nodeId,
      epoch: context.quorum.epoch,
      fetchOffset: context.log.endOffset,
      lastFetchedEpoch: context.log.lastFetchedEpoch,
      maxWaitMs: context.config.fetchMaxWaitMs,
      maxBytes: context.config.fetchMaxBytes,
    }),
  );
}

function randomVoter(context: ReplicaContext): number {
  const voters = context.quorum.voters;
  return voters[Math.floor(context.random() * voters.length)]!;
}
