// ListOffsets: the log start (EARLIEST), the end a reader may read to (LATEST: the high watermark,
// the last stable offset for read_committed (v2+), the log end for a replica) or the first offset
// at or after a timestamp that the reader may read, answered by the partition's leader.
import { Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import { defineHandler } from "./handler.ts";

const latest = -1n;
const earliest = -2n;
/** Kafka's DEBUGGING_REPLICA_ID: the only asker a partition answers without leading it. */
const debuggingReplicaId = -2;
/** Kafka's IsolationLevel.READ_COMMITTED. */
const readCommitted = 1;

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
      if (wanted.timestamp === latest) {
        if (request.replicaId >= 0) return found(offsets.logEndOffset);
        return found(request.isolationLevel === readCommitted ? offsets.lastStableOffset : offsets.highWatermark);
      }
      if (wanted.timestamp === earliest) return found(offsets.logStartOffset);
      const byTime = partition.offsetForTimestamp(wanted.timestamp);
      // As Kafka: a read_committed reader is not pointed at a record it may not read yet.
      const readable = request.isolationLevel === readCommitted ? offsets.lastStableOffset : offsets.highWatermark;
      return byTime && byTime.offset < readable ? found(byTime.offset, byTime.timestamp) : found(-1n);
    }),
  })),
}));
