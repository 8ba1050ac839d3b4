// DeleteRecords (21): each partition's leader moves its log start offset up to the asked offset
// (-1: the high watermark), deleting the segments wholly below it; reads below it are then out of
// range and ListOffsets EARLIEST / Fetch's log_start_offset report it. Clients send each partition
// to its leader; another broker answers NOT_LEADER_OR_FOLLOWER, an unknown partition
// UNKNOWN_TOPIC_OR_PARTITION, as Kafka does. The answer is the leader's new log start offset: it
// does not wait for the followers, which move theirs from their next fetch answer.
import { Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import { defineHandler } from "./handler.ts";

export const deleteRecordsHandler = defineHandler(Apis.DeleteRecords, (request, { broker }) => ({
  throttleTimeMs: 0,
  topics: request.topics.map((topic) => ({
    name: topic.name,
    partitions: topic.partitions.map((wanted) => {
      const answer = (errorCode: number, lowWatermark = -1n) => ({
        partitionIndex: wanted.partitionIndex,
        lowWatermark,
        errorCode,
      });
      const partition = broker.topics.partition(topic.name, wanted.partitionIndex);
      if (!partition) {
        const known = broker.cluster.topic(topic.name)?.partitions.some((p) => p.partition === wanted.partitionIndex);
        return answer(known ? ErrorCode.NOT_LEADER_OR_FOLLOWER : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      }
      const outcome = partition.replication.deleteRecordsOnLeader(wanted.offset);
      return answer(outcome.errorCode, outcome.lowWatermark);
    }),
  })),
}));
