// OffsetCommit and TxnOffsetCommit name their offsets nested by topic on the wire; the group
// coordinator takes them flat and answers one result per offset in request order. These two
// functions go from one shape to the other and back, for both handlers.
//
// Ownership: none; values in, values out.
import type { OffsetToCommit } from "./types.ts";

interface WireTopic {
  name: string;
  partitions: {
    partitionIndex: number;
    committedOffset: bigint;
    committedLeaderEpoch: number;
    committedMetadata: string | null;
  }[];
}

/** The request's offsets, flat, in request order. */
export function flatOffsets(topics: readonly WireTopic[]): OffsetToCommit[] {
  return topics.flatMap((topic) =>
    topic.partitions.map((p) => ({
      topic: topic.name,
      partition: p.partitionIndex,
      offset: p.committedOffset,
      leaderEpoch: p.committedLeaderEpoch,
      metadata: p.committedMetadata,
    })),
  );
}

/** The response's topics: the request's nesting, each partition with its flat result's error code (mapped). */
export function answerByTopic(
  topics: readonly WireTopic[],
  results: readonly { errorCode: number }[],
  errorCodeOf: (errorCode: number) => number = (code) => code,
): { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[] {
  let next = 0;
  return topics.map((topic) => ({
    name: topic.name,
    partitions: topic.partitions.map((p) => ({
      partitionIndex: p.partitionIndex,
      errorCode: errorCodeOf(results[next++]!.errorCode),
    })),
  }));
}
