// What a replica does with the answers to its requests (Kafka's KafkaRaftClient handle*Response).
// Every answer first tells the sender's epoch and leader: an older epoch makes it stale, a newer
// one is joined, a leader named for the current epoch is followed. Then, per API: a candidate
// counts votes (a majority makes it leader, too many refusals send it into backoff); a leader notes
// BeginQuorumEpoch acknowledgements; a resigned leader notes EndQuorumEpoch ones; a follower
// truncates to a DivergingEpoch, or appends the records and learns the high watermark.
// Each returns whether the answer was usable (false: the destination is backed off). Called only
// from the node's serial path.

import { ErrorCode } from "../protocol/errors.ts";
import type {
  BeginQuorumEpochResponse,
  EndQuorumEpochResponse,
  FetchResponse,
  VoteResponse,
} from "../protocol/messages/index.ts";
import { binaryExponentialBackoffMs } from "./election-backoff.ts";
import type { RaftApi, RaftMessages } from "./raft-channel.ts";
import { leaderIdOrNull, singleFetchResponsePartition, singlePartition } from "./raft-messages.ts";
import type { ReplicaContext } from "./replica-context.ts";

export function handleResponse<Api extends RaftApi>(
  context: ReplicaContext,
  from: number,
  api: Api,
  response: RaftMessages[Api]["response"],
): boolean {
  switch (api) {
    case "Vote":
      return onVoteResponse(context, from, response as VoteResponse);
    case "BeginQuorumEpoch":
      return onBeginQuorumEpochResponse(context, from, response as BeginQuorumEpochResponse);
    case "EndQuorumEpoch":
      return onEndQuorumEpochResponse(context, from, response as EndQuorumEpochResponse);
    default:
      return onFetchResponse(context, response as FetchResponse);
  }
}

/**
 * What any answer says about the epoch and leader (Kafka's maybeHandleCommonResponse): true or
 * false when that settles it, undefined when the caller should read on.
 */
function handleEpochAndLeader(
  context: ReplicaContext,
  errorCode: number,
  leaderId: number | null,
  epoch: number,
): boolean | undefined {
  const { quorum } = context;
  if (epoch < quorum.epoch || errorCode === ErrorCode.UNKNOWN_LEADER_EPOCH) return true;
  if (
    epoch > quorum.epoch ||
    errorCode === ErrorCode.FENCED_LEADER_EPOCH ||
    errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER
  ) {
    context.maybeTransition(leaderId, epoch);
    return errorCode === ErrorCode.NONE;
  }
  if (leaderId !== null && quorum.leaderId === null && leaderId !== context.nodeId) {
    context.becomeFollower(epoch, leaderId);
    return errorCode === ErrorCode.NONE ? undefined : true;
  }
  if (errorCode === ErrorCode.BROKER_NOT_AVAILABLE) return false;
  if (errorCode === ErrorCode.INVALID_REQUEST) {
    context.logger.error("a peer found a raft request invalid", { nodeId: context.nodeId, epoch });
    return false;
  }
  return undefined;
}

/** The common part of the three election APIs' answers: the one partition, its epoch and leader. */
function electionAnswer(
  context: ReplicaContext,
  response: VoteResponse | BeginQuorumEpochResponse | EndQuorumEpochResponse,
): { handled: boolean } | { partitionError: number } {
  if (response.errorCode !== ErrorCode.NONE) return { handled: false };
  const partition = singlePartition<{
    partitionIndex: number;
    errorCode: number;
    leaderId: number;
    leaderEpoch: number;
  }>(response.topics);
  if (partition === null) return { handled: false };
  const common = handleEpochAndLeader(
    context,
    partition.errorCode,
    leaderIdOrNull(partition.leaderId),
    partition.leaderEpoch,
  );
  if (common !== undefined) return { handled: common };
  return { partitionError: partition.errorCode };
}

function onVoteResponse(context: ReplicaContext, from: number, response: VoteResponse): boolean {
  const answer = electionAnswer(context, response);
  if ("handled" in answer) return answer.handled;
  if (answer.partitionError !== ErrorCode.NONE) return false;
  const { quorum } = context;
  if (quorum.role !== "candidate") return true;
  const granted = singlePartition(response.topics)!.voteGranted;
  const candidacy = quorum.recordVote(from, granted);
  if (candidacy.granted.size >= quorum.majority) {
    context.becomeLeader();
  } else if (quorum.isVoteRejected(candidacy) && candidacy.backoffUntil === null) {
    // Lost: wait a random while rather than the whole election timeout.
    const backoff = binaryExponentialBackoffMs(candidacy.retries, context.config.electionBackoffMaxMs, () =>
      context.random(),
    );
    quorum.startBackoff(backoff);
  }
  return true;
}

function onBeginQuorumEpochResponse(
  context: ReplicaContext,
  from: number,
  response: BeginQuorumEpochResponse,
): boolean {
  const answer = electionAnswer(context, response);
  if ("handled" in answer) return answer.handled;
  if (answer.partitionError !== ErrorCode.NONE) return false;
  context.leader?.acknowledge(from);
  return true;
}

function onEndQuorumEpochResponse(context: ReplicaContext, from: number, response: EndQuorumEpochResponse): boolean {
  const answer = electionAnswer(context, response);
  if ("handled" in answer) return answer.handled;
  if (answer.partitionError !== ErrorCode.NONE) return false;
  const state = context.quorum.state;
  if (state.role === "resigned") state.unacknowledged.delete(from);
  return true;
}

function onFetchResponse(context: ReplicaContext, response: FetchResponse): boolean {
  if ((response.errorCode ?? ErrorCode.NONE) !== ErrorCode.NONE) return false;
  const partition = singleFetchResponsePartition(response);
  if (partition === null) return false;
  const common = handleEpochAndLeader(
    context,
    partition.errorCode,
    leaderIdOrNull(partition.currentLeader?.leaderId),
    partition.currentLeader?.leaderEpoch ?? -1,
  );
  if (common !== undefined) return common;
  if (partition.errorCode !== ErrorCode.NONE) return false;
  const { quorum, log } = context;
  if (quorum.role !== "follower") return true;
  const diverging = partition.divergingEpoch;
  if (diverging !== undefined && (diverging.epoch ?? -1) >= 0) {
    const divergingAt = { offset: diverging.endOffset ?? -1n, epoch: diverging.epoch! };
    if (divergingAt.offset < context.committed) {
      // Committed entries are never truncated: a leader asking for it is not following Raft.
      context.logger.error("the leader asked for a truncation below the high watermark; refused", {
        nodeId: context.nodeId,
        divergingAt: divergingAt.offset,
        highWatermark: context.committed,
      });
      return false;
    }
    const end = log.truncateToEndOffset(divergingAt);
    context.logger.info("truncated a divergent log tail", { nodeId: context.nodeId, endOffset: end });
  } else {
    const records = recordsBuffer(partition.records);
    if (records !== null) {
      log.appendAsFollower(records);
      // A voter's copy counts towards commitment only once it is durable.
      if (quorum.isVoter) log.flush();
    }
    if (partition.highWatermark >= 0n) context.advanceCommitted(partition.highWatermark);
  }
  quorum.resetFetchDeadline();
  return true;
}

function recordsBuffer(records: Buffer | Buffer[] | null): Buffer | null {
  if (records === null) return null;
  const buffer = Array.isArray(records) ? Buffer.concat(records) : records;
  return buffer.length === 0 ? null : buffer;
}
