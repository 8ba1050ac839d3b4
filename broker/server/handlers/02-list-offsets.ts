import { Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import { defineHandler } from "./handler.ts";

const latest = -1n;
const earliest = -2n;
/** Kafka's DEBUGGING_REPLICA_ID: the only asker a partition answers without leading it. */
const debuggingReplicaId = -2;

export const listOffsetsHandler = defineHandler(Apis.ListOffsets, (request, { broker }) => ({
  throttleTimeMs: 0,
  topics: request.topics.map((topic) => ({
    name: topic.name,
    partitions: topic.partitions.map((wanted) => {
      const partition = broker.topics.partition(topic.name, wanted.partitionIndex);
      const refused = (errorCode: number) => ({
        partitionIndex: wanted.partitionIndex,
        errorCode,
        timestamp: -1n,
        offset: -1n,
      });
      if (!partition) return refused(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      // A partition answers only as its leader; a follower replica asking gets the log end.
      // v4+ fences a client whose idea of the leader epoch is out of date.
      const offsets = partition.replication.offsetSnapshot(
        wanted.currentLeaderEpoch ?? -1,
        request.replicaId !== debuggingReplicaId,
      );
      if (offsets.errorCode !== ErrorCode.NONE) return refused(offsets.errorCode);
      const found = (offset: bigint, timestamp = -1n) => ({
        partitionIndex: wanted.partitionIndex,
        errorCode: ErrorCode.NONE,
        timestamp,
        offset,
      });
      // Without transactions the last stable offset equals the high watermark for both isolation levels.
      if (wanted.timestamp === latest)
        return found(request.replicaId >= 0 ? offsets.logEndOffset : offsets.highWatermark);
      if (wanted.timestamp === earliest) return found(offsets.logStartOffset);
      const byTime = partition.offsetForTimestamp(wanted.timestamp);
      return byTime ? found(byTime.offset, byTime.timestamp) : found(-1n);
    }),
  })),
}));
