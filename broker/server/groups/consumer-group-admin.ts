// Administration of consumer-protocol (KIP-848) groups: ConsumerGroupDescribe's answer (the group
// and member epochs, each member's assignment and target assignment), how such a group shows in
// the classic DescribeGroups and ListGroups (protocol type "consumer", the consumer-group state
// names), and DeleteGroups of an empty one with its committed offsets.
//
// Ownership: each group's state is owned by that group's serial queue (coordinator.ts).
// `describe`, `delete` and `shutDown` run inside the queue of the group they name; `list` runs
// outside any queue and only reads, which is safe because queue tasks never yield mid-change.

import { ErrorCode } from "../../protocol/errors.ts";
import {
  type ConsumerGroup,
  type ConsumerGroupMember,
  type ConsumerGroupState,
  partitionsToWire,
  type TopicPartitionSet,
  topicIdKey,
} from "./consumer-group.ts";
import type { ConsumerGroupTimers } from "./consumer-group-timers.ts";
import { EMPTY_BYTES } from "./group.ts";
import type { GroupMetadataManager } from "./group-metadata-manager.ts";
import type { DescribedGroup, KafkaErrorCode, ListedGroup } from "./types.ts";

export const CONSUMER_PROTOCOL_TYPE = "consumer";

export interface DescribedTopicPartitions {
  topicId: Buffer;
  topicName: string;
  partitions: number[];
}

export interface DescribedConsumerGroupMember {
  memberId: string;
  instanceId: string | null;
  rackId: string | null;
  memberEpoch: number;
  clientId: string;
  clientHost: string;
  subscribedTopicNames: string[];
  subscribedTopicRegex: string | null;
  assignment: DescribedTopicPartitions[];
  targetAssignment: DescribedTopicPartitions[];
}

export interface DescribedConsumerGroup {
  groupId: string;
  errorCode: KafkaErrorCode;
  errorMessage: string | null;
  groupState: ConsumerGroupState;
  groupEpoch: number;
  assignmentEpoch: number;
  assignorName: string;
  members: DescribedConsumerGroupMember[];
}

export function describedUnknownConsumerGroup(
  groupId: string,
  errorCode: KafkaErrorCode,
  errorMessage: string | null = null,
): DescribedConsumerGroup {
  return {
    groupId,
    errorCode,
    errorMessage,
    groupState: "Dead",
    groupEpoch: -1,
    assignmentEpoch: -1,
    assignorName: "",
    members: [],
  };
}

/** Topic names by id (hex), so assignments can name their topics. */
export type TopicNames = (topicId: string) => string | undefined;

function describedPartitions(set: TopicPartitionSet, names: TopicNames): DescribedTopicPartitions[] {
  return partitionsToWire(set).map((topic) => ({
    topicId: topic.topicId,
    topicName: names(topicIdKey(topic.topicId)) ?? "",
    partitions: topic.partitions,
  }));
}

function describedMember(
  group: ConsumerGroup,
  member: ConsumerGroupMember,
  names: TopicNames,
): DescribedConsumerGroupMember {
  return {
    memberId: member.memberId,
    instanceId: member.instanceId,
    rackId: member.rackId,
    memberEpoch: member.memberEpoch,
    clientId: member.clientId,
    clientHost: member.clientHost,
    subscribedTopicNames: member.subscribedTopicNames,
    subscribedTopicRegex: member.subscribedTopicRegex,
    assignment: describedPartitions(member.assignedPartitions, names),
    targetAssignment: describedPartitions(group.targetAssignment.get(member.memberId) ?? new Map(), names),
  };
}

export function describeConsumerGroup(group: ConsumerGroup, names: TopicNames): DescribedConsumerGroup {
  return {
    groupId: group.groupId,
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    groupState: group.state,
    groupEpoch: group.groupEpoch,
    assignmentEpoch: group.assignmentEpoch,
    assignorName: group.assignorName,
    members: [...group.members.values()].map((member) => describedMember(group, member, names)),
  };
}

/** DescribeGroups of a consumer group: its members without classic metadata or assignment bytes. */
export function describeAsClassicGroup(group: ConsumerGroup): DescribedGroup {
  return {
    groupId: group.groupId,
    errorCode: ErrorCode.NONE,
    state: group.state,
    protocolType: CONSUMER_PROTOCOL_TYPE,
    protocolName: group.assignorName,
    members: [...group.members.values()].map((member) => ({
      memberId: member.memberId,
      groupInstanceId: member.instanceId,
      clientId: member.clientId,
      clientHost: member.clientHost,
      metadata: EMPTY_BYTES,
      assignment: EMPTY_BYTES,
    })),
  };
}

export function listedConsumerGroup(group: ConsumerGroup): ListedGroup {
  return { groupId: group.groupId, protocolType: CONSUMER_PROTOCOL_TYPE, state: group.state, groupType: "consumer" };
}

export class ConsumerGroupAdmin {
  constructor(
    private readonly metadata: GroupMetadataManager,
    private readonly timers: ConsumerGroupTimers,
  ) {}

  /** ConsumerGroupDescribe: a group that is not a consumer-protocol group answers GROUP_ID_NOT_FOUND, as Kafka does. */
  describe(groupId: string, names: TopicNames): DescribedConsumerGroup {
    const group = this.metadata.consumerGroup(groupId);
    if (group === undefined) {
      return describedUnknownConsumerGroup(
        groupId,
        ErrorCode.GROUP_ID_NOT_FOUND,
        `Group ${groupId} is not a consumer group.`,
      );
    }
    return describeConsumerGroup(group, names);
  }

  /** `statesFilter` as in ListGroups v4: empty or absent lists every group; names match case-insensitively. */
  list(statesFilter?: readonly string[]): ListedGroup[] {
    return [...this.metadata.allConsumerGroups()]
      .map(listedConsumerGroup)
      .filter(
        (group) =>
          statesFilter === undefined ||
          statesFilter.length === 0 ||
          statesFilter.some((state) => state.toLowerCase() === group.state.toLowerCase()),
      );
  }

  /** An empty group goes with its committed offsets (tombstones in `__consumer_offsets`); one with members stays. */
  async delete(group: ConsumerGroup): Promise<KafkaErrorCode> {
    if (group.members.size > 0) return ErrorCode.NON_EMPTY_GROUP;
    try {
      await this.metadata.deleteOffsets(group.groupId);
    } catch {
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
    this.metadata.removeConsumerGroup(group.groupId);
    return ErrorCode.NONE;
  }

  /** The coordinator lets go of the group: its timers stop (its members will meet UNKNOWN_MEMBER_ID elsewhere). */
  shutDown(groupId: string): void {
    const group = this.metadata.consumerGroup(groupId);
    if (group !== undefined) this.timers.stopAll(group);
  }
}
