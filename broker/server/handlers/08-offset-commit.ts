import { Apis } from "../../protocol/apis.ts";
import { defineHandler } from "./handler.ts";

export const offsetCommitHandler = defineHandler(Apis.OffsetCommit, async (request, { broker }) => {
  const results = await broker.groups.commitOffsets({
    groupId: request.groupId,
    generationId: request.generationIdOrMemberEpoch,
    memberId: request.memberId,
    groupInstanceId: request.groupInstanceId,
    offsets: request.topics.flatMap((topic) =>
      topic.partitions.map((p) => ({
        topic: topic.name,
        partition: p.partitionIndex,
        offset: p.committedOffset,
        leaderEpoch: p.committedLeaderEpoch,
        metadata: p.committedMetadata,
      })),
    ),
  });
  // Results come back flat, in request order; the response mirrors the request's nesting.
  let next = 0;
  return {
    throttleTimeMs: 0,
    topics: request.topics.map((topic) => ({
      name: topic.name,
      partitions: topic.partitions.map((p) => ({
        partitionIndex: p.partitionIndex,
        errorCode: results[next++]!.errorCode,
      })),
    })),
  };
});
