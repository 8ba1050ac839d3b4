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
// Each request is first checked for its shape (one partition, of the metadata log) and refused
// by a closed node before anything changes; what changes state runs on the node's serial path,
// where a failure to persist a transition is answered UNKNOWN_SERVER_ERROR rather than thrown.

import { ErrorCode } from "../protocol/errors.ts";
import type {
  BeginQuorumEpochRequest,
  BeginQuorumEpochRequestPartitionData,
  BeginQuorumEpochResponse,
  DescribeQuorumRequest,
  DescribeQuorumResponse,
  EndQuorumEpochRequest,
  EndQuorumEpochRequestPartitionData,
  EndQuorumEpochResponse,
  FetchRequest,
  FetchResponse,
  VoteRequest,
  VoteRequestPartitionData,
  VoteResponse,
} from "../protocol/messages/index.ts";
import { successorBackoffMs } from "./election-backoff.ts";
import type { ReplicaProgress } from "./leader-state.ts";
import {
  beginQuorumEpochResponse,
  describeQuorumError,
  describeQuorumResponse,
  endQuorumEpochResponse,
  fetchResponse,
  type LeaderAndEpoch,
  singleFetchPartition,
  singlePartition,
  topLevelError,
  voteResponse,
} from "./raft-messages.ts";
import { compareLogEnds, type FetchQuery, type NodeContext, type ReplicaContext } from "./replica-context.ts";

/** Runs `action` on the node's serial path. */
export type Serially = <T>(action: () => T) => T;
/** Runs `change` on the node's serial path; a failure (to persist it) is logged and answered with `onFailure`. */
export type Guarded = <T>(change: () => T, onFailure: () => T) => T;

export function answerDescribeQuorumRequest(
  context: ReplicaContext,
  request: DescribeQuorumRequest,
): DescribeQuorumResponse {
  if (singlePartition(request.topics) === null) return describeQuorumError(ErrorCode.INVALID_REQUEST);
  return describeQuorum(context);
}

export function answerVoteRequest(context: ReplicaContext, request: VoteRequest, guarded: Guarded): VoteResponse {
  return answerVoterRequest(
    context,
    singlePartition(request.topics),
    guarded,
    (vote) => checkVote(context, vote),
    (errorCode) => voteResponse(errorCode, context.current(), false),
    (vote) => voteResponse(ErrorCode.NONE, context.current(), decideVote(context, vote)),
  );
}

export function answerBeginQuorumEpochRequest(
  context: ReplicaContext,
  request: BeginQuorumEpochRequest,
  guarded: Guarded,
): BeginQuorumEpochResponse {
  return answerLeaderAnnouncement(context, request.topics, guarded, beginQuorumEpochResponse, acceptBeginQuorumEpoch);
}

export function answerEndQuorumEpochRequest(
  context: ReplicaContext,
  request: EndQuorumEpochRequest,
  guarded: Guarded,
): EndQuorumEpochResponse {
  return answerLeaderAnnouncement(context, request.topics, guarded, endQuorumEpochResponse, acceptEndQuorumEpoch);
}

/** A follower's or observer's Fetch; held up to its max wait when there is nothing new (leader only). */
export function answerFetchRequest(
  node: NodeContext,
  request: FetchRequest,
  serially: Serially,
): Promise<FetchResponse> {
  const query = fetchQueryOf(node, request);
  if (!("fetchOffset" in query)) return Promise.resolve(query);
  const response = serially(() => answerFetch(node, query));
  if (request.maxWaitMs === 0 || !hasNothingNew(response)) return Promise.resolve(response);
  return node.purgatory.park(query.fetchOffset, request.maxWaitMs, () => serially(() => answerFetch(node, query)));
}

/** A BeginQuorumEpoch or EndQuorumEpoch: checked as such, then `accept`ed. */
function answerLeaderAnnouncement<
  Data extends BeginQuorumEpochRequestPartitionData | EndQuorumEpochRequestPartitionData,
  Response extends { errorCode: number; topics: unknown[] },
>(
  context: ReplicaContext,
  topics: readonly { topicName: string; partitions: readonly Data[] }[],
  guarded: Guarded,
  respond: (errorCode: number, current: LeaderAndEpoch) => Response,
  accept: (context: ReplicaContext, announcement: Data) => void,
): Response {
  const answer = (errorCode: number) => respond(errorCode, context.current());
  return answerVoterRequest(
    context,
    singlePartition(topics),
    guarded,
    (announcement) => checkLeaderAnnouncement(context, announcement),
    answer,
    (announcement) => {
      accept(context, announcement);
      return answer(ErrorCode.NONE);
    },
  );
}

/**
 * The steps of a Vote, BeginQuorumEpoch or EndQuorumEpoch: `data` (the request's one partition,
 * null when it names anything else) checked, then `check`ed before anything changes, then
 * `accept`ed on the serial path; `answer` gives the partition-level answer for an error code.
 */
function answerVoterRequest<Data, Response extends { errorCode: number; topics: unknown[] }>(
  context: ReplicaContext,
  data: Data | null,
  guarded: Guarded,
  check: (data: Data) => number,
  answer: (errorCode: number) => Response,
  accept: (data: Data) => Response,
): Response {
  if (data === null) return topLevelError<Response>(ErrorCode.INVALID_REQUEST);
  if (context.closed) return topLevelError<Response>(ErrorCode.BROKER_NOT_AVAILABLE);
  const error = check(data);
  if (error !== ErrorCode.NONE) return answer(error);
  return guarded(
    () => accept(data),
    () => answer(ErrorCode.UNKNOWN_SERVER_ERROR),
  );
}

/** The Vote request's error code (NONE to go on) before anything changes. */
function checkVote(context: ReplicaContext, vote: VoteRequestPartitionData): number {
  if (vote.candidateEpoch < context.quorum.epoch) return ErrorCode.FENCED_LEADER_EPOCH;
  const { candidateId, lastOffset, lastOffsetEpoch, candidateEpoch } = vote;
  if (candidateId < 0 || lastOffset < 0n || lastOffsetEpoch < 0 || lastOffsetEpoch >= candidateEpoch) {
    return ErrorCode.INVALID_REQUEST;
  }
  return ErrorCode.NONE;
}

/** Decides a valid vote; returns whether it is granted. */
function decideVote(context: ReplicaContext, vote: VoteRequestPartitionData): boolean {
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
function checkLeaderAnnouncement(
  context: ReplicaContext,
  announcement: BeginQuorumEpochRequestPartitionData | EndQuorumEpochRequestPartitionData,
): number {
  if (announcement.leaderEpoch < context.quorum.epoch) return ErrorCode.FENCED_LEADER_EPOCH;
  if (announcement.leaderId < 0) return ErrorCode.INVALID_REQUEST;
  return ErrorCode.NONE;
}

function acceptBeginQuorumEpoch(context: ReplicaContext, begin: BeginQuorumEpochRequestPartitionData): void {
  context.maybeTransition(begin.leaderId, begin.leaderEpoch);
}

function acceptEndQuorumEpoch(context: ReplicaContext, end: EndQuorumEpochRequestPartitionData): void {
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
function fetchQueryOf(context: ReplicaContext, request: FetchRequest): FetchQuery | FetchResponse {
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
function answerFetch(context: ReplicaContext, fetch: FetchQuery): FetchResponse {
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
function hasNothingNew(response: FetchResponse): boolean {
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
