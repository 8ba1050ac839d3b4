// What the admin listener answers about the groups this broker coordinates (admin-types.ts has the
// shape): classic and KIP-848 groups, their members with the partitions each owns, and the group's
// committed offsets. Read through the coordinator's own admin calls (DescribeGroups,
// ConsumerGroupDescribe, OffsetFetch), which run in each group's queue, so a view never sees a
// group halfway through a change. A classic member's assignment is the ConsumerProtocol bytes its
// leader sent, decoded per topic here; Kafka shows assignments only of a Stable group, and so does
// this. No state of its own.
import { MemberAssignment } from "../../client/consumer/assigner-protocol.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { DescribedConsumerGroup } from "../groups/consumer-group-admin.ts";
import type { GroupCoordinator } from "../groups/coordinator.ts";
import type { DescribedGroup } from "../groups/types.ts";
import type { CoordinatedGroup } from "./admin-types.ts";

/** Every group of the `__consumer_offsets` partitions this broker leads and has loaded, by group id. */
export async function coordinatedGroups(groups: GroupCoordinator): Promise<CoordinatedGroup[]> {
  const listed = (await groups.list()).groups;
  const consumerIds = listed.filter((group) => group.groupType === "consumer").map((group) => group.groupId);
  const classicIds = listed.filter((group) => group.groupType !== "consumer").map((group) => group.groupId);
  const [classic, consumer] = await Promise.all([
    groups.describe(classicIds),
    groups.consumerGroupDescribe(consumerIds),
  ]);
  const views = [
    ...classic.filter((group) => group.errorCode === ErrorCode.NONE).map((group) => classicView(groups, group)),
    ...consumer.filter((group) => group.errorCode === ErrorCode.NONE).map(consumerView),
  ];
  await Promise.all(views.map(async (view) => (view.offsets = await committedOffsets(groups, view.groupId))));
  return views.sort((a, b) => a.groupId.localeCompare(b.groupId));
}

function classicView(groups: GroupCoordinator, group: DescribedGroup): CoordinatedGroup {
  return {
    groupId: group.groupId,
    protocol: "classic",
    state: group.state,
    generation: groups.classicGeneration(group.groupId) ?? -1,
    assignor: group.protocolName,
    members: group.members.map((member) => ({
      memberId: member.memberId,
      clientId: member.clientId,
      clientHost: member.clientHost,
      instanceId: member.groupInstanceId,
      assignment: group.protocolType === "consumer" ? consumerAssignment(member.assignment) : {},
    })),
    offsets: {},
  };
}

function consumerView(group: DescribedConsumerGroup): CoordinatedGroup {
  return {
    groupId: group.groupId,
    protocol: "consumer",
    state: group.groupState,
    generation: group.groupEpoch,
    assignor: group.assignorName,
    members: group.members.map((member) => ({
      memberId: member.memberId,
      clientId: member.clientId,
      clientHost: member.clientHost,
      instanceId: member.instanceId,
      memberEpoch: member.memberEpoch,
      assignment: Object.fromEntries(
        member.assignment.map((topic) => [topic.topicName, [...topic.partitions].sort((a, b) => a - b)]),
      ),
    })),
    offsets: {},
  };
}

/** Partitions per topic of a classic consumer's assignment; none for bytes that are not one. */
export function consumerAssignment(bytes: Buffer): Record<string, number[]> {
  try {
    const decoded = MemberAssignment.decode(bytes);
    if (decoded === null) return {};
    return Object.fromEntries(
      Object.entries(decoded.assignment).map(([topic, partitions]) => [topic, [...partitions].sort((a, b) => a - b)]),
    );
  } catch {
    return {};
  }
}

async function committedOffsets(
  groups: GroupCoordinator,
  groupId: string,
): Promise<Record<string, Record<string, string>>> {
  const fetched = await groups.fetchOffsets(groupId, null);
  const offsets: Record<string, Record<string, string>> = {};
  for (const topic of fetched.topics) {
    for (const partition of topic.partitions) {
      if (partition.errorCode !== ErrorCode.NONE || partition.offset < 0n) continue;
      offsets[topic.topic] ??= {};
      offsets[topic.topic]![String(partition.partition)] = String(partition.offset);
    }
  }
  return offsets;
}
