import { Apis } from "../../protocol/apis.ts";
import { defineHandler } from "./handler.ts";

export const describeGroupsHandler = defineHandler(Apis.DescribeGroups, async (request, { broker }) => {
  const groups = await broker.groups.describe(request.groups);
  return {
    throttleTimeMs: 0,
    groups: groups.map((g) => ({
      errorCode: g.errorCode,
      groupId: g.groupId,
      groupState: g.state,
      protocolType: g.protocolType,
      protocolData: g.protocolName,
      members: g.members.map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberMetadata: m.metadata,
        memberAssignment: m.assignment,
      })),
      authorizedOperations: -2147483648,
    })),
  };
});
