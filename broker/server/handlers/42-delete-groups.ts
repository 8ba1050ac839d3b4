import { Apis } from "../../protocol/apis.ts";
import { defineHandler } from "./handler.ts";

export const deleteGroupsHandler = defineHandler(Apis.DeleteGroups, async (request, { broker }) => ({
  throttleTimeMs: 0,
  results: await broker.groups.delete(request.groupsNames),
}));
