// The sender (the Java producer's name for it): gathers the accumulator's ready partitions into
// one Produce request per broker and sees each batch through to an answer. Retriable failures
// refresh metadata and resend the same encoded batch after a backoff (so an idempotent batch keeps
// its sequence numbers and the broker drops a duplicate); others reject the sends whose records
// the batch carried.
//
// How a send travels: send() picks each message's partition at once and appends the send to the
// accumulator (record-accumulator.ts). A flush, at the next turn of the event loop (or after
// `linger` ms), has each ready partition's queued sends made into a batch, groups the batches by
// leader into Produce requests (at most maxInFlightRequests per broker), and settles each batch
// from its partition's answer.
//
// A transactional sender (transactional options) flags its batches transactional, names the
// transactional id in its Produce requests and has the transaction manager add each request's
// partitions to the transaction before the request goes out.
//
// Ownership: the sender owns the requests in flight, the batches waiting out their backoff (and
// every batch's retry count and delay), the flush timer and when metadata was last loaded. Queued
// sends are the accumulator's, sequence numbers SequenceNumbers'; metadata belongs to the Cluster,
// which the sender only asks to refresh.
import { Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { ProduceResponse, ProduceResponsePartitionProduceResponse } from "../../protocol/messages/index.ts";
import { Backoff, type BackoffOptions } from "../backoff.ts";
import type { Cluster } from "../cluster.ts";
import {
  isRetriable,
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
} from "../errors.ts";
import { producerEvents } from "../events.ts";
import type { InstrumentationEmitter } from "../instrumentation.ts";
import type { Logger } from "../logger.ts";
import type { BrokerConnection } from "../network/broker-connection.ts";
import { type PartitionQueue, type ProduceBatch, RecordAccumulator, type SendOptions } from "./record-accumulator.ts";
import { type ProducerIdentity, SequenceNumbers } from "./sequence-numbers.ts";
import type { Message, PartitionerArgs, ProducerEvents, RecordMetadata, TopicMessages } from "./types.ts";

export type { SendOptions } from "./record-accumulator.ts";

export interface RetrySchedule extends BackoffOptions {
  retries: number;
}

export interface SenderOptions {
  cluster: Cluster;
  logger: Logger;
  instrumentation: InstrumentationEmitter<ProducerEvents>;
  clientId: string;
  partitioner: (args: PartitionerArgs) => number;
  retry: RetrySchedule;
  /** Idempotent: at most one batch per partition in flight, sequence numbers from `identity`. */
  idempotent: boolean;
  identity: ProducerIdentity;
  /** Idempotent: fetches a new producer id into `identity` (see SequenceNumbers.inDoubt). */
  renewIdentity?: () => Promise<void>;
  maxInFlightRequests: number;
  /**
   * Transactional: batches are flagged transactional, Produce requests carry the id, and
   * `beforeProduce` adds a request's partitions to the transaction before it goes out.
   */
  transactional?: {
    transactionalId: string;
    beforeProduce(batches: readonly ProduceBatch[]): Promise<void>;
  };
  linger: number;
  maxBatchBytes: number;
  metadataMaxAge: number;
}

interface OutgoingRequest {
  nodeId: number;
  options: SendOptions;
  batches: ProduceBatch[];
}

const tooLarge = new Set<number>([ErrorCode.MESSAGE_TOO_LARGE, ErrorCode.RECORD_LIST_TOO_LARGE]);

export class Sender {
  private readonly accumulator: RecordAccumulator;
  /** Idempotent only. */
  private readonly sequences: SequenceNumbers<PartitionQueue> | null;
  private readonly backoff: Backoff;
  private readonly requestsInFlight = new Map<number, number>();
  /** Batches waiting out their backoff. */
  private readonly retryTimers = new Map<NodeJS.Timeout, ProduceBatch>();
  private flushTimer: NodeJS.Immediate | NodeJS.Timeout | undefined;
  private metadataStale = false;
  private metadataLoadedAt = Date.now();
  private refreshing: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly options: SenderOptions) {
    this.sequences = options.idempotent
      ? new SequenceNumbers<PartitionQueue>(options.identity, options.renewIdentity !== undefined)
      : null;
    this.accumulator = new RecordAccumulator({
      maxBatchBytes: options.maxBatchBytes,
      sequences: this.sequences,
      transactional: options.transactional !== undefined,
      onReady: () => this.scheduleFlush(),
    });
    this.backoff = new Backoff(options.retry);
  }

  /** Accepts sends again after close(). */
  open(): void {
    this.closed = false;
    this.metadataLoadedAt = Date.now();
  }

  /** A new producer id or epoch is in the identity (a transactional producer's InitProducerId): sequences restart at 0. */
  renewSequences(): void {
    this.sequences?.renewed();
  }

  /** Fails every send not yet answered with `error` and stops retrying. Requests on the wire fail as their connections close. */
  close(error: Error): void {
    this.closed = true;
    if (this.flushTimer) {
      clearImmediate(this.flushTimer as NodeJS.Immediate);
      clearTimeout(this.flushTimer as NodeJS.Timeout);
      this.flushTimer = undefined;
    }
    for (const [timer, batch] of this.retryTimers) {
      clearTimeout(timer);
      this.abandonBatch(batch, error, { written: "maybe" });
    }
    this.retryTimers.clear();
    this.accumulator.close(error, (batch) => this.abandonBatch(batch, error, { written: "maybe" }));
  }

  /** Partitions the messages now (metadata for every topic must be loaded) and queues them. */
  send(topicMessages: TopicMessages[], options: SendOptions): Promise<RecordMetadata[]> {
    const { cluster, partitioner } = this.options;
    const defaultTimestamp = Date.now();
    const parts: { queue: PartitionQueue; messages: Message[] }[] = [];
    for (const { topic, messages } of topicMessages) {
      if (messages.length === 0) continue;
      const partitionMetadata = cluster.topicMetadata(topic).partitions;
      // Most sends go to one partition: grouping starts only at the first message that does not.
      const first = Number(partitioner({ topic, partitionMetadata, message: messages[0]! }));
      let byPartition: Map<number, Message[]> | undefined;
      for (let i = 1; i < messages.length; i++) {
        const message = messages[i]!;
        const partition = Number(partitioner({ topic, partitionMetadata, message }));
        if (byPartition === undefined) {
          if (partition === first) continue;
          byPartition = new Map([[first, messages.slice(0, i)]]);
        }
        const group = byPartition.get(partition);
        if (group) group.push(message);
        else byPartition.set(partition, [message]);
      }
      // The caller may reuse its array once send() returns: the queue keeps a copy.
      if (byPartition === undefined) byPartition = new Map([[first, messages.slice()]]);
      const partitions = [...byPartition.keys()].sort((a, b) => a - b);
      for (const partition of partitions)
        parts.push({ queue: this.accumulator.queueFor(topic, partition), messages: byPartition.get(partition)! });
    }
    return this.accumulator.append(parts, options, defaultTimestamp);
  }

  private scheduleFlush(): void {
    if (this.flushTimer || this.closed) return;
    const run = (): void => {
      this.flushTimer = undefined;
      this.flush().catch((error: unknown) =>
        this.options.logger.error("produce flush failed", {
          error: (error as Error).message,
          stack: (error as Error).stack,
        }),
      );
    };
    this.flushTimer = this.options.linger > 0 ? setTimeout(run, this.options.linger) : setImmediate(run);
  }

  private async flush(): Promise<void> {
    await this.freshMetadata();
    if (this.closed) return;
    if (this.sequences?.inDoubt && !(await this.renewIdentity())) return;
    const { maxInFlightRequests, idempotent } = this.options;
    const { accumulator } = this;
    const requests = new Map<string, OutgoingRequest>();
    const newRequests = new Map<number, number>();
    const deferred = new Map<number, number>();
    let moreWork = false;

    for (const queue of accumulator.readyQueues()) {
      queue.dropSettledHead();
      if (!queue.hasWork || accumulator.isMuted(queue)) {
        accumulator.unready(queue);
        continue;
      }
      const route = this.leaderOf(queue);
      if (route instanceof Error) {
        const batch = this.nextBatch(queue);
        if (!queue.hasWork || idempotent) accumulator.unready(queue);
        else moreWork = true;
        if (batch) this.failBatch(batch, route);
        continue;
      }
      const options = queue.retries[0]?.options ?? queue.slices[queue.head]!.options;
      const key = `${route}:${options.acks}:${options.timeout}`;
      let request = requests.get(key);
      if (!request) {
        const inFlight = (this.requestsInFlight.get(route) ?? 0) + (newRequests.get(route) ?? 0);
        if (inFlight >= maxInFlightRequests) {
          deferred.set(route, (deferred.get(route) ?? 0) + 1);
          continue;
        }
        request = { nodeId: route, options, batches: [] };
        requests.set(key, request);
        newRequests.set(route, (newRequests.get(route) ?? 0) + 1);
      }
      const batch = this.nextBatch(queue);
      if (batch) request.batches.push(batch);
      if (!queue.hasWork || idempotent) accumulator.unready(queue);
      else moreWork = true;
    }

    for (const [nodeId, queueSize] of deferred) {
      this.options.instrumentation.emit(producerEvents.REQUEST_QUEUE_SIZE, {
        broker: this.brokerAddress(nodeId),
        clientId: this.options.clientId,
        queueSize,
      });
    }
    for (const request of requests.values()) {
      if (request.batches.length > 0) {
        this.sendRequest(request).catch((error: unknown) =>
          this.options.logger.error("Produce request handling failed", {
            error: (error as Error).message,
            stack: (error as Error).stack,
          }),
        );
      }
    }
    // Partitions with more than one batch's worth go on in the next request, pipelined.
    if (moreWork) this.scheduleFlush();
  }

  /** A batch whose backoff is over goes first; else a new one from the queued sends. */
  private nextBatch(queue: PartitionQueue): ProduceBatch | null {
    const retry = queue.retries.shift();
    if (retry) return retry;
    const batch = this.accumulator.buildBatch(queue);
    if (batch) batch.retryTime = this.backoff.first();
    return batch;
  }

  /** True when a new producer id is in place; on failure, tries again at the next flush. */
  private async renewIdentity(): Promise<boolean> {
    try {
      await this.options.renewIdentity!();
    } catch (error) {
      this.options.logger.warn(`Failed to renew the producer id: ${(error as Error).message}`);
      setTimeout(() => this.scheduleFlush(), this.options.retry.initialRetryTime);
      return false;
    }
    this.sequences!.renewed();
    return true;
  }

  /** Refreshes metadata after a retriable failure or when older than metadataMaxAge; never throws. */
  private async freshMetadata(): Promise<void> {
    const aged = Date.now() - this.metadataLoadedAt > this.options.metadataMaxAge;
    if (!this.refreshing && (this.metadataStale || aged)) {
      this.metadataStale = false;
      this.refreshing = this.options.cluster
        .refreshMetadata()
        .then(
          () => {
            this.metadataLoadedAt = Date.now();
          },
          (error: unknown) => {
            this.options.logger.warn(`Failed to refresh metadata: ${(error as Error).message}`);
          },
        )
        .finally(() => {
          this.refreshing = undefined;
        });
    }
    if (this.refreshing) await this.refreshing;
  }

  private leaderOf(queue: PartitionQueue): number | KafkaJSProtocolError {
    const { cluster } = this.options;
    if (!cluster.hasTopic(queue.topic)) {
      return new KafkaJSProtocolError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `no metadata for topic ${queue.topic}`);
    }
    const partitions = cluster.topicMetadata(queue.topic).partitions;
    const metadata =
      partitions[queue.partition]?.partitionId === queue.partition
        ? partitions[queue.partition]
        : partitions.find((p) => p.partitionId === queue.partition);
    if (!metadata) {
      return new KafkaJSProtocolError(
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        `topic ${queue.topic} has no partition ${queue.partition}`,
      );
    }
    if (metadata.leader < 0)
      return new KafkaJSProtocolError(
        ErrorCode.LEADER_NOT_AVAILABLE,
        `no leader for ${queue.topic}-${queue.partition}`,
      );
    return metadata.leader;
  }

  private async sendRequest(request: OutgoingRequest): Promise<void> {
    const { nodeId, options, batches } = request;
    const { cluster, transactional } = this.options;
    this.requestsInFlight.set(nodeId, (this.requestsInFlight.get(nodeId) ?? 0) + 1);
    let connection: BrokerConnection | undefined;
    let response: ProduceResponse | undefined;
    let failure: Error | undefined;
    try {
      const encoded = await Promise.all(batches.map((batch) => batch.records));
      if (transactional) await transactional.beforeProduce(batches);
      if (this.closed) throw new KafkaJSNonRetriableError("The producer disconnected before these messages were sent");
      connection = await cluster.connectionTo(nodeId);
      if (this.closed) {
        // Connected after the producer's disconnect: this socket is nobody else's to close.
        connection.disconnect();
        throw new KafkaJSNonRetriableError("The producer disconnected before these messages were sent");
      }
      const topicData = new Map<string, { index: number; records: Buffer }[]>();
      batches.forEach((batch, i) => {
        let partitionData = topicData.get(batch.queue.topic);
        if (!partitionData) topicData.set(batch.queue.topic, (partitionData = []));
        partitionData.push({ index: batch.queue.partition, records: encoded[i]! });
      });
      response = await connection.request(
        Apis.Produce,
        {
          transactionalId: transactional ? transactional.transactionalId : null,
          acks: options.acks,
          timeoutMs: options.timeout,
          topicData: [...topicData].map(([name, partitionData]) => ({ name, partitionData })),
        },
        { expectResponse: options.acks !== 0 },
      );
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
    } finally {
      this.requestsInFlight.set(nodeId, this.requestsInFlight.get(nodeId)! - 1);
    }

    if (failure) {
      for (const batch of batches) this.failBatch(batch, failure);
    } else if (options.acks === 0) {
      for (const batch of batches) this.completeBatch(batch, undefined);
    } else {
      this.settleFromResponse(batches, response!);
    }
    if (this.accumulator.hasReady) this.scheduleFlush();
  }

  private settleFromResponse(batches: ProduceBatch[], response: ProduceResponse): void {
    const answers = new Map<string, Map<number, ProduceResponsePartitionProduceResponse>>();
    for (const topic of response.responses) {
      answers.set(topic.name, new Map(topic.partitionResponses.map((p) => [p.index, p])));
    }
    for (const batch of batches) {
      const answer = answers.get(batch.queue.topic)?.get(batch.queue.partition);
      if (!answer) {
        this.failBatch(
          batch,
          new KafkaJSError(`No response for ${batch.queue.topic}-${batch.queue.partition} in the Produce response`),
        );
      } else if (answer.errorCode === ErrorCode.NONE || answer.errorCode === ErrorCode.DUPLICATE_SEQUENCE_NUMBER) {
        this.completeBatch(batch, answer);
      } else {
        this.failBatch(batch, new KafkaJSProtocolError(answer.errorCode));
      }
    }
  }

  private completeBatch(batch: ProduceBatch, answer: ProduceResponsePartitionProduceResponse | undefined): void {
    const { queue } = batch;
    queue.inFlight--;
    // Answered: the request was written and read whole, so its buffer can take another batch
    // (with acks 0 there is no telling when the socket is done with it).
    if (answer && batch.pooled) this.accumulator.buffers.give(batch.pooled);
    if (answer) {
      const topicName = queue.topic;
      const partition = queue.partition;
      const logAppendTime = String(answer.logAppendTimeMs ?? -1n);
      const logStartOffset = String(answer.logStartOffset ?? -1n);
      batch.slices.forEach((slice, i) => {
        const baseOffset = (answer.baseOffset + BigInt(batch.firstOffsets[i]!)).toString();
        slice.send.deliver(slice.resultIndex, {
          topicName,
          partition,
          errorCode: ErrorCode.NONE,
          baseOffset,
          logAppendTime,
          logStartOffset,
        });
      });
    } else {
      for (const slice of batch.slices) slice.send.deliver(slice.resultIndex, undefined);
    }
    if (queue.hasWork) this.accumulator.markReady(queue);
  }

  private failBatch(batch: ProduceBatch, error: Error): void {
    const { retry, logger } = this.options;
    if (!this.closed && batch.slices.length > 1 && error instanceof KafkaJSProtocolError && tooLarge.has(error.code)) {
      this.splitBatch(batch);
      return;
    }
    if (this.closed || !isRetriable(error)) {
      // A non-retriable answer is the broker's refusal: nothing of the batch was written.
      this.abandonBatch(batch, error, { written: this.closed ? "maybe" : "no" });
      return;
    }
    if (batch.retryCount >= retry.retries) {
      this.abandonBatch(
        batch,
        new KafkaJSNumberOfRetriesExceeded(error, { retryCount: batch.retryCount, retryTime: batch.retryTime }),
        { written: "maybe" },
      );
      return;
    }
    const { queue } = batch;
    logger.error(`Failed to send messages: ${error.message}`, {
      topic: queue.topic,
      partition: queue.partition,
      retryCount: batch.retryCount,
      retryTime: batch.retryTime,
    });
    this.metadataStale = true;
    const delay = batch.retryTime;
    batch.retryCount++;
    batch.retryTime = this.backoff.next(batch.retryTime);
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      queue.retries.push(batch);
      this.accumulator.markReady(queue);
    }, delay);
    this.retryTimers.set(timer, batch);
  }

  /** A batch merged from several sends was too large for the broker: each send goes again on its own. */
  private splitBatch(batch: ProduceBatch): void {
    const { queue } = batch;
    this.options.logger.warn(
      `Batch of ${batch.slices.length} sends too large for ${queue.topic}-${queue.partition}: sending them one by one`,
    );
    this.releaseBatch(batch);
    this.accumulator.requeueOneByOne(batch);
  }

  /** The batch is done with (its records will not be sent as this batch again). */
  private releaseBatch(batch: ProduceBatch, written: "no" | "maybe" = "no"): void {
    batch.queue.inFlight--;
    this.sequences?.release(batch.queue, batch, written);
  }

  /** The batch will not be sent again: its sends fail with `error`. */
  private abandonBatch(batch: ProduceBatch, error: Error, { written }: { written: "no" | "maybe" }): void {
    const { queue } = batch;
    this.releaseBatch(batch, written);
    for (const slice of batch.slices) slice.send.fail(error);
    if (queue.hasWork) this.accumulator.markReady(queue);
  }

  private brokerAddress(nodeId: number): string {
    const broker = this.options.cluster.brokers.find((b) => b.nodeId === nodeId);
    return broker ? `${broker.host}:${broker.port}` : `node ${nodeId}`;
  }
}
