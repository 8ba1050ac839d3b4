// The transactional producer's side of KIP-98: its state (kafkajs's states, plus FENCED), the
// producer id and epoch its transactional id holds, and the requests to the transaction
// coordinator (InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn, EndTxn) and to the group
// coordinator (TxnOffsetCommit). The sender asks it to add partitions before it produces to them;
// the transaction object (transaction.ts) drives begin, offsets, commit and abort.
//
// Ownership: a TransactionManager owns the state, the partitions and groups of the current
// transaction, the cached coordinator connection and the queue of AddPartitionsToTxn requests
// (one at a time, in order). It fills `identity`, which its sender reads when encoding batches.
// Everything runs on the event loop: a state is read and set between awaits, never across one.
import { Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import { CoordinatorType } from "../cluster.ts";
import { isRetriable, KafkaJSNonRetriableError, KafkaJSProtocolError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { BrokerConnection } from "../network/broker-connection.ts";
import type { Retrier } from "../retry.ts";
import type { ProducerIdentity } from "./sequence-numbers.ts";

export const TransactionState = {
  UNINITIALIZED: "UNINITIALIZED",
  READY: "READY",
  TRANSACTING: "TRANSACTING",
  COMMITTING: "COMMITTING",
  ABORTING: "ABORTING",
  /** Not kafkajs's: another producer took the transactional id; nothing more can be done. */
  FENCED: "FENCED",
} as const;
export type TransactionState = (typeof TransactionState)[keyof typeof TransactionState];

const transitions: Record<TransactionState, readonly TransactionState[]> = {
  UNINITIALIZED: ["READY"],
  READY: ["READY", "TRANSACTING"],
  // Back from COMMITTING/ABORTING when EndTxn failed for a reason other than fencing: the
  // transaction is still open on the coordinator, so the app may try again or abort.
  TRANSACTING: ["COMMITTING", "ABORTING"],
  COMMITTING: ["READY", "TRANSACTING"],
  ABORTING: ["READY", "TRANSACTING"],
  FENCED: [],
};

/** The codes that mean this producer's epoch is over: another producer has the transactional id. */
const fencingCodes = new Set<number>([
  ErrorCode.INVALID_PRODUCER_EPOCH,
  ErrorCode.PRODUCER_FENCED,
  ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
]);
/** The coordinator moved: find it again before retrying. */
const staleCoordinatorCodes = new Set<number>([ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE]);

/** Whether the error (or the error it wraps) says the producer was fenced. */
export function isFencingError(error: unknown): boolean {
  return fencingCodeOf(error) !== undefined;
}

function fencingCodeOf(error: unknown): number | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    if (current instanceof KafkaJSProtocolError && fencingCodes.has(current.code)) return current.code;
  }
  return undefined;
}

function offsetOf(offset: string): bigint {
  try {
    return BigInt(offset);
  } catch (cause) {
    throw new KafkaJSNonRetriableError(`Invalid offset "${offset}"`, { cause });
  }
}

/** What the manager needs of a connection and of the cluster (a Cluster has both). */
export type CoordinatorConnection = Pick<BrokerConnection, "request">;
export interface CoordinatorLookup {
  findCoordinator(key: string, keyType: CoordinatorType): Promise<CoordinatorConnection>;
}

export interface TransactionManagerOptions {
  transactionalId: string;
  transactionTimeout: number;
  cluster: CoordinatorLookup;
  retrier: Retrier;
  logger: Logger;
  /** Filled by initProducerId; the sender encodes batches with it. */
  identity: ProducerIdentity;
  /** A new producer id or epoch is in `identity`: sequence numbers start again at 0. */
  onIdentity?: () => void;
}

export interface OffsetsTopic {
  topic: string;
  partitions: { partition: number; offset: string; metadata?: string | null }[];
}

export class TransactionManager {
  private current: TransactionState = TransactionState.UNINITIALIZED;
  /** Partitions the coordinator has in the current transaction, by topic. */
  private readonly added = new Map<string, Set<number>>();
  private offsetsAdded = false;
  private coordinator: Promise<CoordinatorConnection> | undefined;
  /** Each group's coordinator as last found, kept across transactions (a transactional consumer loop sends offsets to one group every time). */
  private readonly groupCoordinators = new Map<string, Promise<CoordinatorConnection>>();
  private addQueue: Promise<unknown> = Promise.resolve();
  private fencedBy: Error | undefined;
  /**
   * A send of the current transaction failed after its retries: its batch may or may not have
   * been written, so the partition's sequence numbers are in doubt. The transaction can only
   * abort, and the producer takes a new epoch after it (sequences start again at 0).
   */
  private abortOnlyCause: Error | undefined;
  private epochInDoubt = false;

  constructor(private readonly options: TransactionManagerOptions) {}

  get state(): TransactionState {
    return this.current;
  }

  get isInitialized(): boolean {
    return this.options.identity.producerId !== -1n;
  }

  get isInTransaction(): boolean {
    return this.current === TransactionState.TRANSACTING;
  }

  /** The error that fenced this producer, once one did. */
  get fencedError(): Error | undefined {
    return this.fencedBy;
  }

  /** Why the current transaction can only abort, if it can only abort. */
  get abortOnly(): Error | undefined {
    return this.abortOnlyCause;
  }

  /** A send of the transaction failed in doubt (see abortOnlyCause). */
  markAbortOnly(cause: Error): void {
    if (this.current !== TransactionState.TRANSACTING || this.abortOnlyCause) return;
    this.options.logger.warn(`Transaction can only abort: ${cause.message}`, {
      transactionalId: this.options.transactionalId,
    });
    this.abortOnlyCause = cause;
  }

  /** The error a commit or a send of an abort-only transaction rejects with. */
  abortOnlyFailure(): KafkaJSNonRetriableError {
    return new KafkaJSNonRetriableError(
      `The transaction can only be aborted: a send failed and may or may not have been written (${this.abortOnlyCause?.message})`,
      { cause: this.abortOnlyCause },
    );
  }

  /** Initializes the producer id, or takes a new epoch after an abort-only transaction. */
  async prepare(): Promise<void> {
    if (!this.isInitialized || this.epochInDoubt) await this.initProducerId();
  }

  /** Whether the current transaction has anything on the coordinator (so it needs an EndTxn). */
  get isOngoing(): boolean {
    return this.offsetsAdded || this.added.size > 0;
  }

  /** InitProducerId with the transactional id, at its coordinator; retried while it finishes an earlier transaction. */
  async initProducerId(): Promise<void> {
    this.guard("initProducerId", [TransactionState.UNINITIALIZED, TransactionState.READY]);
    const { transactionalId, transactionTimeout, identity, logger } = this.options;
    await this.coordinatorRequest("InitProducerId", async (connection) => {
      const response = await connection.request(Apis.InitProducerId, {
        transactionalId,
        transactionTimeoutMs: transactionTimeout,
        // KIP-360: an initialized producer names its epoch so the coordinator bumps that one.
        producerId: identity.producerId,
        producerEpoch: identity.producerId === -1n ? -1 : identity.producerEpoch,
      });
      if (response.errorCode === ErrorCode.NONE) {
        identity.producerId = response.producerId ?? -1n;
        identity.producerEpoch = response.producerEpoch;
        this.epochInDoubt = false;
      }
      return response.errorCode;
    });
    this.transitionTo(TransactionState.READY);
    this.options.onIdentity?.();
    logger.debug("Initialized producer id & epoch", {
      transactionalId,
      producerId: identity.producerId,
      producerEpoch: identity.producerEpoch,
    });
  }

  beginTransaction(): void {
    this.guard("beginTransaction", [TransactionState.READY]);
    this.transitionTo(TransactionState.TRANSACTING);
  }

  /** AddPartitionsToTxn for those of the partitions not yet in the transaction; one request at a time. */
  addPartitions(partitions: readonly { topic: string; partition: number }[]): Promise<void> {
    if (this.hasAll(partitions)) return Promise.resolve();
    const run = this.addQueue.then(() => this.sendAddPartitions(partitions));
    this.addQueue = run.catch(() => undefined);
    return run;
  }

  private hasAll(partitions: readonly { topic: string; partition: number }[]): boolean {
    for (const { topic, partition } of partitions) if (!this.added.get(topic)?.has(partition)) return false;
    return true;
  }

  private async sendAddPartitions(partitions: readonly { topic: string; partition: number }[]): Promise<void> {
    this.guard("addPartitionsToTransaction", [TransactionState.TRANSACTING]);
    const missing = new Map<string, number[]>();
    for (const { topic, partition } of partitions) {
      if (this.added.get(topic)?.has(partition)) continue;
      const list = missing.get(topic);
      if (list === undefined) missing.set(topic, [partition]);
      else if (!list.includes(partition)) list.push(partition);
    }
    if (missing.size === 0) return;
    const { transactionalId, identity } = this.options;
    const topics = [...missing].map(([name, ids]) => ({ name, partitions: ids }));
    await this.coordinatorRequest("AddPartitionsToTxn", async (connection) => {
      const response = await connection.request(Apis.AddPartitionsToTxn, {
        v3AndBelowTransactionalId: transactionalId,
        v3AndBelowProducerId: identity.producerId,
        v3AndBelowProducerEpoch: identity.producerEpoch,
        v3AndBelowTopics: topics,
      });
      // The cause is the first partition's own error; the others only say they were not attempted.
      let code: number = ErrorCode.NONE;
      for (const topic of response.resultsByTopicV3AndBelow) {
        for (const result of topic.resultsByPartition) {
          const error = result.partitionErrorCode;
          if (error === ErrorCode.NONE) continue;
          if (code === ErrorCode.NONE || code === ErrorCode.OPERATION_NOT_ATTEMPTED) code = error;
        }
      }
      return code;
    });
    for (const { name, partitions: ids } of topics) {
      let set = this.added.get(name);
      if (set === undefined) this.added.set(name, (set = new Set()));
      for (const id of ids) set.add(id);
    }
  }

  /** AddOffsetsToTxn, then TxnOffsetCommit at the group's coordinator. */
  async sendOffsets({ consumerGroupId, topics }: { consumerGroupId: string; topics: OffsetsTopic[] }): Promise<void> {
    this.guard("sendOffsets", [TransactionState.TRANSACTING]);
    if (!consumerGroupId) throw new KafkaJSNonRetriableError("Missing consumerGroupId");
    if (!topics) throw new KafkaJSNonRetriableError("Missing offset topics");
    const { transactionalId, identity, retrier, cluster } = this.options;
    // Built first: an offset that is not a number fails before anything is sent.
    const request = {
      transactionalId,
      groupId: consumerGroupId,
      producerId: identity.producerId,
      producerEpoch: identity.producerEpoch,
      generationId: -1,
      memberId: "",
      groupInstanceId: null,
      topics: topics.map(({ topic, partitions }) => ({
        name: topic,
        partitions: partitions.map(({ partition, offset, metadata }) => ({
          partitionIndex: partition,
          committedOffset: offsetOf(offset),
          committedLeaderEpoch: -1,
          committedMetadata: metadata ?? null,
        })),
      })),
    };
    await this.coordinatorRequest("AddOffsetsToTxn", async (connection) => {
      const response = await connection.request(Apis.AddOffsetsToTxn, {
        transactionalId,
        producerId: identity.producerId,
        producerEpoch: identity.producerEpoch,
        groupId: consumerGroupId,
      });
      return response.errorCode;
    });
    this.offsetsAdded = true;

    const forget = (pending: Promise<CoordinatorConnection>) => {
      if (this.groupCoordinators.get(consumerGroupId) === pending) this.groupCoordinators.delete(consumerGroupId);
    };
    await retrier(async (bail) => {
      let pending = this.groupCoordinators.get(consumerGroupId);
      if (pending === undefined) {
        pending = cluster.findCoordinator(consumerGroupId, CoordinatorType.GROUP);
        this.groupCoordinators.set(consumerGroupId, pending);
      }
      let code: number = ErrorCode.NONE;
      try {
        const response = await (await pending).request(Apis.TxnOffsetCommit, request);
        for (const topic of response.topics)
          for (const partition of topic.partitions) if (code === ErrorCode.NONE) code = partition.errorCode;
      } catch (error) {
        // A failed lookup or a broken connection: look the coordinator up again.
        forget(pending);
        throw error;
      }
      if (code === ErrorCode.NONE) return;
      const error = new KafkaJSProtocolError(code);
      if (staleCoordinatorCodes.has(code)) forget(pending);
      if (error.retriable) throw error;
      if (fencingCodes.has(code)) this.fence(error);
      bail(error);
    });
  }

  /** EndTxn committing (true) or aborting (false); none when nothing was added to the transaction. */
  async endTransaction(commit: boolean): Promise<void> {
    const method = commit ? "commit" : "abort";
    this.guard(method, [TransactionState.TRANSACTING]);
    if (commit && this.abortOnlyCause) throw this.abortOnlyFailure();
    this.transitionTo(commit ? TransactionState.COMMITTING : TransactionState.ABORTING);
    // Partitions being added belong to this transaction: their answers come first.
    await this.addQueue;
    if (!this.isOngoing) {
      this.options.logger.debug("No partitions or offsets registered, not sending EndTxn");
      this.transitionTo(TransactionState.READY);
      return;
    }
    const { transactionalId, identity } = this.options;
    try {
      await this.coordinatorRequest("EndTxn", async (connection) => {
        const response = await connection.request(Apis.EndTxn, {
          transactionalId,
          producerId: identity.producerId,
          producerEpoch: identity.producerEpoch,
          committed: commit,
        });
        return response.errorCode;
      });
    } catch (error) {
      if (this.current !== TransactionState.FENCED) this.transitionTo(TransactionState.TRANSACTING);
      throw error;
    }
    this.transitionTo(TransactionState.READY);
  }

  /** The producer's epoch is over (a send or a request was answered with a fencing error). */
  fence(error: Error): void {
    if (this.current === TransactionState.FENCED) return;
    this.options.logger.error(`Producer fenced: ${error.message}`, { transactionalId: this.options.transactionalId });
    this.fencedBy = error;
    this.current = TransactionState.FENCED;
    this.clearTransaction();
  }

  /** Throws, as kafkajs's guards do, when `method` may not be called in the current state. */
  guard(method: string, legal: readonly TransactionState[]): void {
    if (legal.includes(this.current)) return;
    if (this.current === TransactionState.FENCED) throw this.fencedFailure();
    throw new KafkaJSNonRetriableError(
      `Transaction state exception: Cannot call "${method}" in state "${this.current}"`,
    );
  }

  /**
   * What a fenced producer answers every later call with: the fencing error's code, as kafkajs
   * would be answered by the coordinator, with the error that fenced it as the cause.
   */
  fencedFailure(): KafkaJSProtocolError {
    const failure = new KafkaJSProtocolError(
      fencingCodeOf(this.fencedBy) ?? ErrorCode.PRODUCER_FENCED,
      `the producer was fenced by another producer with transactional id ${this.options.transactionalId}`,
    );
    failure.cause = this.fencedBy;
    return failure;
  }

  private transitionTo(state: TransactionState): void {
    this.options.logger.debug(`Transaction state transition ${this.current} --> ${state}`);
    if (!transitions[this.current].includes(state)) {
      throw new KafkaJSNonRetriableError(
        `Transaction state exception: Invalid transition ${this.current} --> ${state}`,
      );
    }
    this.current = state;
    if (state === TransactionState.READY) this.clearTransaction();
  }

  private clearTransaction(): void {
    this.added.clear();
    this.offsetsAdded = false;
    if (this.abortOnlyCause) {
      this.abortOnlyCause = undefined;
      this.epochInDoubt = true;
    }
  }

  /**
   * One request to the transaction coordinator, retried on retriable errors (a moved coordinator
   * is found again first); a fencing error fences the producer. `call` answers the error code.
   */
  private async coordinatorRequest(
    name: string,
    call: (connection: CoordinatorConnection) => Promise<number>,
  ): Promise<void> {
    const { retrier, cluster, transactionalId, logger } = this.options;
    await retrier(async (bail, retryCount, retryTime) => {
      this.coordinator ??= cluster.findCoordinator(transactionalId, CoordinatorType.TRANSACTION);
      const pending = this.coordinator;
      let code: number;
      try {
        code = await call(await pending);
      } catch (error) {
        // A lookup that failed, or a connection that broke: look the coordinator up again.
        if (this.coordinator === pending) this.coordinator = undefined;
        if (!isRetriable(error)) bail(error as Error);
        throw error;
      }
      if (code === ErrorCode.NONE) return;
      const error = new KafkaJSProtocolError(code);
      if (staleCoordinatorCodes.has(code) && this.coordinator === pending) this.coordinator = undefined;
      if (error.retriable) {
        logger.debug(`${name} failed, retrying`, { transactionalId, error: error.message, retryCount, retryTime });
        throw error;
      }
      if (fencingCodes.has(code)) this.fence(error);
      bail(error);
    });
  }
}
