// OffsetForLeaderEpoch: for each partition, the end offset of the largest leader epoch at most the
// one asked, from the leader's leader-epoch cache — where a follower (or a consumer checking for
// truncation) cuts its log so that it never diverges from the leader. Only the leader answers.
import { Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { OffsetForLeaderEpochResponseEpochEndOffset } from "../../protocol/messages/index.ts";
import { defineHandler } from "./handler.ts";

export const offsetForLeaderEpochHandler = defineHandler(Apis.OffsetForLeaderEpoch, (request, { broker }) => ({
  throttleTimeMs: 0,
  topics: request.topics.map((topic) => ({
    topic: topic.topic,
    partitions: topic.partitions.map((wanted): OffsetForLeaderEpochResponseEpochEndOffset => {
      const partition = broker.topics.partition(topic.topic, wanted.partition);
      const answer = partition
        ? partition.replication.lastOffsetForLeaderEpoch(wanted.currentLeaderEpoch, wanted.leaderEpoch, true)
        : { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, leaderEpoch: -1, endOffset: -1n };
      return { partition: wanted.partition, ...answer };
    }),
  })),
}));
