// Who may commit and fetch offsets of a consumer-protocol (KIP-848) group (Kafka's
// ConsumerGroup.validateOffsetCommit / validateOffsetFetch): a member names itself and its member
// epoch — a newer epoch than the coordinator knows is fenced (FENCED_MEMBER_EPOCH), an older one
// is stale (STALE_MEMBER_EPOCH: the member retries once its heartbeat has brought the new epoch);
// a committer with no member epoch (admin tools, manual assignment) only while the group is empty.
// The offsets themselves are stored by offsets.ts.
//
// Pure checks over the group's state; called in the group's serial queue (coordinator.ts).

import { ErrorCode } from "../../protocol/errors.ts";
import type { ConsumerGroup } from "./consumer-group.ts";
import type { KafkaErrorCode } from "./types.ts";

function memberEpochError(group: ConsumerGroup, memberId: string, memberEpoch: number): KafkaErrorCode {
  const member = group.members.get(memberId);
  if (member === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
  if (memberEpoch > member.memberEpoch) return ErrorCode.FENCED_MEMBER_EPOCH;
  if (memberEpoch < member.memberEpoch) return ErrorCode.STALE_MEMBER_EPOCH;
  return ErrorCode.NONE;
}

/** OffsetCommit's generationIdOrMemberEpoch is the member epoch for a consumer group. */
export function consumerGroupCommitError(group: ConsumerGroup, memberId: string, memberEpoch: number): KafkaErrorCode {
  if (memberEpoch < 0 && group.members.size === 0) return ErrorCode.NONE;
  return memberEpochError(group, memberId, memberEpoch);
}

/** OffsetFetch v9 names the member; a fetch naming none (member id null, epoch -1) is an admin's and always served. */
export function consumerGroupFetchError(
  group: ConsumerGroup,
  memberId: string | null,
  memberEpoch: number,
): KafkaErrorCode {
  if (memberId === null && memberEpoch < 0) return ErrorCode.NONE;
  // Before v9 a fetch names no member at all.
  if (memberId === null || (memberId === "" && memberEpoch < 0)) return ErrorCode.NONE;
  return memberEpochError(group, memberId, memberEpoch);
}
