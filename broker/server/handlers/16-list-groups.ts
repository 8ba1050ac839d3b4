import { Apis } from "../../protocol/apis.ts";
import { defineHandler } from "./handler.ts";

export const listGroupsHandler = defineHandler(Apis.ListGroups, async (request, { broker }) => {
  // v4 filters by state, v5 by type too; empty or absent filters list every group.
  const result = await broker.groups.list(request.statesFilter, request.typesFilter);
  return {
    throttleTimeMs: 0,
    errorCode: result.errorCode,
    groups: result.groups.map((g) => ({
      groupId: g.groupId,
      protocolType: g.protocolType,
      groupState: g.state,
      groupType: g.groupType ?? "classic",
    })),
  };
});
