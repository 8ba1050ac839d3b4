import { Apis } from "../../protocol/apis.ts";
import { defineHandler } from "./handler.ts";

export const syncGroupHandler = defineHandler(Apis.SyncGroup, async (request, { broker }) => {
  const result = await broker.groups.sync({
    groupId: request.groupId,
    generationId: request.generationId,
    memberId: request.memberId,
    groupInstanceId: request.groupInstanceId,
    assignments: request.assignments,
  });
  return { throttleTimeMs: 0, errorCode: result.errorCode, assignment: result.assignment };
});
