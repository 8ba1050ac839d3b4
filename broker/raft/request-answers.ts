// How a replica answers the other replicas' requests (Kafka's KafkaRaftClient handle*Request):
// - Vote: a candidate of an older epoch is fenced; a newer epoch is joined (unattached) first;
//   the vote goes once per epoch, only from a voter that knows no leader, and only to a candidate
//   whose log (last epoch, then end offset) is at least as up to date.
// - BeginQuorumEpoch: the named leader of that epoch is followed.
// - EndQuorumEpoch: a follower of the resigning leader stands for election after a wait that
//   depends on its place in the leader's list of preferred successors.
// - Fetch (leader only): a replica whose (fetch offset, last fetched epoch) is not a prefix of the
//   leader's log gets the DivergingEpoch to truncate to; else records from its offset, and the
//   leader counts its log end towards the high watermark.
// The caller runs each on the node's serial path; a failure to persist a transition throws.

import { ErrorCode } from "../protocol/errors.ts";
import type {
  BeginQuorumEpochRequestPartitionData,
  DescribeQuorumResponse,
  EndQuorumEpochRequestPartitionData,
  FetchRequest,
  FetchResponse,
  VoteRequestPartitionData,
} from "../protocol/messages/index.ts";
import { successorBackoffMs } from "./election-backoff.ts";
import type { ReplicaProgress } from "./leader-state.ts";
import { describeQuorumResponse, fetchResponse, singleFetchPartition } from "./raft-messages.ts";
import { compareLogEnds, type FetchQuery, type ReplicaContext } from "./replica-context.ts";

/** The Vote request's error code (NONE to go on) before anything changes. */
export function checkVote(context: ReplicaContext, vote: VoteRequestPartitionData): number {
  if (vote.candidateEpoch < context.quorum.epoch) return ErrorCode.FENCED_LEADER_EPOCH;
  const { candidateId, lastOffset, lastOffsetEpoch, candidateEpoch } = vote;
  if (candidateId < 0 || lastOffset < 0n || lastOffsetEpoch < 0 || lastOffsetEpoch >= candidateEpoch) {
    return ErrorCode.INVALID_REQUEST;
  }
  return ErrorCode.NONE;
}

/** Decides a valid vote; returns whether it is granted. */
export function decideVote(context: ReplicaContext, vote: VoteRequestPartitionData): boolean {
  const { quorum, log } = context;
  if (vote.candidateEpoch > quorum.epoch) context.becomeUnattached(vote.candidateEpoch);
  const candidateLog = { offset: vote.lastOffset, epoch: vote.lastOffsetEpoch };
  const upToDate = compareLogEnds(candidateLog, log.endPosition) >= 0;
  const granted = quorum.isVoter && quorum.canGrantVote(vote.candidateId, upToDate);
  if (granted && quorum.role === "unattached") quorum.transitionToVoted(vote.candidateEpoch, vote.candidateId);
  context.logger.info("vote request", {
    nodeId: context.nodeId,
    candidateId: vote.candidateId,
    candidateEpoch: vote.candidateEpoch,
    granted,
  });
  return granted;
}

/** The BeginQuorumEpoch or EndQuorumEpoch request's error code (NONE to go on) before anything changes. */
export function checkLeaderAnnouncement(
  context: ReplicaContext,
  announcement: BeginQuorumEpochRequestPartitionData | EndQuorumEpochRequestPartitionData,
): number {
  if (announcement.leaderEpoch < context.quorum.epoch) return ErrorCode.FENCED_LEADER_EPOCH;
  if (announcement.leaderId < 0) return ErrorCode.INVALID_REQUEST;
  return ErrorCode.NONE;
}

export function acceptBeginQuorumEpoch(context: ReplicaContext, begin: BeginQuorumEpochRequestPartitionData): void {
  context.maybeTransition(begin.leaderId, begin.leaderEpoch);
}

export function acceptEndQuorumEpoch(context: ReplicaContext, end: EndQuorumEpochRequestPartitionData): void {
  context.maybeTransition(end.leaderId, end.leaderEpoch);
  const state = context.quorum.state;
  if (state.role !== "follower" || state.leaderId !== end.leaderId) return;
  const successors = end.preferredSuccessors;
  const backoff = successorBackoffMs(
    successors.indexOf(context.nodeId),
    successors.length,
    context.config.electionBackoffMaxMs,
  );
  context.quorum.overrideFetchDeadline(context.now() + backoff);
}

/** The fetch a request asks for, or the INVALID_REQUEST answer it gets (Kafka's checks). */
export function fetchQueryOf(context: ReplicaContext, request: FetchRequest): FetchQuery | FetchResponse {
  const partition = singleFetchPartition(request);
  if (partition === null)
    return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST, sessionId: 0, responses: [] };
  if (
    request.maxWaitMs < 0 ||
    partition.fetchOffset < 0n ||
    partition.lastFetchedEpoch < 0 ||
    partition.lastFetchedEpoch > partition.currentLeaderEpoch
  ) {
    return emptyFetchResponse(context, ErrorCode.INVALID_REQUEST);
  }
  return {
    replicaId: request.replicaId,
    epoch: partition.currentLeaderEpoch,
    fetchOffset: partition.fetchOffset,
    lastFetchedEpoch: partition.lastFetchedEpoch,
    maxBytes: Math.max(1, Math.min(request.maxBytes, partition.partitionMaxBytes, context.config.fetchMaxBytes)),
  };
}

/** The leader's answer to a fetch as of now. */
export function answerFetch(context: ReplicaContext, fetch: FetchQuery): FetchResponse {
  const error = leaderRequestError(context, fetch.epoch);
  const leader = context.leader;
  if (error !== ErrorCode.NONE || leader === null) return emptyFetchResponse(context, error);
  const { log } = context;
  const position = log.validateFetchPosition(fetch.fetchOffset, fetch.lastFetchedEpoch);
  if (position.kind === "diverging") {
    return fetchResponse({
      errorCode: ErrorCode.NONE,
      current: context.current(),
      highWatermark: leader.highWatermark,
      logStartOffset: log.startOffset,
      divergingAt: position.divergingAt,
    });
  }
  const records = log.read(fetch.fetchOffset, fetch.maxBytes);
  if (leader.updateReplica(fetch.replicaId, fetch.fetchOffset, log.endOffset, context.now())) {
    context.onLeaderHighWatermark();
  }
  return fetchResponse({
    errorCode: ErrorCode.NONE,
    current: context.current(),
    highWatermark: leader.highWatermark,
    logStartOffset: log.startOffset,
    records,
  });
}

/** Whether an answered fetch should rather wait for news: no error, no records, no divergence. */
export function hasNothingNew(response: FetchResponse): boolean {
  const partition = response.responses[0]?.partitions[0];
  if (partition === undefined || partition.errorCode !== ErrorCode.NONE) return false;
  if ((partition.divergingEpoch?.epoch ?? -1) >= 0) return false;
  const records = partition.records;
  return records === null || (Array.isArray(records) ? records.length === 0 : records.length === 0);
}

/** The DescribeQuorum answer: leader, epoch, high watermark and each replica's progress (leader only). */
export function describeQuorum(context: ReplicaContext): DescribeQuorumResponse {
  const leader = context.leader;
  const current = {
    leaderId: context.quorum.role === "resigned" ? null : context.quorum.leaderId,
    epoch: context.quorum.epoch,
  };
  if (leader === null) {
    const errorCode = ErrorCode.NOT_LEADER_OR_FOLLOWER;
    return describeQuorumResponse({ errorCode, current, highWatermark: null, voters: [], observers: [] });
  }
  const described = (progress: ReplicaProgress) => ({
    replicaId: progress.replicaId,
    logEndOffset: progress.endOffset ?? -1n,
    // Kafka reports -1 as the leader's own last fetch.
    lastFetchTimestamp: progress.replicaId === context.nodeId ? -1 : progress.lastFetchTimestamp,
    lastCaughtUpTimestamp: progress.lastCaughtUpTimestamp,
  });
  return describeQuorumResponse({
    errorCode: ErrorCode.NONE,
    current,
    highWatermark: leader.highWatermark,
    voters: leader.voterProgress().map(described),
    observers: leader.observerProgress().map(described),
  });
}

/** Kafka's validateLeaderOnlyRequest: the fetch's epoch must be the leader's own. */
function leaderRequestError(context: ReplicaContext, epoch: number): number {
  if (epoch < context.quorum.epoch) return ErrorCode.FENCED_LEADER_EPOCH;
  if (epoch > context.quorum.epoch) return ErrorCode.UNKNOWN_LEADER_EPOCH;
  if (context.quorum.role !== "leader" || context.leader === null) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
  if (context.shuttingDown || context.closed) return ErrorCode.BROKER_NOT_AVAILABLE;
  return ErrorCode.NONE;
}

function emptyFetchResponse(context: ReplicaContext, errorCode: number): FetchResponse {
  return fetchResponse({
    errorCode,
    current: context.current(),
    highWatermark: null,
    logStartOffset: context.log.startOffset,
  });
}
