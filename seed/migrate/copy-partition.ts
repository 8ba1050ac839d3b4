// Copies one source partition's records, from one offset up to another, onto the new topic:
// same key, value, headers and timestamp, each to the partition its key hashes to there
// (target-partition.ts). One fetch of the source is one send, awaited (acks=all) before the next,
// so the records of each key arrive on their target partition in their source order; a key's
// records all live in one source partition (unless the source topic was grown at some point), so
// copying each source partition in order keeps every key's order. The producer is idempotent:
// a retried send is not written twice.
//
// Owner of mutable state: none (the caller owns the producer and the source reader).
import type { Producer } from "../../broker/client/producer/index.ts";
import type { SourceLog } from "./source-log.ts";
import { targetPartition } from "./target-partition.ts";

export interface CopyRange {
  from: string;
  to: string;
  /** Partition count of the new topic. */
  partitions: number;
  sourcePartition: number;
  /** First offset to copy. */
  start: bigint;
  /** First offset not to copy (the end read before the copy began). */
  end: bigint;
}

export interface CopiedRange {
  sourcePartition: number;
  start: bigint;
  end: bigint;
  records: number;
  /** Records written to each partition of the new topic, by index. */
  byTarget: number[];
}

export async function copyPartition(source: SourceLog, producer: Producer, range: CopyRange): Promise<CopiedRange> {
  const byTarget = new Array<number>(range.partitions).fill(0);
  let records = 0;
  for await (const fetched of source.read(range.from, range.sourcePartition, range.start, range.end)) {
    const messages = fetched.map((record) => {
      const partition = targetPartition(record.key, range.sourcePartition, range.partitions);
      byTarget[partition]!++;
      return { partition, key: record.key, value: record.value, headers: record.headers, timestamp: record.timestamp };
    });
    await producer.send({ topic: range.to, acks: -1, messages });
    records += messages.length;
  }
  return { sourcePartition: range.sourcePartition, start: range.start, end: range.end, records, byTarget };
}
