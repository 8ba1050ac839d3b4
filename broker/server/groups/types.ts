// Plain request/result shapes of the group coordinator. They mirror the Kafka requests closely
// enough that each wire handler only renames fields and picks the version's subset.
//
// Only types, and the bottom of the groups/ imports: every other module there imports these and
// this file imports none of them, so the modules cannot form a cycle through it.

import type { ErrorCode, ErrorCodeName } from "../../protocol/errors.ts";

/** One of the protocol's Kafka error codes (a value of `ErrorCode`). */
export type KafkaErrorCode = (typeof ErrorCode)[ErrorCodeName];

/** The states of a classic group, with Kafka's names (DescribeGroups and ListGroups show them). */
export type GroupState = "Empty" | "PreparingRebalance" | "CompletingRebalance" | "Stable" | "Dead";

/** The states of a KIP-848 consumer-protocol group, with Kafka's names. */
export type ConsumerGroupState = "Empty" | "Assigning" | "Reconciling" | "Stable" | "Dead";

export interface MemberProtocol {
  name: string;
  metadata: Buffer;
}

export interface JoinGroupRequest {
  groupId: string;
  /** "" on a member's first join. */
  memberId: string;
  /** A static member's (KIP-345) group.instance.id, from JoinGroup v5; null for a dynamic member. */
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  /** JoinGroup v0 has none: pass -1 and the session timeout is used, as Kafka does. */
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: MemberProtocol[];
  /** true from JoinGroup v4: a first join gets MEMBER_ID_REQUIRED and an id to rejoin with. */
  requireKnownMemberId: boolean;
}

export interface JoinGroupMemberInfo {
  memberId: string;
  groupInstanceId: string | null;
  /** The member's metadata for the chosen protocol. */
  metadata: Buffer;
}

export interface JoinGroupResult {
  errorCode: KafkaErrorCode;
  /** -1 when the join failed. */
  generationId: number;
  /** null when the join failed (wire versions with a non-nullable field send ""). */
  protocolType: string | null;
  protocolName: string | null;
  leaderId: string;
  memberId: string;
  /** Filled for the leader only. */
  members: JoinGroupMemberInfo[];
}

export interface MemberAssignment {
  memberId: string;
  assignment: Buffer;
}

export interface SyncGroupRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  /** From SyncGroup v3; a static member whose instance id another member id holds now is fenced. */
  groupInstanceId?: string | null;
  /** Only the leader's request carries assignments; followers send []. */
  assignments: MemberAssignment[];
}

export interface SyncGroupResult {
  errorCode: KafkaErrorCode;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

export interface HeartbeatRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  /** From Heartbeat v3; a static member whose instance id another member id holds now is fenced. */
  groupInstanceId?: string | null;
}

export interface HeartbeatResult {
  errorCode: KafkaErrorCode;
}

export interface LeavingMember {
  memberId: string;
  groupInstanceId: string | null;
  /** Why the member leaves, in the client's words (KIP-800, LeaveGroup v5); null or absent before. */
  reason?: string | null;
}

export interface LeaveGroupRequest {
  groupId: string;
  /** LeaveGroup v0–2 name one member; v3+ a list (v5 with each member's reason). */
  members: LeavingMember[];
}

export interface LeaveGroupResult {
  /** Whole-request error; NONE when each member has its own code below. */
  errorCode: KafkaErrorCode;
  members: (LeavingMember & { errorCode: KafkaErrorCode })[];
}

export interface DescribedMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  /** Empty unless the group is Stable (as in Kafka). */
  metadata: Buffer;
  assignment: Buffer;
}

export interface DescribedGroup {
  groupId: string;
  errorCode: KafkaErrorCode;
  /** "Dead" for a group the coordinator does not know. */
  state: GroupState | ConsumerGroupState;
  protocolType: string;
  /** The chosen protocol while Stable, else "". */
  protocolName: string;
  members: DescribedMember[];
}

export interface ListedGroup {
  groupId: string;
  protocolType: string;
  state: GroupState | ConsumerGroupState;
  /** "consumer" for a KIP-848 consumer-protocol group; absent for a classic group (ListGroups v5's type). */
  groupType?: "consumer";
}

export interface ListGroupsResult {
  errorCode: KafkaErrorCode;
  groups: ListedGroup[];
}

export interface DeleteGroupResult {
  groupId: string;
  errorCode: KafkaErrorCode;
}

export interface OffsetToCommit {
  topic: string;
  partition: number;
  offset: bigint;
  /** -1 when the client does not know it. */
  leaderEpoch: number;
  metadata: string | null;
}

export interface OffsetCommitRequest {
  groupId: string;
  /** -1 for a standalone (manually assigned) consumer. */
  generationId: number;
  /** "" for a standalone consumer. */
  memberId: string;
  /** From OffsetCommit v7; a static member whose instance id another member id holds now is fenced. */
  groupInstanceId?: string | null;
  offsets: OffsetToCommit[];
}

export interface OffsetCommitPartitionResult {
  topic: string;
  partition: number;
  errorCode: KafkaErrorCode;
}

export interface TopicPartitionsQuery {
  topic: string;
  partitions: number[];
}

export interface FetchedPartitionOffset {
  partition: number;
  offset: bigint;
  leaderEpoch: number;
  metadata: string;
  errorCode: KafkaErrorCode;
}

export interface FetchedTopicOffsets {
  topic: string;
  partitions: FetchedPartitionOffset[];
}

export interface OffsetFetchResult {
  errorCode: KafkaErrorCode;
  topics: FetchedTopicOffsets[];
}
