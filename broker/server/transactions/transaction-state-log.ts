// The transaction coordinator's log: the records of `__transaction_state`, one per transition of a
// transactional id, appended through the same internal-topic adapter as the group coordinator's
// offsets (consumer-offsets-log.ts: one batch per append, answered once the ISR has it; loading
// reads what is below the high watermark), and read back as transactional ids and their states.
//
// Holds no state of its own beyond its InternalTopicLog's.
import { InternalTopicLog } from "../consumer-offsets-log.ts";
import type { OffsetsLog } from "../groups/group-metadata-manager.ts";
import type { TopicAccess } from "../topics.ts";
import {
  decodeTransactionLogKey,
  decodeTransactionLogValue,
  encodeTransactionLogKey,
  encodeTransactionLogValue,
  TRANSACTION_STATE_TOPIC,
  type TransactionLogValue,
} from "./transaction-log-format.ts";

/** One record read back: a transactional id's state, or null for a tombstone (the id expired). */
export interface TransactionLogEntry {
  transactionalId: string;
  value: TransactionLogValue | null;
}

export class TransactionStateLog {
  constructor(private readonly log: Pick<OffsetsLog, "append" | "read" | "awaitLoadable">) {}

  /** `__transaction_state` on this broker's partitions; appends wait `timeoutMs` at most for the ISR. */
  static onTopics(topics: Pick<TopicAccess, "partition">, timeoutMs: number): TransactionStateLog {
    return new TransactionStateLog(new InternalTopicLog(TRANSACTION_STATE_TOPIC, topics, timeoutMs));
  }

  /**
   * Resolves once the ISR has the record (null: a tombstone, the id expired); rejects (an
   * OffsetsAppendError when Kafka has a code) otherwise.
   */
  append(partition: number, transactionalId: string, value: TransactionLogValue | null): Promise<void> {
    return this.log.append(partition, [
      {
        key: encodeTransactionLogKey(transactionalId),
        value: value === null ? null : encodeTransactionLogValue(value),
      },
    ]);
  }

  *read(partition: number): Iterable<TransactionLogEntry> {
    for (const record of this.log.read(partition)) {
      yield {
        transactionalId: decodeTransactionLogKey(record.key),
        value: record.value === null ? null : decodeTransactionLogValue(record.value),
      };
    }
  }

  awaitLoadable(partition: number): Promise<boolean> {
    return this.log.awaitLoadable(partition);
  }
}
