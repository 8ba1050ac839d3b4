import { Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { ProduceResponsePartitionProduceResponse } from "../../protocol/messages/index.ts";
import { defineHandler } from "./handler.ts";

const validAcks = new Set([0, 1, -1]);

export const produceHandler = defineHandler(Apis.Produce, (request, { broker }) => {
  const refuseAll = validAcks.has(request.acks) ? null : ErrorCode.INVALID_REQUIRED_ACKS;
  const responses = request.topicData.map((topicData) => {
    // Auto-creation on produce, like on Metadata, when the broker allows it.
    const topic = refuseAll === null ? broker.topics.autoCreate(topicData.name) : null;
    const topicError = topic && "errorCode" in topic ? topic.errorCode : null;
    return {
      name: topicData.name,
      partitionResponses: topicData.partitionData.map((data): ProduceResponsePartitionProduceResponse => {
        const failed = (errorCode: number): ProduceResponsePartitionProduceResponse => ({
          index: data.index,
          errorCode,
          baseOffset: -1n,
          logAppendTimeMs: -1n,
          logStartOffset: -1n,
        });
        if (refuseAll !== null) return failed(refuseAll);
        if (topicError !== null) return failed(topicError);
        const partition = broker.topics.partition(topicData.name, data.index);
        if (!partition) return failed(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        const outcome = partition.append(data.records);
        if (outcome.errorCode !== ErrorCode.NONE) {
          broker.log.debug("produce refused", {
            topic: topicData.name,
            partition: data.index,
            error: outcome.errorMessage,
          });
          return failed(outcome.errorCode);
        }
        // A single node is the whole ISR: once appended, acks=-1 is satisfied too.
        return {
          index: data.index,
          errorCode: ErrorCode.NONE,
          baseOffset: outcome.baseOffset,
          logAppendTimeMs: outcome.logAppendTime,
          logStartOffset: partition.logStartOffset,
        };
      }),
    };
  });
  if (request.acks === 0) return null;
  return { responses, throttleTimeMs: 0 };
});
