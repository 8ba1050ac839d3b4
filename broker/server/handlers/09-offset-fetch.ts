import { Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { OffsetFetchResult } from "../groups/types.ts";
import { defineHandler } from "./handler.ts";

function responseTopics(topics: OffsetFetchResult["topics"]) {
  return topics.map((t) => ({
    name: t.topic,
    partitions: t.partitions.map((p) => ({
      partitionIndex: p.partition,
      committedOffset: p.offset,
      committedLeaderEpoch: p.leaderEpoch,
      metadata: p.metadata,
      errorCode: p.errorCode,
    })),
  }));
}

export const offsetFetchHandler = defineHandler(Apis.OffsetFetch, async (request, { broker, apiVersion }) => {
  // v8 asks for several groups at once; v9 names the member and its epoch (KIP-848 groups check them).
  if (apiVersion >= 8) {
    const groups = await Promise.all(
      (request.groups ?? []).map(async (group) => {
        const query =
          group.topics === null ? null : group.topics.map((t) => ({ topic: t.name, partitions: t.partitionIndexes }));
        const result = await broker.groups.fetchOffsets(
          group.groupId,
          query,
          { memberId: group.memberId, memberEpoch: group.memberEpoch },
          request.requireStable === true,
        );
        return { groupId: group.groupId, errorCode: result.errorCode, topics: responseTopics(result.topics) };
      }),
    );
    return { throttleTimeMs: 0, topics: [], groups };
  }
  const query =
    request.topics === null ? null : request.topics.map((t) => ({ topic: t.name, partitions: t.partitionIndexes }));
  // v7+ may require stable offsets (KIP-447): one pending in a transaction answers UNSTABLE_OFFSET_COMMIT.
  const result = await broker.groups.fetchOffsets(request.groupId, query, undefined, request.requireStable === true);
  // v1 has no top-level error code: a coordinator error is repeated on every partition.
  const partitionError = apiVersion < 2 && result.errorCode !== ErrorCode.NONE ? result.errorCode : null;
  const topics =
    partitionError === null
      ? result.topics
      : (query ?? []).map((q) => ({
          topic: q.topic,
          partitions: q.partitions.map((partition) => ({
            partition,
            offset: -1n,
            leaderEpoch: -1,
            metadata: "",
            errorCode: partitionError,
          })),
        }));
  return { throttleTimeMs: 0, errorCode: result.errorCode, topics: responseTopics(topics) };
});
