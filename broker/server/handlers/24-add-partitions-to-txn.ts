import { Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import { producerFencedFor } from "../transactions/producer-fenced.ts";
import { defineHandler } from "./handler.ts";

export const addPartitionsToTxnHandler = defineHandler(
  Apis.AddPartitionsToTxn,
  async (request, { broker, apiVersion }) => {
    const topics = request.v3AndBelowTopics;
    const answer = (errorFor: (topic: string, partition: number) => number) => ({
      throttleTimeMs: 0,
      resultsByTopicV3AndBelow: topics.map((topic) => ({
        name: topic.name,
        resultsByPartition: topic.partitions.map((partitionIndex) => ({
          partitionIndex,
          partitionErrorCode: errorFor(topic.name, partitionIndex),
        })),
      })),
    });
    // A partition that does not exist fails the request: it gets UNKNOWN_TOPIC_OR_PARTITION, the others
    // OPERATION_NOT_ATTEMPTED, as Kafka answers.
    const unknown = (topic: string, partition: number) =>
      broker.cluster.topic(topic)?.partitions[partition] === undefined;
    if (topics.some((topic) => topic.partitions.some((partition) => unknown(topic.name, partition))))
      return answer((topic, partition) =>
        unknown(topic, partition) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.OPERATION_NOT_ATTEMPTED,
      );
    const partitions = new Map<string, Set<number>>();
    for (const topic of topics) {
      const ids = partitions.get(topic.name) ?? new Set<number>();
      for (const partition of topic.partitions) ids.add(partition);
      partitions.set(topic.name, ids);
    }
    const errorCode = await broker.transactions.addPartitions(
      request.v3AndBelowTransactionalId,
      request.v3AndBelowProducerId,
      request.v3AndBelowProducerEpoch,
      partitions,
    );
    const answered = producerFencedFor(errorCode, apiVersion, 2);
    return answer(() => answered);
  },
);
