// The object producer.transaction() resolves with, as kafkajs shapes it: send and sendBatch
// inside the transaction, sendOffsets, commit, abort and isActive. Once it has ended (committed or
// aborted) every method but isActive rejects. Unlike kafkajs, commit and abort first wait for the
// transaction's sends still in flight (as Kafka's own producer flushes before it ends one), so a
// send not awaited cannot land after the transaction's marker.
//
// A send given up after its retries (it may or may not have been written) leaves the transaction
// able only to abort, as Kafka's own producer does; kafkajs would let it commit.
//
// After a fencing error every call rejects with a KafkaJSProtocolError of that code (not
// retriable), whose cause is the error that fenced the producer.
//
// Ownership: a transaction object owns whether it has ended and how many of its sends are still
// unanswered; the transaction's state on the coordinator is the TransactionManager's.
import { KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded } from "../errors.ts";
import { isFencingError, type TransactionManager } from "./transaction-manager.ts";
import type { ProducerBatch, ProducerRecord, RecordMetadata, Transaction } from "./types.ts";

export interface TransactionOptions {
  manager: TransactionManager;
  /** Sends in the transaction (the producer's transactional sender). */
  sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]>;
}

/** Begins a transaction: the manager must be initialized and READY. */
export function beginTransaction({ manager, sendBatch }: TransactionOptions): Transaction {
  manager.beginTransaction();
  let ended = false;
  let inFlight = 0;
  let drained: { promise: Promise<void>; resolve: () => void } | undefined;

  const isActive = (): boolean => manager.isInTransaction && !ended;
  const checkActive = (): void => {
    if (manager.fencedError) throw manager.fencedFailure();
    if (!isActive()) throw new KafkaJSNonRetriableError("Cannot continue to use transaction once ended");
  };
  const settled = (): void => {
    if (--inFlight === 0 && drained) {
      const { resolve } = drained;
      drained = undefined;
      resolve();
    }
  };
  const whenDrained = (): Promise<void> => {
    if (inFlight === 0) return Promise.resolve();
    if (!drained) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      drained = { promise, resolve };
    }
    return drained.promise;
  };

  const send = (batch: ProducerBatch): Promise<RecordMetadata[]> => {
    try {
      checkActive();
      if (manager.abortOnly) throw manager.abortOnlyFailure();
    } catch (error) {
      return Promise.reject(error);
    }
    inFlight++;
    return sendBatch(batch).then(
      (result) => {
        settled();
        return result;
      },
      (error: unknown) => {
        settled();
        if (isFencingError(error)) manager.fence(error as Error);
        // Given up after its retries, the batch may have been written: sequences are in doubt.
        else if (error instanceof KafkaJSNumberOfRetriesExceeded) manager.markAbortOnly(error);
        throw error;
      },
    );
  };

  const end = async (commit: boolean): Promise<void> => {
    checkActive();
    await whenDrained();
    await manager.endTransaction(commit);
    ended = true;
  };

  return {
    send: ({ topic, messages, acks, timeout, compression }: ProducerRecord) =>
      send({ acks, timeout, compression, topicMessages: [{ topic, messages }] }),
    sendBatch: (batch: ProducerBatch) => send(batch),
    async sendOffsets(offsets) {
      checkActive();
      await manager.sendOffsets(offsets);
    },
    commit: () => end(true),
    abort: () => end(false),
    isActive,
  };
}
