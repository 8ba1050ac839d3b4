// The transaction coordinator (Kafka's TransactionCoordinator with its TransactionStateManager): the
// one entry point the wire handlers call for InitProducerId with a transactional id,
// AddPartitionsToTxn, AddOffsetsToTxn and EndTxn, and the broker's timer calls to abort the
// transactions that outlived their timeout.
//
// A broker coordinates the transactional ids of the `__transaction_state` partitions it leads
// (transaction-partitions.ts), loading each partition's ids from its log first; a transaction found
// in PrepareCommit / PrepareAbort then has its markers sent again and is completed, an Ongoing one
// is left to its timeout. Every change of a transactional id is a record in that log, written
// before the answer; EndTxn is answered once PrepareCommit / PrepareAbort is durable, then the
// markers go to the partitions (txn-marker-channel.ts) and CompleteCommit / CompleteAbort is logged.
// A request for the id that arrives while its markers are being written (the producer's next
// transaction, right after EndTxn) waits for them, up to COMPLETION_WAIT_MS, rather than answering
// CONCURRENT_TRANSACTIONS at once as Kafka does: clients back off 20–100 ms on that answer, which
// capped a producer at one transaction per backoff although local markers take well under 1 ms.
//
// Ownership: the coordinator owns every TransactionMetadata of the partitions it has loaded (the
// `transactions` map) and changes them only synchronously on the event loop; a change waiting for
// its log append is the metadata's pending state, which makes other requests for that id answer
// CONCURRENT_TRANSACTIONS meanwhile (transaction-metadata.ts), so one transactional id changes one
// step at a time. Which partitions are led and loaded is owned by its OffsetsPartitions.
//
// Kafka error conditions are returned as error codes, never thrown.
import { ErrorCode } from "../../protocol/errors.ts";
import { OffsetsAppendError } from "../groups/group-metadata-manager.ts";
import type { OffsetsPartitions } from "../groups/offsets-partitions.ts";
import type { Logger } from "../logger.ts";
import {
  type Decision,
  type InitDecision,
  NO_PRODUCER_EPOCH,
  type TopicPartitionSet,
  TransactionMetadata,
  type Transition,
} from "./transaction-metadata.ts";
import { transactionPartitionFor, transactionPartitions } from "./transaction-partitions.ts";
import type { TransactionStateLog } from "./transaction-state-log.ts";
import type { MarkerOutcome, TxnMarker } from "./txn-marker-channel.ts";

export interface TransactionCoordinatorOptions {
  stateLog: Pick<TransactionStateLog, "append" | "read" | "awaitLoadable">;
  /** transaction.state.log.num.partitions */
  numPartitions: number;
  /** transaction.max.timeout.ms */
  maxTransactionTimeoutMs: number;
  /** transactional.id.expiration.ms: how long an idle id is kept; 7 days when absent. */
  transactionalIdExpirationMs?: number;
  producerIds: { next(): Promise<bigint> };
  markers: { send(marker: TxnMarker, partitions: TopicPartitionSet, isCurrent: () => boolean): Promise<MarkerOutcome> };
  now(): number;
  /** Between retries of a CompleteCommit / CompleteAbort record the log refused. */
  retryBackoffMs?: number;
  log: Logger;
}

export interface InitProducerIdResult {
  errorCode: number;
  producerId: bigint;
  producerEpoch: number;
}

/** What a failed append of a transition answers, as Kafka maps the log's errors. */
function appendErrorFor(error: unknown): number {
  const code = error instanceof OffsetsAppendError ? error.errorCode : null;
  switch (code) {
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
      return ErrorCode.UNKNOWN_SERVER_ERROR;
    default:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  }
}

const failedInit = (errorCode: number): InitProducerIdResult => ({ errorCode, producerId: -1n, producerEpoch: -1 });

/** How long a request waits for the markers of the id's previous transaction before Kafka's answer. */
const COMPLETION_WAIT_MS = 1_000;

export class TransactionCoordinator {
  readonly #transactions = new Map<string, TransactionMetadata>();
  /** Per id, its markers and Complete* record while they are being written (see #prepareAndComplete). */
  readonly #completions = new Map<string, Promise<void>>();
  readonly #partitions: OffsetsPartitions;

  constructor(private readonly options: TransactionCoordinatorOptions) {
    this.#partitions = transactionPartitions({
      awaitLoadable: (partition) => options.stateLog.awaitLoadable(partition),
      load: (partition) => this.#load(partition),
      unload: async (partition) => this.#unload(partition),
      now: () => options.now(),
      log: options.log,
    });
  }

  // ---------------------------------------------------------------- leadership

  /** The `__transaction_state` partition whose leader coordinates this id (FindCoordinator). */
  partitionFor(transactionalId: string): number {
    return transactionPartitionFor(transactionalId, this.options.numPartitions);
  }

  startup(): Promise<void> {
    return this.#partitions.startup();
  }

  onElection(partition: number, leaderEpoch: number): void {
    this.#partitions.onElection(partition, leaderEpoch);
  }

  onResignation(partition: number, leaderEpoch?: number): void {
    this.#partitions.onResignation(partition, leaderEpoch);
  }

  close(): void {
    this.#partitions.close();
  }

  ledPartitions(): { partition: number; leaderEpoch: number; loaded: boolean }[] {
    return this.#partitions.ledPartitions();
  }

  /** A transactional id's state here (for tests and diagnostics). */
  describe(transactionalId: string): TransactionMetadata | undefined {
    return this.#transactions.get(transactionalId);
  }

  // ---------------------------------------------------------------- the requests

  async initProducerId(
    transactionalId: string,
    transactionTimeoutMs: number,
    expected?: { producerId: bigint; producerEpoch: number },
  ): Promise<InitProducerIdResult> {
    if (transactionalId === "") return failedInit(ErrorCode.INVALID_REQUEST);
    if (transactionTimeoutMs <= 0 || transactionTimeoutMs > this.options.maxTransactionTimeoutMs)
      return failedInit(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    await this.#awaitCompletion(transactionalId);
    const refused = this.#refusal(transactionalId);
    if (refused !== ErrorCode.NONE) return failedInit(refused);
    let metadata = this.#transactions.get(transactionalId);
    if (metadata === undefined) {
      const producerId = await this.#newProducerId();
      if (producerId === null) return failedInit(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
      const refusedLater = this.#refusal(transactionalId);
      if (refusedLater !== ErrorCode.NONE) return failedInit(refusedLater);
      // Another InitProducerId for the id may have made it meanwhile.
      metadata = this.#transactions.get(transactionalId);
      if (metadata === undefined) {
        metadata = new TransactionMetadata(transactionalId, {
          producerId,
          producerEpoch: NO_PRODUCER_EPOCH,
          transactionTimeoutMs,
          now: this.options.now(),
        });
        this.#transactions.set(transactionalId, metadata);
      }
    }
    let decision: InitDecision = metadata.prepareInitProducerId(transactionTimeoutMs, expected, this.options.now());
    if (decision.kind === "needs-producer-id") {
      const producerId = await this.#newProducerId();
      if (producerId === null) return failedInit(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
      if (this.#transactions.get(transactionalId) !== metadata) return failedInit(ErrorCode.NOT_COORDINATOR);
      decision = metadata.prepareInitProducerId(transactionTimeoutMs, expected, this.options.now(), producerId);
    }
    switch (decision.kind) {
      case "error":
        return failedInit(decision.errorCode);
      case "fence": {
        // The ongoing transaction is aborted at a bumped epoch; the client retries and gets the next one.
        const errorCode = await this.#prepareAndComplete(transactionalId, metadata, decision.transition);
        return failedInit(errorCode === ErrorCode.NONE ? ErrorCode.CONCURRENT_TRANSACTIONS : errorCode);
      }
      case "transition": {
        const errorCode = await this.#write(transactionalId, metadata, decision.transition);
        if (errorCode !== ErrorCode.NONE) return failedInit(errorCode);
        return { errorCode, producerId: metadata.producerId, producerEpoch: metadata.producerEpoch };
      }
      default:
        return failedInit(ErrorCode.UNKNOWN_SERVER_ERROR);
    }
  }

  /** AddPartitionsToTxn (AddOffsetsToTxn adds the group's `__consumer_offsets` partition): one error for all. */
  async addPartitions(
    transactionalId: string,
    producerId: bigint,
    producerEpoch: number,
    partitions: TopicPartitionSet,
  ): Promise<number> {
    await this.#awaitCompletion(transactionalId);
    const metadata = this.#lookup(transactionalId);
    if (typeof metadata === "number") return metadata;
    const decision = metadata.prepareAddPartitions(producerId, producerEpoch, partitions, this.options.now());
    return this.#apply(transactionalId, metadata, decision);
  }

  /** EndTxn: answered once PrepareCommit / PrepareAbort is durable; the markers follow. */
  async endTransaction(
    transactionalId: string,
    producerId: bigint,
    producerEpoch: number,
    commit: boolean,
  ): Promise<number> {
    const metadata = this.#lookup(transactionalId);
    if (typeof metadata === "number") return metadata;
    const decision = metadata.prepareEndTransaction(producerId, producerEpoch, commit, true, this.options.now());
    if (decision.kind !== "transition") return this.#apply(transactionalId, metadata, decision);
    return this.#prepareAndComplete(transactionalId, metadata, decision.transition);
  }

  /**
   * Aborts, at a bumped epoch, every loaded Ongoing transaction older than its timeout (Kafka's
   * abortTimedOutTransactions); resolves once each abort's PrepareAbort is logged or refused.
   */
  async abortTimedOutTransactions(): Promise<number> {
    const now = this.options.now();
    const expired = [...this.#transactions].filter(
      ([transactionalId, metadata]) => metadata.hasExpired(now) && this.#refusal(transactionalId) === ErrorCode.NONE,
    );
    const aborted = await Promise.all(
      expired.map(async ([transactionalId, metadata]) => {
        const decision = metadata.prepareAbortOnTimeout(now);
        if (decision.kind !== "transition") return false;
        this.options.log.info("aborting a transaction that timed out", {
          transactionalId,
          producerId: metadata.producerId,
          producerEpoch: decision.transition.producerEpoch,
          timeoutMs: metadata.transactionTimeoutMs,
        });
        return (await this.#prepareAndComplete(transactionalId, metadata, decision.transition)) === ErrorCode.NONE;
      }),
    );
    return aborted.filter(Boolean).length;
  }

  /**
   * Forgets every loaded id idle (Empty or completed) for transactional.id.expiration.ms, with a
   * tombstone in its partition (Kafka's removeExpiredTransactionalIds); resolves with how many.
   */
  async removeExpiredTransactionalIds(): Promise<number> {
    const now = this.options.now();
    const expiresBefore = now - (this.options.transactionalIdExpirationMs ?? 7 * 24 * 60 * 60 * 1000);
    const removed = await Promise.all(
      [...this.#transactions].map(async ([transactionalId, metadata]) => {
        if (this.#refusal(transactionalId) !== ErrorCode.NONE) return false;
        const transition = metadata.prepareDead(now, expiresBefore);
        if (transition === null) return false;
        if ((await this.#write(transactionalId, metadata, transition)) !== ErrorCode.NONE) return false;
        this.#transactions.delete(transactionalId);
        return true;
      }),
    );
    return removed.filter(Boolean).length;
  }

  // ---------------------------------------------------------------- transitions

  async #apply(transactionalId: string, metadata: TransactionMetadata, decision: Decision): Promise<number> {
    switch (decision.kind) {
      case "error":
        return decision.errorCode;
      case "done":
        return ErrorCode.NONE;
      case "transition":
        return this.#write(transactionalId, metadata, decision.transition);
    }
  }

  /** Logs a Prepare* transition; once durable, the markers and the Complete* record follow without waiting. */
  async #prepareAndComplete(
    transactionalId: string,
    metadata: TransactionMetadata,
    transition: Transition,
  ): Promise<number> {
    const errorCode = await this.#write(transactionalId, metadata, transition);
    if (errorCode === ErrorCode.NONE) {
      const completing = this.#complete(transactionalId, metadata)
        .catch((error: unknown) =>
          this.options.log.warn("transaction not completed", {
            transactionalId,
            error: error instanceof Error ? error.message : String(error),
          }),
        )
        .finally(() => {
          if (this.#completions.get(transactionalId) === completing) this.#completions.delete(transactionalId);
        });
      this.#completions.set(transactionalId, completing);
    }
    return errorCode;
  }

  /** Waits (bounded) for the markers of the id's previous transaction, if they are being written. */
  async #awaitCompletion(transactionalId: string): Promise<void> {
    const completing = this.#completions.get(transactionalId);
    if (completing === undefined) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      completing,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, COMPLETION_WAIT_MS);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
  }

  /** Appends the transition's record; the metadata takes it once durable, and drops it otherwise. */
  async #write(transactionalId: string, metadata: TransactionMetadata, transition: Transition): Promise<number> {
    try {
      await this.options.stateLog.append(
        this.partitionFor(transactionalId),
        transactionalId,
        transition.state === "Dead" ? null : TransactionMetadata.logValue(transition),
      );
    } catch (error) {
      metadata.abandon(transition);
      this.options.log.debug("transaction state not logged", {
        transactionalId,
        state: transition.state,
        error: error instanceof Error ? error.message : String(error),
      });
      return appendErrorFor(error);
    }
    // Unloaded meanwhile (a reload makes new metadata): the next coordinator reads the record from the log.
    if (!this.#isCurrent(transactionalId, metadata)) {
      metadata.abandon(transition);
      return ErrorCode.NOT_COORDINATOR;
    }
    metadata.complete(transition);
    return ErrorCode.NONE;
  }

  /** Sends the markers of a Prepare* transaction, then logs its Complete* state (retried while coordinating it). */
  async #complete(transactionalId: string, metadata: TransactionMetadata): Promise<void> {
    const coordinatorEpoch = this.#coordinatorEpoch(transactionalId);
    if (coordinatorEpoch === undefined) return;
    const marker: TxnMarker = {
      producerId: metadata.producerId,
      producerEpoch: metadata.producerEpoch,
      coordinatorEpoch,
      commit: metadata.state === "PrepareCommit",
    };
    const outcome = await this.options.markers.send(marker, metadata.partitions, () =>
      this.#isCurrent(transactionalId, metadata),
    );
    if (outcome !== "written") {
      this.options.log.info("transaction markers not all written", { transactionalId, outcome });
      return;
    }
    for (;;) {
      if (!this.#isCurrent(transactionalId, metadata)) return;
      const transition = metadata.prepareComplete(this.options.now());
      if (transition === null) return;
      const errorCode = await this.#write(transactionalId, metadata, transition);
      if (errorCode === ErrorCode.NONE || errorCode === ErrorCode.NOT_COORDINATOR) return;
      await new Promise((resolve) => setTimeout(resolve, this.options.retryBackoffMs ?? 100).unref());
    }
  }

  // ---------------------------------------------------------------- loading

  /** The latest record of each id of the partition wins; Prepare* ones are completed once loaded. */
  #load(partition: number): Record<string, number> {
    this.#unload(partition);
    const states = new Map<string, TransactionMetadata>();
    for (const { transactionalId, value } of this.options.stateLog.read(partition)) {
      if (value === null) states.delete(transactionalId);
      else states.set(transactionalId, TransactionMetadata.fromLog(transactionalId, value));
    }
    let preparing = 0;
    for (const [transactionalId, metadata] of states) {
      if (this.partitionFor(transactionalId) !== partition) continue;
      this.#transactions.set(transactionalId, metadata);
      if (metadata.state === "PrepareCommit" || metadata.state === "PrepareAbort") {
        preparing += 1;
        // After this load returns the partition counts as loaded, and the completion may write.
        queueMicrotask(() => void this.#complete(transactionalId, metadata));
      }
    }
    return { transactionalIds: states.size, preparing };
  }

  #unload(partition: number): number {
    let count = 0;
    for (const transactionalId of [...this.#transactions.keys()]) {
      if (this.partitionFor(transactionalId) !== partition) continue;
      this.#transactions.delete(transactionalId);
      count += 1;
    }
    return count;
  }

  // ---------------------------------------------------------------- checks

  /** The id's metadata, or why it cannot be served (Kafka's getTransactionState errors). */
  #lookup(transactionalId: string): TransactionMetadata | number {
    if (transactionalId === "") return ErrorCode.INVALID_REQUEST;
    const refused = this.#refusal(transactionalId);
    if (refused !== ErrorCode.NONE) return refused;
    return this.#transactions.get(transactionalId) ?? ErrorCode.INVALID_PRODUCER_ID_MAPPING;
  }

  #refusal(transactionalId: string): number {
    const unavailable = this.#partitions.lifecycleError();
    if (unavailable !== ErrorCode.NONE) return unavailable;
    return this.#partitions.partitionError(this.partitionFor(transactionalId));
  }

  #isCurrent(transactionalId: string, metadata: TransactionMetadata): boolean {
    return this.#refusal(transactionalId) === ErrorCode.NONE && this.#transactions.get(transactionalId) === metadata;
  }

  #coordinatorEpoch(transactionalId: string): number | undefined {
    return this.#partitions.leaderEpochOf(this.partitionFor(transactionalId));
  }

  async #newProducerId(): Promise<bigint | null> {
    try {
      return await this.options.producerIds.next();
    } catch (error) {
      this.options.log.warn("no producer id block from the controller", {
        error: error instanceof Error ? error.message : String(error),
      });
      return null;
    }
  }
}
