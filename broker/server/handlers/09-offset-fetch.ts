import { Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import { defineHandler } from "./handler.ts";

export const offsetFetchHandler = defineHandler(Apis.OffsetFetch, async (request, { broker, apiVersion }) => {
  const query =
    request.topics === null ? null : request.topics.map((t) => ({ topic: t.name, partitions: t.partitionIndexes }));
  const result = await broker.groups.fetchOffsets(request.groupId, query);
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
  return {
    throttleTimeMs: 0,
    errorCode: result.errorCode,
    topics: topics.map((t) => ({
      name: t.topic,
      partitions: t.partitions.map((p) => ({
        partitionIndex: p.partition,
        committedOffset: p.offset,
        committedLeaderEpoch: p.leaderEpoch,
        metadata: p.metadata,
        errorCode: p.errorCode,
      })),
    })),
  };
});
