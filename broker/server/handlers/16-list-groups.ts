import { Apis } from "../../protocol/apis.ts";
import { defineHandler } from "./handler.ts";

export const listGroupsHandler = defineHandler(Apis.ListGroups, async (_request, { broker }) => {
  const result = await broker.groups.list();
  return {
    throttleTimeMs: 0,
    errorCode: result.errorCode,
    groups: result.groups.map((g) => ({ groupId: g.groupId, protocolType: g.protocolType })),
  };
});
