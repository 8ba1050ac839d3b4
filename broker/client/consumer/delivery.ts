// Handing fetched batches to the app: eachMessage or eachBatch, at most
// partitionsConsumedConcurrently batches at a time (each partition's in order, as the fetcher
// hands them over), with kafkajs's batch events, pause, heartbeat and commit helpers; nothing is
// handed out once a rebalance, a stop or a failure has begun, nor of a partition the member no
// longer owns (a cooperative revocation).
//
// Ownership: a Delivery owns its slots and the delivery in progress of each partition (which a
// cooperative revocation waits for), and moves partitions' `resolved` on as the app processes
// messages. Each handler call runs under the max poll interval (poll-timeout.ts). Sessions are
// the runner's, commits the offset manager's, pause and seek requests the consumer's.
import { ErrorCode } from "../../protocol/errors.ts";
import { KafkaJSError, KafkaJSProtocolError } from "../errors.ts";
import { consumerEvents } from "../events.ts";
import type { InstrumentationEmitter } from "../instrumentation.ts";
import type { Logger } from "../logger.ts";
import type { Offsets } from "../types.ts";
import type { Batch } from "./batch.ts";
import type { PendingBatch } from "./fetcher.ts";
import type { OffsetManager } from "./offset-manager.ts";
import type { PartitionState, PauseState } from "./partition-state.ts";
import type { PollTimeout } from "./poll-timeout.ts";
import type { Session } from "./session.ts";
import { type Signal, Slots } from "./signals.ts";
import type { ConsumerEvents, EachBatchHandler, EachMessageHandler, IBatchProcessEvent } from "./types.ts";

export interface DeliveryOptions {
  logger: Logger;
  emitter: InstrumentationEmitter<ConsumerEvents>;
  /** A group member's handler learns of a rebalance from heartbeat(); a standalone consumer's never does. */
  inGroup: boolean;
  pauses: PauseState;
  seeks: Map<string, { topic: string; partition: number; offset: bigint }>;
  run: {
    eachMessage: EachMessageHandler | null;
    eachBatch: EachBatchHandler | null;
    eachBatchAutoResolve: boolean;
    concurrency: number;
  };
  offsetManager: OffsetManager;
  /** Each handler call runs under the max poll interval (a member that stalls leaves its group). */
  pollTimeout: PollTimeout;
  isRunning(): boolean;
  /** Wakes fetch loops idling with nothing to fetch (a partition resumed). */
  wake(): void;
  /** A whole fetch was handed over without error: earlier failures are behind us. */
  onHandedOver(): void;
}

export class Delivery {
  private readonly slots: Slots;
  private readonly delivering = new Map<string, Promise<void>>();

  constructor(private readonly options: DeliveryOptions) {
    this.slots = new Slots(Math.max(1, options.run.concurrency));
  }

  /** The batch of the partition being handed to the app, if any. */
  inProgress(key: string): Promise<void> | undefined {
    return this.delivering.get(key);
  }

  /** The fetcher's batches of one fetch, handed over; resolves once every one is processed. */
  async process(session: Session, round: Signal, batches: PendingBatch[]): Promise<void> {
    if (batches.length === 0) return;
    let firstError: unknown;
    await Promise.all(
      batches.map((pending) =>
        this.slots
          .run(() => this.processBatch(session, round, pending))
          .catch((error: unknown) => {
            firstError ??= error;
          }),
      ),
    );
    if (firstError !== undefined) throw firstError;
    this.options.onHandedOver();
  }

  /** Remembers the delivery in progress of each partition, which a cooperative revocation waits for. */
  private processBatch(session: Session, round: Signal, pending: PendingBatch): Promise<void> {
    const { key } = pending.state;
    const delivery = this.deliverPending(session, round, pending);
    this.delivering.set(key, delivery);
    const forget = (): void => {
      if (this.delivering.get(key) === delivery) this.delivering.delete(key);
    };
    delivery.then(forget, forget);
    return delivery;
  }

  private async deliverPending(session: Session, round: Signal, { state, batch }: PendingBatch): Promise<void> {
    // Nothing reaches the app once a rebalance, a stop or a failure has begun, nor of a revoked partition.
    if (round.fired || !this.options.isRunning() || state.revoked) return;
    const { emitter, run } = this.options;
    const started = Date.now();
    const eventPayload = (): IBatchProcessEvent => ({
      topic: batch.topic,
      partition: batch.partition,
      highWatermark: batch.highWatermark,
      offsetLag: batch.offsetLag(),
      offsetLagLow: batch.offsetLagLow(),
      batchSize: batch.messages.length,
      firstOffset: batch.firstOffset() ?? batch.lastOffset(),
      lastOffset: batch.lastOffset(),
    });
    emitter.emit(consumerEvents.START_BATCH_PROCESS, eventPayload);
    if (batch.isEmptyDueToFiltering()) {
      state.resolved = batch.nextOffset();
      this.options.offsetManager.commitIfDue(session);
    } else if (run.eachMessage) {
      await this.deliverMessages(session, round, state, batch, run.eachMessage);
    } else if (run.eachBatch) {
      await this.deliverBatch(session, state, batch, run.eachBatch);
    }
    emitter.emit(consumerEvents.END_BATCH_PROCESS, () => ({ ...eventPayload(), duration: Date.now() - started }));
    this.options.offsetManager.commitAfterBatch(session);
  }

  private async deliverMessages(
    session: Session,
    round: Signal,
    state: PartitionState,
    batch: Batch,
    eachMessage: EachMessageHandler,
  ): Promise<void> {
    const { pauses, seeks } = this.options;
    const { offsetManager } = this.options;
    const { topic, partition } = state;
    const pause = this.pauseFunction(topic, partition);
    const heartbeat = this.heartbeatFunction(session);
    const messages = batch.messages;
    for (let i = 0; i < messages.length; i++) {
      if (
        round.fired ||
        !this.options.isRunning() ||
        state.revoked ||
        seeks.has(state.key) ||
        pauses.isPaused(topic, partition)
      )
        return;
      const message = messages[i]!;
      try {
        await this.options.pollTimeout.watch(session, () =>
          eachMessage({ topic, partition, message, heartbeat, pause }),
        );
      } catch (error) {
        if (!(error instanceof KafkaJSError)) {
          this.options.logger.error("Error when calling eachMessage", {
            topic,
            partition,
            offset: message.offset,
            error: (error as Error)?.message,
          });
        }
        // What was processed before the failing message is committed (kafkajs).
        await this.options.offsetManager.autoCommitQuietly(session);
        throw error;
      }
      state.resolved = BigInt(message.offset) + 1n;
      offsetManager.commitIfDue(session);
    }
    // Every message handed over: step over what followed them in the batch (transaction markers).
    state.resolved = batch.nextOffset() ?? state.resolved;
  }

  private async deliverBatch(
    session: Session,
    state: PartitionState,
    batch: Batch,
    eachBatch: EachBatchHandler,
  ): Promise<void> {
    const { seeks } = this.options;
    const lastMessage = batch.messages[batch.messages.length - 1];
    try {
      await this.options.pollTimeout.watch(session, () =>
        eachBatch({
          batch,
          resolveOffset: (offset) => {
            // Resolving the last message steps over control records after it too (kafkajs).
            const value =
              lastMessage !== undefined && String(offset) === lastMessage.offset
                ? batch.lastOffsetValue()
                : BigInt(offset);
            state.resolved = value + 1n;
          },
          heartbeat: this.heartbeatFunction(session),
          pause: this.pauseFunction(state.topic, state.partition),
          commitOffsetsIfNecessary: async (offsets?: Offsets) => {
            if (offsets) await this.options.offsetManager.commitGiven(session, offsets);
            else if (this.options.offsetManager.commitDue(session))
              await this.options.offsetManager.autoCommit(session);
          },
          uncommittedOffsets: () => this.options.offsetManager.uncommittedOffsets(session),
          isRunning: () => this.options.isRunning(),
          isStale: () => session.ended || state.revoked || seeks.has(state.key),
        }),
      );
    } catch (error) {
      if (!(error instanceof KafkaJSError)) {
        this.options.logger.error("Error when calling eachBatch", {
          topic: batch.topic,
          partition: batch.partition,
          offset: batch.firstOffset(),
          error: (error as Error)?.message,
        });
      }
      await this.options.offsetManager.autoCommitQuietly(session);
      throw error;
    }
    // A batch cut short by a rebalance or a seek is not marked processed.
    if (this.options.run.eachBatchAutoResolve && !session.ended && !state.revoked && !seeks.has(state.key))
      state.resolved = batch.lastOffsetValue() + 1n;
  }

  private pauseFunction(topic: string, partition: number): () => () => void {
    return () => {
      this.options.pauses.pause([{ topic, partitions: [partition] }]);
      return () => {
        this.options.pauses.resume([{ topic, partitions: [partition] }]);
        this.options.wake();
      };
    };
  }

  /** Heartbeats are sent by their own timer; this one reports a rebalance to a handler that asks, as kafkajs's does. */
  private heartbeatFunction(session: Session): () => Promise<void> {
    return async () => {
      if (session.ended && this.options.inGroup)
        throw new KafkaJSProtocolError(ErrorCode.REBALANCE_IN_PROGRESS, "the group is rebalancing");
    };
  }
}
