// One transactional id's state and the rules of its state machine (Kafka's TransactionMetadata):
// which request may move it where, and to what producer id and epoch. Pure: no I/O, no clock (the
// caller passes `now`), no producer-id allocation (the caller passes a new id when asked for one).
//
// A change is made in two steps, as Kafka makes it: `prepare…` checks the request and returns the
// transition (the record to log) while marking it pending, so that a second request that arrives
// during the log append gets CONCURRENT_TRANSACTIONS; once the record is durable the coordinator
// calls `complete(transition)`, or `abandon()` when the append failed. States, in Kafka's order:
// Empty → Ongoing (AddPartitionsToTxn) → PrepareCommit | PrepareAbort (EndTxn, timeout, fencing) →
// CompleteCommit | CompleteAbort (every marker written) → Ongoing again with the next transaction.
//
// Ownership: the transaction coordinator owns every TransactionMetadata (transaction-coordinator.ts)
// and calls it only synchronously; the pending transition is what keeps one transactional id's
// changes one at a time across the awaits of its log appends and markers.
import { ErrorCode } from "../../protocol/errors.ts";
import type { TransactionLogValue, TransactionPartitions, TransactionState } from "./transaction-log-format.ts";

export const NO_PRODUCER_EPOCH = -1;
const MAX_PRODUCER_EPOCH = 32767;

/** An epoch this high cannot be bumped once more safely: the next InitProducerId takes a new producer id. */
export function isEpochExhausted(epoch: number): boolean {
  return epoch >= MAX_PRODUCER_EPOCH - 1;
}

/** The partitions of a transaction, by topic. */
export type TopicPartitionSet = ReadonlyMap<string, ReadonlySet<number>>;

/** What a transactional id becomes, once the record saying so is durable (Kafka's TxnTransitMetadata). */
export interface Transition {
  producerId: bigint;
  lastProducerId: bigint;
  producerEpoch: number;
  lastProducerEpoch: number;
  transactionTimeoutMs: number;
  state: TransactionState;
  partitions: TopicPartitionSet;
  startTimestampMs: number;
  lastUpdateTimestampMs: number;
}

export type Decision =
  /** Refused with this error; nothing changes. */
  | { kind: "error"; errorCode: number }
  /** Nothing to write: answered NONE at once (a retried request that already took effect). */
  | { kind: "done" }
  /** The transition to log before answering; it is pending until complete() or abandon(). */
  | { kind: "transition"; transition: Transition };

export type InitDecision =
  | Decision
  /** The epoch is exhausted: ask again with a new producer id. */
  | { kind: "needs-producer-id" }
  /** An Ongoing transaction must be aborted first (the transition is its PrepareAbort at a bumped epoch). */
  | { kind: "fence"; transition: Transition };

const refuse = (errorCode: number): { kind: "error"; errorCode: number } => ({ kind: "error", errorCode });

export function partitionCount(partitions: TopicPartitionSet): number {
  let count = 0;
  for (const ids of partitions.values()) count += ids.size;
  return count;
}

export function toLogPartitions(partitions: TopicPartitionSet): TransactionPartitions[] {
  return [...partitions]
    .map(([topic, ids]) => ({ topic, partitions: [...ids].sort((left, right) => left - right) }))
    .sort((left, right) => (left.topic < right.topic ? -1 : left.topic > right.topic ? 1 : 0));
}

function fromLogPartitions(partitions: readonly TransactionPartitions[]): Map<string, Set<number>> {
  return new Map(partitions.map(({ topic, partitions: ids }) => [topic, new Set(ids)]));
}

function union(left: TopicPartitionSet, right: TopicPartitionSet): Map<string, Set<number>> {
  const merged = new Map<string, Set<number>>([...left].map(([topic, ids]) => [topic, new Set(ids)]));
  for (const [topic, ids] of right) {
    const into = merged.get(topic) ?? new Set<number>();
    for (const id of ids) into.add(id);
    merged.set(topic, into);
  }
  return merged;
}

function includesAll(container: TopicPartitionSet, wanted: TopicPartitionSet): boolean {
  for (const [topic, ids] of wanted) {
    const held = container.get(topic);
    for (const id of ids) if (held?.has(id) !== true) return false;
  }
  return true;
}

export class TransactionMetadata {
  producerId: bigint;
  /** The producer id before the last rotation (KIP-360: a retried InitProducerId is recognised). */
  lastProducerId = -1n;
  producerEpoch: number;
  /** The epoch before the last bump, for a retried InitProducerId; -1 when unknown. */
  lastProducerEpoch = NO_PRODUCER_EPOCH;
  transactionTimeoutMs: number;
  state: TransactionState;
  partitions: TopicPartitionSet = new Map();
  startTimestampMs = -1;
  lastUpdateTimestampMs: number;
  /** The transition being logged, if any. */
  pendingState: TransactionState | null = null;
  /** A fencing bump whose PrepareAbort was not logged: the next fence reuses the epoch. */
  hasFailedEpochFence = false;
  /** The pending transition is a fencing PrepareAbort (its epoch bump already made). */
  #fencing = false;

  constructor(
    readonly transactionalId: string,
    init: { producerId: bigint; producerEpoch: number; transactionTimeoutMs: number; now: number },
  ) {
    this.producerId = init.producerId;
    this.producerEpoch = init.producerEpoch;
    this.transactionTimeoutMs = init.transactionTimeoutMs;
    this.state = "Empty";
    this.lastUpdateTimestampMs = init.now;
  }

  /** The state a record of `__transaction_state` holds. */
  static fromLog(transactionalId: string, value: TransactionLogValue): TransactionMetadata {
    const metadata = new TransactionMetadata(transactionalId, {
      producerId: value.producerId,
      producerEpoch: value.producerEpoch,
      transactionTimeoutMs: value.transactionTimeoutMs,
      now: Number(value.lastUpdateTimestampMs),
    });
    metadata.state = value.state;
    metadata.partitions = fromLogPartitions(value.partitions);
    metadata.startTimestampMs = Number(value.startTimestampMs);
    return metadata;
  }

  /** The record of a transition, as `__transaction_state` stores it. */
  static logValue(transition: Transition): TransactionLogValue {
    return {
      producerId: transition.producerId,
      producerEpoch: transition.producerEpoch,
      transactionTimeoutMs: transition.transactionTimeoutMs,
      state: transition.state,
      partitions: toLogPartitions(transition.partitions),
      lastUpdateTimestampMs: BigInt(transition.lastUpdateTimestampMs),
      startTimestampMs: BigInt(transition.startTimestampMs),
    };
  }

  // ---------------------------------------------------------------- the requests

  /**
   * InitProducerId with this transactional id (Kafka's prepareInitProducerIdTransit). `expected` is
   * the producer id and epoch a v3+ client says it has (absent: a fresh start); `newProducerId` is
   * given once the answer was needs-producer-id.
   */
  prepareInitProducerId(
    transactionTimeoutMs: number,
    expected: { producerId: bigint; producerEpoch: number } | undefined,
    now: number,
    newProducerId?: bigint,
  ): InitDecision {
    if (this.pendingState !== null) return refuse(ErrorCode.CONCURRENT_TRANSACTIONS);
    // A producer that names itself must be this id's producer: the current one, one just created
    // here, or the one before a rotation retrying with its exhausted epoch.
    if (
      expected !== undefined &&
      !(
        this.producerEpoch === NO_PRODUCER_EPOCH ||
        expected.producerId === this.producerId ||
        (expected.producerId === this.lastProducerId && isEpochExhausted(expected.producerEpoch))
      )
    )
      return refuse(ErrorCode.PRODUCER_FENCED);
    switch (this.state) {
      case "PrepareCommit":
      case "PrepareAbort":
        return refuse(ErrorCode.CONCURRENT_TRANSACTIONS);
      case "Ongoing":
        // The ongoing transaction is aborted at a bumped epoch first; the client is told to retry,
        // and its retry bumps the epoch again (or rotates the id if that exhausted it).
        return this.#prepareFence(now);
      case "Empty":
      case "CompleteCommit":
      case "CompleteAbort": {
        if (
          isEpochExhausted(this.producerEpoch) &&
          (expected === undefined || expected.producerEpoch === this.producerEpoch)
        ) {
          if (newProducerId === undefined) return { kind: "needs-producer-id" };
          return this.#begin(
            this.#transition({
              producerId: newProducerId,
              lastProducerId: this.producerId,
              producerEpoch: 0,
              lastProducerEpoch: expected === undefined ? NO_PRODUCER_EPOCH : this.producerEpoch,
              transactionTimeoutMs,
              state: "Empty",
              partitions: new Map(),
              startTimestampMs: -1,
              lastUpdateTimestampMs: now,
            }),
          );
        }
        let epoch: number;
        let lastEpoch: number;
        if (expected === undefined) {
          epoch = this.producerEpoch + 1;
          lastEpoch = NO_PRODUCER_EPOCH;
        } else if (this.producerEpoch === NO_PRODUCER_EPOCH || expected.producerEpoch === this.producerEpoch) {
          epoch = this.producerEpoch + 1;
          lastEpoch = this.producerEpoch;
        } else if (expected.producerEpoch === this.lastProducerEpoch) {
          // A retry of a bump that succeeded: the same answer again.
          epoch = this.producerEpoch;
          lastEpoch = this.lastProducerEpoch;
        } else {
          return refuse(ErrorCode.PRODUCER_FENCED);
        }
        return this.#begin(
          this.#transition({
            producerEpoch: epoch,
            lastProducerEpoch: lastEpoch,
            transactionTimeoutMs,
            state: "Empty",
            partitions: new Map(),
            startTimestampMs: -1,
            lastUpdateTimestampMs: now,
          }),
        );
      }
      default:
        return refuse(ErrorCode.UNKNOWN_SERVER_ERROR);
    }
  }

  /** AddPartitionsToTxn (and AddOffsetsToTxn, whose partition is the group's `__consumer_offsets` one). */
  prepareAddPartitions(producerId: bigint, producerEpoch: number, added: TopicPartitionSet, now: number): Decision {
    if (producerId !== this.producerId) return refuse(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    if (producerEpoch !== this.producerEpoch) return refuse(ErrorCode.PRODUCER_FENCED);
    if (this.pendingState !== null) return refuse(ErrorCode.CONCURRENT_TRANSACTIONS);
    if (this.state === "PrepareCommit" || this.state === "PrepareAbort")
      return refuse(ErrorCode.CONCURRENT_TRANSACTIONS);
    if (this.state === "Dead" || this.state === "PrepareEpochFence") return refuse(ErrorCode.INVALID_TXN_STATE);
    if (this.state === "Ongoing" && includesAll(this.partitions, added)) return { kind: "done" };
    const starts = this.state !== "Ongoing";
    return this.#begin(
      this.#transition({
        state: "Ongoing",
        partitions: starts ? union(new Map(), added) : union(this.partitions, added),
        startTimestampMs: starts ? now : this.startTimestampMs,
        lastUpdateTimestampMs: now,
      }),
    );
  }

  /**
   * EndTxn from the client (`fromClient`), or the coordinator's own abort (a timeout, a fence), in
   * Kafka's rules: a retried EndTxn of a completed transaction with the same result is NONE, the
   * opposite result INVALID_TXN_STATE; one still being completed CONCURRENT_TRANSACTIONS.
   */
  prepareEndTransaction(
    producerId: bigint,
    producerEpoch: number,
    commit: boolean,
    fromClient: boolean,
    now: number,
  ): Decision {
    if (producerId !== this.producerId) return refuse(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    if ((fromClient && producerEpoch !== this.producerEpoch) || producerEpoch < this.producerEpoch)
      return refuse(ErrorCode.PRODUCER_FENCED);
    if (this.pendingState !== null) return refuse(ErrorCode.CONCURRENT_TRANSACTIONS);
    switch (this.state) {
      case "Ongoing":
        return this.#begin(
          this.#transition({ state: commit ? "PrepareCommit" : "PrepareAbort", lastUpdateTimestampMs: now }),
        );
      case "CompleteCommit":
        return commit ? { kind: "done" } : refuse(ErrorCode.INVALID_TXN_STATE);
      case "CompleteAbort":
        return commit ? refuse(ErrorCode.INVALID_TXN_STATE) : { kind: "done" };
      case "PrepareCommit":
        return refuse(commit ? ErrorCode.CONCURRENT_TRANSACTIONS : ErrorCode.INVALID_TXN_STATE);
      case "PrepareAbort":
        return refuse(commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.CONCURRENT_TRANSACTIONS);
      default:
        return refuse(ErrorCode.INVALID_TXN_STATE);
    }
  }

  /**
   * The coordinator's abort of an Ongoing transaction at a bumped epoch (a timeout), which fences
   * the producer: its later requests at the old epoch get PRODUCER_FENCED, its batches
   * INVALID_PRODUCER_EPOCH once the markers of the new epoch are on the partitions.
   */
  prepareAbortOnTimeout(now: number): Decision {
    if (this.pendingState !== null || this.state !== "Ongoing") return refuse(ErrorCode.CONCURRENT_TRANSACTIONS);
    const fence = this.#prepareFence(now);
    return fence.kind === "fence" ? { kind: "transition", transition: fence.transition } : fence;
  }

  /** Once every marker is written: CompleteCommit or CompleteAbort, the partitions forgotten. */
  prepareComplete(now: number): Transition | null {
    if (this.pendingState !== null) return null;
    if (this.state !== "PrepareCommit" && this.state !== "PrepareAbort") return null;
    return this.#begin(
      this.#transition({
        state: this.state === "PrepareCommit" ? "CompleteCommit" : "CompleteAbort",
        partitions: new Map(),
        lastUpdateTimestampMs: now,
      }),
    ).transition;
  }

  /**
   * An id idle (Empty or completed) since `expiresBeforeMs` is forgotten: a tombstone in the log,
   * as Kafka's transactional.id.expiration.ms; null while it is in use.
   */
  prepareDead(now: number, expiresBeforeMs: number): Transition | null {
    if (this.pendingState !== null || this.lastUpdateTimestampMs > expiresBeforeMs) return null;
    if (this.state !== "Empty" && this.state !== "CompleteCommit" && this.state !== "CompleteAbort") return null;
    return this.#begin(this.#transition({ state: "Dead", partitions: new Map(), lastUpdateTimestampMs: now }))
      .transition;
  }

  /** Whether the transaction outlived its timeout (the coordinator then aborts it). */
  hasExpired(now: number): boolean {
    return (
      this.state === "Ongoing" && this.pendingState === null && this.startTimestampMs + this.transactionTimeoutMs < now
    );
  }

  // ---------------------------------------------------------------- the second step

  /** The pending transition is durable: it becomes the state. */
  complete(transition: Transition): void {
    this.producerId = transition.producerId;
    this.lastProducerId = transition.lastProducerId;
    this.producerEpoch = transition.producerEpoch;
    this.lastProducerEpoch = transition.lastProducerEpoch;
    this.transactionTimeoutMs = transition.transactionTimeoutMs;
    this.state = transition.state;
    this.partitions = transition.partitions;
    this.startTimestampMs = transition.startTimestampMs;
    this.lastUpdateTimestampMs = transition.lastUpdateTimestampMs;
    this.pendingState = null;
    this.#fencing = false;
    if (transition.state === "CompleteCommit" || transition.state === "CompleteAbort") this.hasFailedEpochFence = false;
  }

  /** The pending transition could not be logged: the state stays as it was. */
  abandon(_transition: Transition): void {
    this.pendingState = null;
    if (this.#fencing) this.hasFailedEpochFence = true;
    this.#fencing = false;
  }

  // ---------------------------------------------------------------- helpers

  /**
   * Fencing bumps the epoch in place before PrepareAbort is logged (as Kafka does), so that nothing
   * of the old epoch is accepted meanwhile; a bump whose PrepareAbort failed is not repeated.
   */
  #prepareFence(now: number): { kind: "fence"; transition: Transition } | { kind: "error"; errorCode: number } {
    if (this.producerEpoch >= MAX_PRODUCER_EPOCH) return refuse(ErrorCode.UNKNOWN_SERVER_ERROR);
    if (!this.hasFailedEpochFence) this.producerEpoch += 1;
    this.lastProducerEpoch = NO_PRODUCER_EPOCH;
    this.#fencing = true;
    const { transition } = this.#begin(this.#transition({ state: "PrepareAbort", lastUpdateTimestampMs: now }));
    return { kind: "fence", transition };
  }

  #transition(changes: Partial<Transition>): Transition {
    return {
      producerId: this.producerId,
      lastProducerId: this.lastProducerId,
      producerEpoch: this.producerEpoch,
      lastProducerEpoch: this.lastProducerEpoch,
      transactionTimeoutMs: this.transactionTimeoutMs,
      state: this.state,
      partitions: this.partitions,
      startTimestampMs: this.startTimestampMs,
      lastUpdateTimestampMs: this.lastUpdateTimestampMs,
      ...changes,
    };
  }

  #begin(transition: Transition): { kind: "transition"; transition: Transition } {
    this.pendingState = transition.state;
    return { kind: "transition", transition };
  }
}
