// Consumer group administration. Each group's requests go to its coordinator (FindCoordinator);
// ListGroups asks every broker, since each knows only the groups it coordinates.
import { Apis } from "../../protocol/apis.ts";
import { ErrorCode, isRetriableError } from "../../protocol/errors.ts";
import type { DescribeGroupsResponseDescribedGroup } from "../../protocol/messages/index.ts";
import { KafkaJSDeleteGroupsError, KafkaJSNonRetriableError, KafkaJSProtocolError } from "../errors.ts";
import type { BrokerConnection } from "../network/broker-connection.ts";
import type { ConsumerGroupState, GroupDescription } from "../types.ts";
import { type AdminContext, attempt, nodeConnection } from "./context.ts";
import type { DeleteGroupsResult, GroupDescriptions, GroupOverview } from "./types.ts";

export async function listGroups(ctx: AdminContext): Promise<{ groups: GroupOverview[] }> {
  return attempt(ctx, async () => {
    await ctx.cluster.refreshMetadata();
    const perBroker = await Promise.all(
      ctx.cluster.brokers.map(async ({ nodeId }) => {
        const connection = await nodeConnection(ctx, nodeId);
        const response = await connection.request(Apis.ListGroups, {});
        if (response.errorCode !== ErrorCode.NONE) throw new KafkaJSProtocolError(response.errorCode);
        return response.groups.map(({ groupId, protocolType }) => ({ groupId, protocolType }));
      }),
    );
    return { groups: perBroker.flat() };
  });
}

/** Groups keyed by their coordinator's connection, in the order first seen. */
async function byCoordinator(ctx: AdminContext, groupIds: string[]): Promise<Map<BrokerConnection, string[]>> {
  const coordinators = await Promise.all(groupIds.map((groupId) => ctx.cluster.findGroupCoordinator(groupId)));
  const grouped = new Map<BrokerConnection, string[]>();
  coordinators.forEach((coordinator, index) => {
    const ids = grouped.get(coordinator) ?? [];
    ids.push(groupIds[index]!);
    grouped.set(coordinator, ids);
  });
  return grouped;
}

/** A DescribeGroups answer for one group, as kafkajs's admin and consumer describe it. */
export function toGroupDescription(group: DescribeGroupsResponseDescribedGroup): GroupDescription {
  return {
    errorCode: group.errorCode,
    groupId: group.groupId,
    state: group.groupState as ConsumerGroupState,
    protocolType: group.protocolType,
    protocol: group.protocolData,
    members: group.members.map(({ memberId, clientId, clientHost, memberMetadata, memberAssignment }) => ({
      memberId,
      clientId,
      clientHost,
      memberMetadata,
      memberAssignment,
    })),
  };
}

/** DescribeGroups on one coordinator; a group's error code is thrown, as kafkajs reads the response. */
export async function describeGroupsAt(coordinator: BrokerConnection, groupIds: string[]): Promise<GroupDescription[]> {
  const response = await coordinator.request(Apis.DescribeGroups, {
    groups: groupIds,
    includeAuthorizedOperations: false,
  });
  const failed = response.groups.find((g) => g.errorCode !== ErrorCode.NONE);
  if (failed) throw new KafkaJSProtocolError(failed.errorCode);
  return response.groups.map(toGroupDescription);
}

export async function describeGroups(ctx: AdminContext, groupIds: string[]): Promise<GroupDescriptions> {
  if (!Array.isArray(groupIds)) throw new KafkaJSNonRetriableError(`Invalid groupIds array ${groupIds}`);
  return attempt(ctx, async () => {
    const grouped = await byCoordinator(ctx, groupIds);
    const described = await Promise.all([...grouped].map(([coordinator, ids]) => describeGroupsAt(coordinator, ids)));
    return { groups: described.flat() };
  });
}

/**
 * Deletes groups (only empty ones can go). Groups whose coordinator was briefly unavailable are
 * retried alone; any other failure rejects with KafkaJSDeleteGroupsError listing the failed groups.
 */
export async function deleteGroups(ctx: AdminContext, groupIds: string[]): Promise<DeleteGroupsResult[]> {
  if (!Array.isArray(groupIds)) throw new KafkaJSNonRetriableError(`Invalid groupIds array ${groupIds}`);
  const invalid = groupIds.find((g) => typeof g !== "string");
  if (invalid !== undefined) throw new KafkaJSNonRetriableError(`Invalid groupId name: ${JSON.stringify(invalid)}`);

  const deleted: DeleteGroupsResult[] = [];
  let remaining = [...groupIds];
  return attempt(ctx, async () => {
    if (remaining.length === 0) return deleted;
    const grouped = await byCoordinator(ctx, remaining);
    const answers = await Promise.all(
      [...grouped].map(
        async ([coordinator, ids]) => (await coordinator.request(Apis.DeleteGroups, { groupsNames: ids })).results,
      ),
    );
    const failed: { groupId: string; errorCode: number; error: KafkaJSProtocolError }[] = [];
    for (const { groupId, errorCode } of answers.flat()) {
      if (errorCode === ErrorCode.NONE) deleted.push({ groupId, errorCode });
      else failed.push({ groupId, errorCode, error: new KafkaJSProtocolError(errorCode) });
    }
    if (failed.length === 0) return deleted;
    remaining = failed.map((f) => f.groupId);
    if (failed.every((f) => isRetriableError(f.errorCode))) {
      // Retried as the first failure; the retrier reports it if retries run out.
      ctx.logger.warn("Could not delete groups", { groups: remaining });
      throw failed[0]!.error;
    }
    throw new KafkaJSDeleteGroupsError("Error in DeleteGroups", failed);
  });
}

/** The group's state as its coordinator reports it ("Dead" for a group it does not know). */
export async function groupState(coordinator: BrokerConnection, groupId: string): Promise<ConsumerGroupState> {
  const [group] = await describeGroupsAt(coordinator, [groupId]);
  return group?.state ?? "Dead";
}
