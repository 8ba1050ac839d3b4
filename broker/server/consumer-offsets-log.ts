// Adapts the group coordinator's OffsetsLog to the partitions of the `__consumer_offsets` topic:
// each commit is one uncompressed record batch appended to the group's partition, and loading
// reads the records back from the files in offset order. (What the records mean is
// groups/offsets-record-format.ts; what the coordinator keeps of them, groups/group-metadata-manager.ts.)
//
// Holds no state of its own: the partitions own their logs (partition.ts).
import { ErrorCode, errorCodeName } from "../protocol/errors.ts";
import { decodeRecordBatch } from "../protocol/record-batch/decoder.ts";
import { encodeRecordBatch } from "../protocol/record-batch/encoder.ts";
import type { OffsetsLog, OffsetsLogRecord } from "./groups/group-metadata-manager.ts";
import { CONSUMER_OFFSETS_TOPIC } from "./groups/offsets-record-format.ts";
import { awaitAcks } from "./replication/delayed-produce.ts";
import type { TopicAccess } from "./topics.ts";

/** Kafka's offsets.commit.timeout.ms default: how long a commit waits for the ISR. */
const offsetsCommitTimeoutMs = 5000;

export class ConsumerOffsetsLog implements OffsetsLog {
  constructor(private readonly topics: Pick<TopicAccess, "partition">) {}

  async append(partitionIndex: number, records: OffsetsLogRecord[]): Promise<void> {
    const partition = this.topics.partition(CONSUMER_OFFSETS_TOPIC, partitionIndex);
    if (!partition) throw new Error(`${CONSUMER_OFFSETS_TOPIC} has no partition ${partitionIndex}`);
    const now = BigInt(Date.now());
    const batch = encodeRecordBatch({ records: records.map((r) => ({ key: r.key, value: r.value, timestamp: now })) });
    const replication = partition.replication;
    if (!replication) {
      const outcome = partition.append(batch);
      if (outcome.errorCode !== 0) throw new Error(`appending offsets failed: ${outcome.errorMessage}`);
      return;
    }
    // Replicated, a commit counts once every ISR member has it (Kafka writes offsets with acks=all).
    const outcome = replication.appendAsLeader(batch, -1);
    if (outcome.errorCode !== 0) throw new Error(`appending offsets failed: ${errorCodeName(outcome.errorCode)}`);
    let acked: number = ErrorCode.NONE;
    await awaitAcks(
      [{ state: replication, requiredOffset: outcome.requiredOffset, answer: (code) => (acked = code) }],
      offsetsCommitTimeoutMs,
      replication.timers,
    );
    if (acked !== ErrorCode.NONE) throw new Error(`offsets not replicated: ${errorCodeName(acked)}`);
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
