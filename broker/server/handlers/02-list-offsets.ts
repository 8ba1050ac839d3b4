import { Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import { defineHandler } from "./handler.ts";

const latest = -1n;
const earliest = -2n;

export const listOffsetsHandler = defineHandler(Apis.ListOffsets, (request, { broker }) => ({
  throttleTimeMs: 0,
  topics: request.topics.map((topic) => ({
    name: topic.name,
    partitions: topic.partitions.map((wanted) => {
      const partition = broker.topics.partition(topic.name, wanted.partitionIndex);
      if (!partition)
        return {
          partitionIndex: wanted.partitionIndex,
          errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          timestamp: -1n,
          offset: -1n,
        };
      const found = (offset: bigint, timestamp = -1n) => ({
        partitionIndex: wanted.partitionIndex,
        errorCode: ErrorCode.NONE,
        timestamp,
        offset,
      });
      // Without transactions the last stable offset equals the high watermark for both isolation levels.
      if (wanted.timestamp === latest) return found(partition.highWatermark);
      if (wanted.timestamp === earliest) return found(partition.logStartOffset);
      const byTime = partition.offsetForTimestamp(wanted.timestamp);
      return byTime ? found(byTime.offset, byTime.timestamp) : found(-1n);
    }),
  })),
}));
