import { Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import { defineHandler } from "./handler.ts";

export const leaveGroupHandler = defineHandler(Apis.LeaveGroup, async (request, { broker, apiVersion }) => {
  // v1–2 name one member; v3+ a batch of members with per-member results, v5 with each one's reason (KIP-800).
  const batched = apiVersion >= 3;
  const members = batched
    ? request.members.map(({ memberId, groupInstanceId, reason }) => ({ memberId, groupInstanceId, reason }))
    : [{ memberId: request.memberId, groupInstanceId: null }];
  const result = await broker.groups.leave({ groupId: request.groupId, members });
  if (batched) {
    return {
      throttleTimeMs: 0,
      errorCode: result.errorCode,
      members: result.members.map(({ memberId, groupInstanceId, errorCode }) => ({
        memberId,
        groupInstanceId,
        errorCode,
      })),
    };
  }
  const errorCode =
    result.errorCode !== ErrorCode.NONE ? result.errorCode : (result.members[0]?.errorCode ?? ErrorCode.NONE);
  return { throttleTimeMs: 0, errorCode };
});
