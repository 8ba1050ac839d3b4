import { Apis } from "../../protocol/apis.ts";
import { defineHandler } from "./handler.ts";

export const consumerGroupDescribeHandler = defineHandler(Apis.ConsumerGroupDescribe, async (request, { broker }) => {
  const groups = await broker.groups.consumerGroupDescribe(request.groupIds);
  return {
    throttleTimeMs: 0,
    groups: groups.map((group) => ({
      errorCode: group.errorCode,
      errorMessage: group.errorMessage,
      groupId: group.groupId,
      groupState: group.groupState,
      groupEpoch: group.groupEpoch,
      assignmentEpoch: group.assignmentEpoch,
      assignorName: group.assignorName,
      members: group.members.map((member) => ({
        ...member,
        assignment: { topicPartitions: member.assignment },
        targetAssignment: { topicPartitions: member.targetAssignment },
      })),
      authorizedOperations: -2147483648,
    })),
  };
});
