import { Apis } from "../../protocol/apis.ts";
import { defineHandler } from "./handler.ts";

export const joinGroupHandler = defineHandler(
  Apis.JoinGroup,
  async (request, { broker, apiVersion, clientId, clientHost }) => {
    const result = await broker.groups.join({
      groupId: request.groupId,
      memberId: request.memberId,
      groupInstanceId: request.groupInstanceId,
      clientId,
      clientHost,
      sessionTimeoutMs: request.sessionTimeoutMs,
      rebalanceTimeoutMs: request.rebalanceTimeoutMs,
      protocolType: request.protocolType,
      protocols: request.protocols,
      // From v4 a first join is answered MEMBER_ID_REQUIRED with the id to rejoin with.
      requireKnownMemberId: apiVersion >= 4,
    });
    return {
      throttleTimeMs: 0,
      errorCode: result.errorCode,
      generationId: result.generationId,
      protocolName: result.protocolName ?? "",
      leader: result.leaderId,
      memberId: result.memberId,
      members: result.members.map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        metadata: m.metadata,
      })),
    };
  },
);
