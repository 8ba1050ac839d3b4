// OffsetForLeaderEpoch: for each partition, the end offset of the largest leader epoch at most the
// one asked, from the leader's leader-epoch cache — where a follower (or a consumer checking for
// truncation) cuts its log so that it never diverges from the leader. Only the leader answers.
import { Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { OffsetForLeaderEpochResponseEpochEndOffset } from "../../protocol/messages/index.ts";
import type { Partition } from "../partition.ts";
import type { EpochEndOffset } from "../replication/partition-state.ts";
import { defineHandler } from "./handler.ts";

/** A single node's partition leads itself at the epoch its log stamps. */
function singleNodeEndOffset(partition: Partition, currentLeaderEpoch: number, leaderEpoch: number): EpochEndOffset {
  const log = partition.log;
  const unknown = { leaderEpoch: -1, endOffset: -1n };
  if (currentLeaderEpoch >= 0 && currentLeaderEpoch !== log.leaderEpoch) {
    const errorCode =
      currentLeaderEpoch < log.leaderEpoch ? ErrorCode.FENCED_LEADER_EPOCH : ErrorCode.UNKNOWN_LEADER_EPOCH;
    return { errorCode, ...unknown };
  }
  const found = log.endOffsetForEpoch(leaderEpoch);
  if (found.endOffset < 0n) return { errorCode: ErrorCode.NONE, ...unknown };
  return { errorCode: ErrorCode.NONE, leaderEpoch: found.epoch, endOffset: found.endOffset };
}

export const offsetForLeaderEpochHandler = defineHandler(Apis.OffsetForLeaderEpoch, (request, { broker }) => ({
  throttleTimeMs: 0,
  topics: request.topics.map((topic) => ({
    topic: topic.topic,
    partitions: topic.partitions.map((wanted): OffsetForLeaderEpochResponseEpochEndOffset => {
      const partition = broker.topics.partition(topic.topic, wanted.partition);
      const answer = partition
        ? (partition.replication?.lastOffsetForLeaderEpoch(wanted.currentLeaderEpoch, wanted.leaderEpoch, true) ??
          singleNodeEndOffset(partition, wanted.currentLeaderEpoch, wanted.leaderEpoch))
        : { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, leaderEpoch: -1, endOffset: -1n };
      return { partition: wanted.partition, ...answer };
    }),
  })),
}));
