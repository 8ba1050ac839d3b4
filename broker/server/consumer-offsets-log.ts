// Adapts the group coordinator's OffsetsLog to the partitions of the `__consumer_offsets` topic:
// each commit is one uncompressed record batch appended to the group's partition, and loading
// reads the records back from the files in offset order. (What the records mean is
// groups/offsets-record-format.ts; what the coordinator keeps of them, groups/group-metadata-manager.ts.)
//
// Holds no state of its own: the partitions own their logs (partition.ts).
import { decodeRecordBatch } from "../protocol/record-batch/decoder.ts";
import { encodeRecordBatch } from "../protocol/record-batch/encoder.ts";
import type { OffsetsLog, OffsetsLogRecord } from "./groups/group-metadata-manager.ts";
import { CONSUMER_OFFSETS_TOPIC } from "./groups/offsets-record-format.ts";
import type { TopicManager } from "./topics.ts";

export class ConsumerOffsetsLog implements OffsetsLog {
  constructor(private readonly topics: Pick<TopicManager, "partition">) {}

  async append(partitionIndex: number, records: OffsetsLogRecord[]): Promise<void> {
    const partition = this.topics.partition(CONSUMER_OFFSETS_TOPIC, partitionIndex);
    if (!partition) throw new Error(`${CONSUMER_OFFSETS_TOPIC} has no partition ${partitionIndex}`);
    const now = BigInt(Date.now());
    const batch = encodeRecordBatch({ records: records.map((r) => ({ key: r.key, value: r.value, timestamp: now })) });
    const outcome = partition.append(batch);
    if (outcome.errorCode !== 0) throw new Error(`appending offsets failed: ${outcome.errorMessage}`);
  }

  *read(partitionIndex: number): Iterable<OffsetsLogRecord> {
    const partition = this.topics.partition(CONSUMER_OFFSETS_TOPIC, partitionIndex);
    if (!partition) return;
    for (const stored of partition.log.batches()) {
      for (const record of decodeRecordBatch(stored.bytes, 0).records) {
        if (record.key) yield { key: record.key, value: record.value };
      }
    }
  }
}
