import { Apis } from "../../protocol/apis.ts";
import { answerByTopic, flatOffsets } from "../groups/offset-commit-topics.ts";
import { producerFencedFor } from "../transactions/producer-fenced.ts";
import { defineHandler } from "./handler.ts";

/** Offsets committed in a producer's transaction: they count once its COMMIT marker reaches the group's partition. */
export const txnOffsetCommitHandler = defineHandler(Apis.TxnOffsetCommit, async (request, { broker, apiVersion }) => {
  const results = await broker.groups.commitTransactionalOffsets({
    groupId: request.groupId,
    generationId: request.generationId,
    memberId: request.memberId,
    groupInstanceId: request.groupInstanceId,
    producerId: request.producerId,
    producerEpoch: request.producerEpoch,
    offsets: flatOffsets(request.topics),
  });
  return {
    throttleTimeMs: 0,
    topics: answerByTopic(request.topics, results, (errorCode) => producerFencedFor(errorCode, apiVersion, 2)),
  };
});
