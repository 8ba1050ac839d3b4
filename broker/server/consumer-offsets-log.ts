// Adapts the group coordinator's OffsetsLog to the partitions of the `__consumer_offsets` topic:
// each commit is one uncompressed record batch appended to the group's partition, answered once
// the whole ISR has it (acks=all) — and loading reads back the committed records
// (below the high watermark) from the files in offset order, after a new leader has waited for
// everything its replica holds to be committed. (What the records mean is
// groups/offsets-record-format.ts; what the coordinator keeps of them, groups/group-metadata-manager.ts.)
//
// Holds no state of its own: the partitions own their logs (partition.ts) and their replication
// state (replication/partition-state.ts).
import { ErrorCode, errorCodeName } from "../protocol/errors.ts";
import { decodeRecordBatch } from "../protocol/record-batch/decoder.ts";
import { encodeRecordBatch } from "../protocol/record-batch/encoder.ts";
import { OffsetsAppendError, type OffsetsLog, type OffsetsLogRecord } from "./groups/group-metadata-manager.ts";
import { CONSUMER_OFFSETS_TOPIC } from "./groups/offsets-record-format.ts";
import { awaitAcks } from "./replication/delayed-produce.ts";
import type { TopicAccess } from "./topics.ts";

export class ConsumerOffsetsLog implements OffsetsLog {
  constructor(
    private readonly topics: Pick<TopicAccess, "partition">,
    /** offsets.commit.timeout.ms: how long a commit waits for the ISR. */
    private readonly commitTimeoutMs = 5000,
  ) {}

  async append(partitionIndex: number, records: OffsetsLogRecord[]): Promise<void> {
    const partition = this.topics.partition(CONSUMER_OFFSETS_TOPIC, partitionIndex);
    if (!partition) {
      throw new OffsetsAppendError(
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        `${CONSUMER_OFFSETS_TOPIC} has no partition ${partitionIndex}`,
      );
    }
    const now = BigInt(Date.now());
    const batch = encodeRecordBatch({ records: records.map((r) => ({ key: r.key, value: r.value, timestamp: now })) });
    const replication = partition.replication;
    // A commit counts once every ISR member has it (Kafka writes offsets with acks=all).
    const outcome = replication.appendAsLeader(batch, -1);
    if (outcome.errorCode !== 0) {
      throw new OffsetsAppendError(outcome.errorCode, `appending offsets failed: ${errorCodeName(outcome.errorCode)}`);
    }
    let acked: number = ErrorCode.NONE;
    await awaitAcks(
      [{ state: replication, requiredOffset: outcome.requiredOffset, answer: (code) => (acked = code) }],
      this.commitTimeoutMs,
      replication.timers,
    );
    if (acked !== ErrorCode.NONE)
      throw new OffsetsAppendError(acked, `offsets not replicated: ${errorCodeName(acked)}`);
  }

  /** Only records below the high watermark: what every ISR member has, so no later leader lacks it. */
  *read(partitionIndex: number): Iterable<OffsetsLogRecord> {
    const partition = this.topics.partition(CONSUMER_OFFSETS_TOPIC, partitionIndex);
    if (!partition) return;
    const highWatermark = partition.highWatermark;
    for (const stored of partition.log.batches()) {
      if (stored.baseOffset >= highWatermark) return;
      for (const record of decodeRecordBatch(stored.bytes, 0).records) {
        if (record.offset >= highWatermark) return;
        if (record.key) yield { key: record.key, value: record.value };
      }
    }
  }

  /**
   * A partition is loadable once its high watermark reaches the log end as of now: the records a
   * new leader holds from earlier leaders (some perhaps never acknowledged) are then on every ISR
   * member, and nothing a client was told is committed is missing. False as soon as this broker
   * stops leading the partition.
   */
  awaitLoadable(partitionIndex: number): Promise<boolean> {
    const partition = this.topics.partition(CONSUMER_OFFSETS_TOPIC, partitionIndex);
    if (!partition) return Promise.resolve(false);
    const replication = partition.replication;
    const logEnd = partition.log.logEndOffset;
    return new Promise((resolve) => {
      let unsubscribe = (): void => {};
      let settled = false;
      const check = (): void => {
        if (settled) return;
        const answer = !replication.isLeader ? false : partition.highWatermark >= logEnd ? true : null;
        if (answer === null) return;
        settled = true;
        unsubscribe();
        resolve(answer);
      };
      unsubscribe = replication.onChange(check);
      check();
    });
  }
}
