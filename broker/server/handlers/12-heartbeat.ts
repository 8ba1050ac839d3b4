import { Apis } from "../../protocol/apis.ts";
import { defineHandler } from "./handler.ts";

export const heartbeatHandler = defineHandler(Apis.Heartbeat, async (request, { broker }) => {
  const { errorCode } = await broker.groups.heartbeat({
    groupId: request.groupId,
    generationId: request.generationId,
    memberId: request.memberId,
    groupInstanceId: request.groupInstanceId,
  });
  return { throttleTimeMs: 0, errorCode };
});
