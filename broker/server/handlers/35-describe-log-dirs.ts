// DescribeLogDirs (35): the broker's one log dir (data.dir, Kafka's log.dirs) and the partitions it
// holds there, every one when topics is null, else the asked ones this broker hosts (others are
// left out, as Kafka does): each with its size on disk and its offset lag, Kafka's
// max(high watermark − log end offset, 0), so 0 on a leader and on a follower whose log reaches
// what it knows is committed. There are no future logs (no AlterReplicaLogDirs), so is_future is
// false. v4 adds the volume's total and usable bytes.
import { statfsSync } from "node:fs";
import { resolve } from "node:path";
import { Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { DescribeLogDirsTopic } from "../../protocol/messages/index.ts";
import type { Partition } from "../partition.ts";
import { defineHandler } from "./handler.ts";

export const describeLogDirsHandler = defineHandler(Apis.DescribeLogDirs, (request, { broker }) => {
  const wanted =
    request.topics === null
      ? null
      : new Map(request.topics.map((topic) => [topic.topic, new Set(topic.partitions)] as const));
  const byTopic = new Map<string, DescribeLogDirsTopic>();
  for (const partition of broker.topics.allPartitions()) {
    if (wanted !== null && !wanted.get(partition.topic)?.has(partition.index)) continue;
    let topic = byTopic.get(partition.topic);
    if (!topic) {
      topic = { name: partition.topic, partitions: [] };
      byTopic.set(partition.topic, topic);
    }
    topic.partitions.push(describe(partition));
  }
  const topics = [...byTopic.values()].sort((a, b) => a.name.localeCompare(b.name));
  for (const topic of topics) topic.partitions.sort((a, b) => a.partitionIndex - b.partitionIndex);
  const logDir = resolve(broker.config.dataDir);
  return {
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    results: [{ errorCode: ErrorCode.NONE, logDir, topics, ...volumeBytes(logDir) }],
  };
});

function describe(partition: Partition) {
  const log = partition.log;
  const lag = log.highWatermark - log.logEndOffset;
  return {
    partitionIndex: partition.index,
    partitionSize: BigInt(log.size),
    offsetLag: lag > 0n ? lag : 0n,
    isFutureKey: false,
  };
}

/** The log dir's volume, as Kafka reports it (v4); -1 when the file system cannot say. */
function volumeBytes(dir: string): { totalBytes: bigint; usableBytes: bigint } {
  try {
    const stats = statfsSync(dir, { bigint: true });
    return { totalBytes: stats.blocks * stats.bsize, usableBytes: stats.bavail * stats.bsize };
  } catch {
    return { totalBytes: -1n, usableBytes: -1n };
  }
}
