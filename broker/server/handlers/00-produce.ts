import { Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type {
  ProduceRequest,
  ProduceResponse,
  ProduceResponsePartitionProduceResponse,
} from "../../protocol/messages/index.ts";
import { type AwaitedAck, awaitAcks } from "../replication/delayed-produce.ts";
import { defineHandler, type HandlerResult, type RequestContext } from "./handler.ts";

const validAcks = new Set([0, 1, -1]);

export const produceHandler = defineHandler(Apis.Produce, (request, context) => {
  const { broker } = context;
  // A topic the send creates is created before the records are appended, not answered "not yet".
  // The common case, every topic known, allocates nothing on the way to the append.
  if (!validAcks.has(request.acks) || request.topicData.every((t) => broker.cluster.topic(t.name)))
    return produce(request, context);
  const missing = request.topicData.map((t) => t.name).filter((name) => !broker.cluster.topic(name));
  return broker.topics.awaitCreation(missing).then(() => produce(request, context));
});

function produce(request: ProduceRequest, { broker }: RequestContext): HandlerResult<ProduceResponse> {
  const refuseAll = validAcks.has(request.acks) ? null : ErrorCode.INVALID_REQUIRED_ACKS;
  const awaited: AwaitedAck[] = [];
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
        const replication = partition.replication;
        const endBefore = partition.log.logEndOffset;
        const outcome = replication.appendAsLeader(data.records, request.acks);
        if (outcome.errorCode !== ErrorCode.NONE) {
          broker.metrics?.produceRefused(topicData.name);
          broker.log.debug("produce refused", {
            topic: topicData.name,
            partition: data.index,
            error: outcome.errorMessage,
          });
          return failed(outcome.errorCode);
        }
        // Offsets are consecutive, so the log end's move is the count of records appended (retries of a
        // batch already appended count none), with no record decoded.
        broker.metrics?.produced(
          topicData.name,
          data.records?.length ?? 0,
          Number(partition.log.logEndOffset - endBefore),
        );
        // acks=-1 waits below until the whole ISR has the records (on a lone broker, the leader
        // alone: at once); the answer is then amended.
        const answer: ProduceResponsePartitionProduceResponse = {
          index: data.index,
          errorCode: ErrorCode.NONE,
          baseOffset: outcome.baseOffset,
          logAppendTimeMs: outcome.logAppendTime,
          logStartOffset: partition.logStartOffset,
        };
        if (request.acks === -1) {
          awaited.push({
            state: replication,
            requiredOffset: outcome.requiredOffset,
            answer: (errorCode) => {
              answer.errorCode = errorCode;
            },
          });
        }
        return answer;
      }),
    };
  });
  if (request.acks === 0) return null;
  const response = { responses, throttleTimeMs: 0 };
  if (awaited.length === 0) return response;
  return awaitAcks(awaited, request.timeoutMs, awaited[0]!.state.timers).then(() => response);
}
