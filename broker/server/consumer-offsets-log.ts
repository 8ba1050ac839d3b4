// Adapts a coordinator's log to the partitions of an internal topic — `__consumer_offsets` for the
// group coordinator, `__transaction_state` for the transaction coordinator
// (transactions/transaction-state-log.ts): each append is one uncompressed record batch appended to
// the partition, answered once the whole ISR has it (acks=all) — and loading reads back the
// committed records (below the high watermark) from the files in offset order, after a new leader
// has waited for everything its replica holds to be committed. (What the records mean is
// groups/offsets-record-format.ts and transactions/transaction-log-format.ts; what the coordinators
// keep of them, groups/group-metadata-manager.ts and transactions/transaction-coordinator.ts.)
//
// A transactional offset commit (TxnOffsetCommit) is a transactional batch of the producer's id and
// epoch; its records say so when read back, and so do the transaction markers that end it.
//
// Such a batch is appended as the coordinator's own (Kafka's AppendOrigin.COORDINATOR): its
// producer epoch is checked, its sequence is not (baseSequence -1), since no one broker could
// know the next sequence of a producer's appends across coordinator failovers.
//
// Holds no state of its own: the partitions own their logs (partition.ts) and their replication
// state (replication/partition-state.ts).
import { ErrorCode, errorCodeName } from "../protocol/errors.ts";
import { ControlRecordType, readControlRecord } from "../protocol/record-batch/control-records.ts";
import { decodeRecordBatch } from "../protocol/record-batch/decoder.ts";
import { encodeRecordBatch } from "../protocol/record-batch/encoder.ts";
import { isControlBatch, isTransactionalBatch } from "../protocol/record-batch/layout.ts";
import { OffsetsAppendError, type OffsetsLog, type OffsetsLogRecord } from "./groups/group-metadata-manager.ts";
import { CONSUMER_OFFSETS_TOPIC } from "./groups/offsets-record-format.ts";
import { awaitAcks } from "./replication/delayed-produce.ts";
import type { TopicAccess } from "./topics.ts";

/** The producer a transactional append is written for. */
export interface TransactionalProducer {
  producerId: bigint;
  producerEpoch: number;
}

export class InternalTopicLog implements OffsetsLog {
  constructor(
    readonly topic: string,
    private readonly topics: Pick<TopicAccess, "partition">,
    /** How long an append waits for the ISR (offsets.commit.timeout.ms for both coordinators, as Kafka). */
    private readonly commitTimeoutMs = 5000,
  ) {}

  async append(partitionIndex: number, records: OffsetsLogRecord[], producer?: TransactionalProducer): Promise<void> {
    const partition = this.topics.partition(this.topic, partitionIndex);
    if (!partition) {
      throw new OffsetsAppendError(
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        `${this.topic} has no partition ${partitionIndex}`,
      );
    }
    const now = BigInt(Date.now());
    const batch = encodeRecordBatch({
      records: records.map((r) => ({ key: r.key, value: r.value, timestamp: now })),
      ...(producer === undefined
        ? {}
        : {
            producerId: producer.producerId,
            producerEpoch: producer.producerEpoch,
            baseSequence: -1,
            transactional: true,
          }),
    });
    const replication = partition.replication;
    // A commit counts once every ISR member has it (Kafka writes offsets with acks=all).
    const outcome = replication.appendAsLeader(batch, -1, producer === undefined ? "client" : "coordinator");
    if (outcome.errorCode !== 0) {
      throw new OffsetsAppendError(
        outcome.errorCode,
        `appending to ${this.topic} failed: ${errorCodeName(outcome.errorCode)}`,
      );
    }
    let acked: number = ErrorCode.NONE;
    await awaitAcks(
      [{ state: replication, requiredOffset: outcome.requiredOffset, answer: (code) => (acked = code) }],
      this.commitTimeoutMs,
      replication.timers,
    );
    if (acked !== ErrorCode.NONE)
      throw new OffsetsAppendError(acked, `${this.topic} records not replicated: ${errorCodeName(acked)}`);
  }

  /**
   * Only records below the high watermark: what every ISR member has, so no later leader lacks it.
   * A transactional batch's records carry their producer id; a transaction marker comes as one
   * record with `marker` set.
   */
  *read(partitionIndex: number): Iterable<OffsetsLogRecord> {
    const partition = this.topics.partition(this.topic, partitionIndex);
    if (!partition) return;
    const highWatermark = partition.highWatermark;
    for (const stored of partition.log.batches()) {
      if (stored.baseOffset >= highWatermark) return;
      const { header, records } = decodeRecordBatch(stored.bytes, 0);
      const transactional = isTransactionalBatch(header.attributes);
      const control = isControlBatch(header.attributes);
      // A transaction marker: one control record, ABORT or COMMIT (other control types are not ours to read).
      const markerType = control ? readControlRecord(stored.bytes, 0)?.type : undefined;
      for (const record of records) {
        if (record.offset >= highWatermark) return;
        if (control) {
          if (record.key && (markerType === ControlRecordType.ABORT || markerType === ControlRecordType.COMMIT))
            yield {
              key: record.key,
              value: record.value,
              producerId: header.producerId,
              marker: { commit: markerType === ControlRecordType.COMMIT },
            };
        } else if (record.key) {
          yield transactional
            ? { key: record.key, value: record.value, producerId: header.producerId }
            : { key: record.key, value: record.value };
        }
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
    const partition = this.topics.partition(this.topic, partitionIndex);
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

/** The group coordinator's log: `__consumer_offsets`. */
export class ConsumerOffsetsLog extends InternalTopicLog {
  constructor(topics: Pick<TopicAccess, "partition">, commitTimeoutMs = 5000) {
    super(CONSUMER_OFFSETS_TOPIC, topics, commitTimeoutMs);
  }
}
