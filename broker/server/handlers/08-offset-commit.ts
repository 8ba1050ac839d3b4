import { Apis } from "../../protocol/apis.ts";
import { answerByTopic, flatOffsets } from "../groups/offset-commit-topics.ts";
import { defineHandler } from "./handler.ts";

export const offsetCommitHandler = defineHandler(Apis.OffsetCommit, async (request, { broker }) => {
  const results = await broker.groups.commitOffsets({
    groupId: request.groupId,
    generationId: request.generationIdOrMemberEpoch,
    memberId: request.memberId,
    groupInstanceId: request.groupInstanceId,
    offsets: flatOffsets(request.topics),
  });
  return { throttleTimeMs: 0, topics: answerByTopic(request.topics, results) };
});
