// Gathers concurrent sends into one Produce request per broker and sees each batch through to an
// answer: retriable failures refresh metadata and resend the same encoded batch after a backoff
// (so an idempotent batch keeps its sequence numbers and the broker drops a duplicate), others
// reject the sends whose records the batch carried.
//
// How a send travels: send() picks each message's partition at once and appends one slice (that
// send's messages for the partition) to the partition's queue. A flush, at the next turn of the
// event loop (or after `linger` ms), turns each ready partition's queued slices into one record
// batch (several sends' slices merge, up to maxBatchBytes) and groups the batches by leader into
// Produce requests. Each send resolves once every one of its slices has an offset.
//
// Ownership: the sender owns the partition queues, the batches in flight and their retry timers.
// Metadata belongs to the Cluster; the sender only asks it to refresh.
import { Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { ProduceResponse, ProduceResponsePartitionProduceResponse } from "../../protocol/messages/index.ts";
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
import { codecFor } from "./compression.ts";
import {
  type BatchHeaderFields,
  encodeRecordsSection,
  encodeUncompressedBatch,
  layoutRecords,
  type RecordSource,
  type RecordsLayout,
  wrapCompressedRecords,
} from "./record-batch-encoder.ts";
import type { Message, PartitionerArgs, ProducerEvents, RecordMetadata, TopicMessages } from "./types.ts";

export interface RetrySchedule {
  retries: number;
  initialRetryTime: number;
  maxRetryTime: number;
  factor: number;
  multiplier: number;
}

export interface ProducerIdentity {
  producerId: bigint;
  producerEpoch: number;
}

export interface BatchSenderOptions {
  cluster: Cluster;
  logger: Logger;
  instrumentation: InstrumentationEmitter<ProducerEvents>;
  clientId: string;
  partitioner: (args: PartitionerArgs) => number;
  retry: RetrySchedule;
  /** Idempotent: at most one batch per partition in flight, sequence numbers from `identity`. */
  idempotent: boolean;
  identity: ProducerIdentity;
  /** Idempotent: fetches a new producer id into `identity` (see `identityInDoubt`). */
  renewIdentity?: () => Promise<void>;
  maxInFlightRequests: number;
  linger: number;
  maxBatchBytes: number;
  metadataMaxAge: number;
}

export interface SendOptions {
  acks: number;
  timeout: number;
  compression: number;
}

const SEQUENCE_LIMIT = 2 ** 31;

/** One send() or sendBatch() call, resolved when all of its slices have their offsets. */
class PendingSend {
  private readonly results: RecordMetadata[];
  private outstanding: number;
  private settled = false;

  constructor(
    parts: number,
    private readonly expectsMetadata: boolean,
    private readonly resolve: (results: RecordMetadata[]) => void,
    private readonly reject: (error: Error) => void,
  ) {
    this.results = new Array<RecordMetadata>(parts);
    this.outstanding = parts;
    if (parts === 0) this.finish();
  }

  get isSettled(): boolean {
    return this.settled;
  }

  deliver(index: number, metadata: RecordMetadata | undefined): void {
    if (this.settled) return;
    if (metadata) this.results[index] = metadata;
    if (--this.outstanding === 0) this.finish();
  }

  fail(error: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.reject(error);
  }

  private finish(): void {
    this.settled = true;
    this.resolve(this.expectsMetadata ? this.results : []);
  }
}

interface Slice extends RecordSource {
  readonly send: PendingSend;
  /** Where this slice's RecordMetadata goes in the send's result. */
  readonly resultIndex: number;
  readonly options: SendOptions;
}

class PartitionQueue {
  slices: Slice[] = [];
  /** slices[0..head) are already in batches. */
  head = 0;
  /** Batches whose backoff is over, to resend before anything new. */
  readonly retries: ProduceBatch[] = [];
  /** Batches built and not yet answered for good (sent, or waiting to be resent). */
  inFlight = 0;
  nextSequence = 0;
  /** How many slices at the head must each go in a batch of their own (see splitBatch). */
  soloSlices = 0;

  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {}

  get hasWork(): boolean {
    return this.head < this.slices.length || this.retries.length > 0;
  }

  /** Drops every queued slice whose send has already failed. */
  dropSettled(): void {
    this.slices = this.slices.slice(this.head).filter((slice) => !slice.send.isSettled);
    this.head = 0;
    this.soloSlices = Math.min(this.soloSlices, this.slices.length);
  }

  /** Drops the slices at the head whose sends have already failed (on another partition). */
  dropSettledHead(): void {
    let settled = 0;
    while (this.head + settled < this.slices.length && this.slices[this.head + settled]!.send.isSettled) settled++;
    if (settled > 0) this.take(settled);
  }

  take(count: number): Slice[] {
    const taken = this.slices.slice(this.head, this.head + count);
    this.head += count;
    if (this.head === this.slices.length) {
      this.slices = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.slices.length) {
      this.slices = this.slices.slice(this.head);
      this.head = 0;
    }
    return taken;
  }
}

class ProduceBatch {
  retryCount = 0;

  constructor(
    readonly queue: PartitionQueue,
    readonly slices: Slice[],
    /** Offset delta of each slice's first record within the batch. */
    readonly firstOffsets: number[],
    readonly recordCount: number,
    readonly options: SendOptions,
    readonly baseSequence: number,
    /** The sender's identity generation the batch was encoded under. */
    readonly generation: number,
    /** The encoded batch; compressed ones are still being compressed. */
    readonly records: Buffer | Promise<Buffer>,
    public retryTime: number,
  ) {}
}

interface OutgoingRequest {
  nodeId: number;
  options: SendOptions;
  batches: ProduceBatch[];
}

const tooLarge = new Set<number>([ErrorCode.MESSAGE_TOO_LARGE, ErrorCode.RECORD_LIST_TOO_LARGE]);

const jitter = (time: number, factor: number): number => Math.ceil(time * (1 - factor + Math.random() * 2 * factor));

export class BatchSender {
  private readonly queues = new Map<string, Map<number, PartitionQueue>>();
  /** Partitions with work a flush may take. */
  private readonly ready = new Set<PartitionQueue>();
  private readonly requestsInFlight = new Map<number, number>();
  /** Batches waiting out their backoff. */
  private readonly retryTimers = new Map<NodeJS.Timeout, ProduceBatch>();
  private flushTimer: NodeJS.Immediate | NodeJS.Timeout | undefined;
  private metadataStale = false;
  private metadataLoadedAt = Date.now();
  private refreshing: Promise<void> | undefined;
  private closed = false;

  /**
   * Idempotent only. A batch given up after a retriable failure may have been written (the
   * request timed out or the connection broke after the broker appended it). Reusing its sequence
   * numbers would make the broker take the next, different records for a duplicate of it and drop
   * them while acknowledging: so instead the producer gets a new id and every partition's
   * sequence starts again at 0 (what the Java producer does before epoch bumps existed).
   */
  private identityInDoubt = false;
  private generation = 0;

  constructor(private readonly options: BatchSenderOptions) {}

  /** Accepts sends again after close(). */
  open(): void {
    this.closed = false;
    this.metadataLoadedAt = Date.now();
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
    for (const partitions of this.queues.values()) {
      for (const queue of partitions.values()) {
        for (const batch of queue.retries.splice(0)) this.abandonBatch(batch, error, { written: "maybe" });
        for (let i = queue.head; i < queue.slices.length; i++) queue.slices[i]!.send.fail(error);
        queue.slices = [];
        queue.head = 0;
      }
    }
    this.ready.clear();
  }

  /** Partitions the messages now (metadata for every topic must be loaded) and queues them. */
  send(topicMessages: TopicMessages[], options: SendOptions): Promise<RecordMetadata[]> {
    const { cluster, partitioner } = this.options;
    const defaultTimestamp = Date.now();
    const parts: { queue: PartitionQueue; messages: Message[] }[] = [];
    for (const { topic, messages } of topicMessages) {
      if (messages.length === 0) continue;
      const partitionMetadata = cluster.topicMetadata(topic).partitions;
      const byPartition = new Map<number, Message[]>();
      for (const message of messages) {
        const partition = Number(partitioner({ topic, partitionMetadata, message }));
        const group = byPartition.get(partition);
        if (group) group.push(message);
        else byPartition.set(partition, [message]);
      }
      const partitions = [...byPartition.keys()].sort((a, b) => a - b);
      for (const partition of partitions)
        parts.push({ queue: this.queueFor(topic, partition), messages: byPartition.get(partition)! });
    }
    return new Promise<RecordMetadata[]>((resolve, reject) => {
      const send = new PendingSend(parts.length, options.acks !== 0, resolve, reject);
      parts.forEach(({ queue, messages }, resultIndex) => {
        queue.slices.push({ send, resultIndex, options, messages, defaultTimestamp });
        this.markReady(queue);
      });
    });
  }

  private queueFor(topic: string, partition: number): PartitionQueue {
    let partitions = this.queues.get(topic);
    if (!partitions) this.queues.set(topic, (partitions = new Map()));
    let queue = partitions.get(partition);
    if (!queue) partitions.set(partition, (queue = new PartitionQueue(topic, partition)));
    return queue;
  }

  private markReady(queue: PartitionQueue): void {
    // An idempotent partition waits for its batch in flight; its answer makes it ready again.
    if (this.options.idempotent && queue.inFlight > 0 && queue.retries.length === 0) return;
    this.ready.add(queue);
    this.scheduleFlush();
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
    if (this.identityInDoubt && !(await this.renewIdentity())) return;
    const { maxInFlightRequests, idempotent } = this.options;
    const requests = new Map<string, OutgoingRequest>();
    const newRequests = new Map<number, number>();
    const deferred = new Map<number, number>();
    let moreWork = false;

    for (const queue of [...this.ready]) {
      queue.dropSettledHead();
      if (!queue.hasWork || (idempotent && queue.inFlight > 0 && queue.retries.length === 0)) {
        this.ready.delete(queue);
        continue;
      }
      const route = this.leaderOf(queue);
      if (route instanceof Error) {
        const batch = queue.retries.shift() ?? this.buildBatch(queue);
        if (!queue.hasWork || idempotent) this.ready.delete(queue);
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
      const batch = queue.retries.shift() ?? this.buildBatch(queue);
      if (batch) request.batches.push(batch);
      if (!queue.hasWork || idempotent) this.ready.delete(queue);
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

  /** True when a new producer id is in place; on failure, tries again at the next flush. */
  private async renewIdentity(): Promise<boolean> {
    try {
      await this.options.renewIdentity!();
    } catch (error) {
      this.options.logger.warn(`Failed to renew the producer id: ${(error as Error).message}`);
      setTimeout(() => this.scheduleFlush(), this.options.retry.initialRetryTime);
      return false;
    }
    this.identityInDoubt = false;
    this.generation++;
    for (const partitions of this.queues.values()) for (const queue of partitions.values()) queue.nextSequence = 0;
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

  /**
   * One batch from the queue's head: the next slices sharing the first one's send options, as many
   * as fit in maxBatchBytes. Slices of sends already failed are dropped. Null if none is left.
   */
  private buildBatch(queue: PartitionQueue): ProduceBatch | null {
    const { idempotent, identity, maxBatchBytes, retry } = this.options;
    queue.dropSettledHead();
    if (queue.head >= queue.slices.length) return null;
    const options = queue.slices[queue.head]!.options;
    let end = queue.head + 1;
    while (end < queue.slices.length && sameOptions(queue.slices[end]!.options, options)) end++;
    let layout: RecordsLayout;
    try {
      layout = layoutRecords(queue.slices, queue.head, end, queue.soloSlices > 0 ? 0 : maxBatchBytes);
    } catch (error) {
      this.failUnencodable(queue, end, error);
      return this.buildBatch(queue);
    }
    if (queue.soloSlices > 0) queue.soloSlices--;
    const sources = queue.slices;
    const first = queue.head;
    const slices = queue.take(layout.sourceCount);

    const firstOffsets = new Array<number>(slices.length);
    let offset = 0;
    for (let i = 0; i < slices.length; i++) {
      firstOffsets[i] = offset;
      offset += slices[i]!.messages.length;
    }
    let baseSequence = -1;
    if (idempotent) {
      baseSequence = queue.nextSequence;
      queue.nextSequence = (baseSequence + layout.recordCount) % SEQUENCE_LIMIT;
    }
    const fields: BatchHeaderFields = {
      compression: options.compression,
      producerId: idempotent ? identity.producerId : -1n,
      producerEpoch: idempotent ? identity.producerEpoch : -1,
      baseSequence,
    };
    // Encoding fails only on values that cannot be written: resending would not help.
    const unencodable = (error: unknown): never => {
      throw new KafkaJSNonRetriableError(error instanceof Error ? error : String(error), { cause: error });
    };
    let records: Buffer | Promise<Buffer>;
    try {
      const codec = codecFor(options.compression);
      if (codec) {
        const section = encodeRecordsSection(sources, first, layout);
        records = codec
          .compress({ buffer: section })
          .then((compressed) => wrapCompressedRecords(compressed, layout, fields), unencodable);
      } else {
        records = encodeUncompressedBatch(sources, first, layout, fields);
      }
    } catch (error) {
      records = Promise.resolve().then(() => unencodable(error));
    }
    // The batch may wait (a backoff) before anyone awaits it: its failure is not unhandled meanwhile.
    if (!Buffer.isBuffer(records)) records.catch(() => undefined);
    queue.inFlight++;
    return new ProduceBatch(
      queue,
      slices,
      firstOffsets,
      layout.recordCount,
      options,
      baseSequence,
      this.generation,
      records,
      jitter(retry.initialRetryTime, retry.factor),
    );
  }

  /** Fails the sends among slices[head..end) whose messages cannot be encoded (all of them if none alone fails), and drops them. */
  private failUnencodable(queue: PartitionQueue, end: number, error: unknown): void {
    const invalid = (cause: unknown) =>
      new KafkaJSNonRetriableError(`Invalid message: ${(cause as Error).message}`, { cause });
    let failed = 0;
    for (let i = queue.head; i < end; i++) {
      try {
        layoutRecords(queue.slices, i, i + 1, Infinity);
      } catch (sliceError) {
        queue.slices[i]!.send.fail(invalid(sliceError));
        failed++;
      }
    }
    if (failed === 0) for (let i = queue.head; i < end; i++) queue.slices[i]!.send.fail(invalid(error));
    queue.dropSettled();
  }

  private async sendRequest(request: OutgoingRequest): Promise<void> {
    const { nodeId, options, batches } = request;
    const { cluster } = this.options;
    this.requestsInFlight.set(nodeId, (this.requestsInFlight.get(nodeId) ?? 0) + 1);
    let connection: BrokerConnection | undefined;
    let response: ProduceResponse | undefined;
    let failure: Error | undefined;
    try {
      const encoded = await Promise.all(batches.map((batch) => batch.records));
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
          transactionalId: null,
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
    if (this.ready.size > 0) this.scheduleFlush();
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
    if (queue.hasWork) this.markReady(queue);
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
    batch.retryTime = Math.min(jitter(batch.retryTime, retry.factor) * retry.multiplier, retry.maxRetryTime);
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      queue.retries.push(batch);
      this.markReady(queue);
    }, delay);
    this.retryTimers.set(timer, batch);
  }

  /**
   * A batch merged from several sends was too large for the broker (a topic's max.message.bytes
   * below maxBatchBytes): each send goes again in a batch of its own, as kafkajs would have sent
   * it, so only a send that is too large by itself fails.
   */
  private splitBatch(batch: ProduceBatch): void {
    const { queue } = batch;
    this.options.logger.warn(
      `Batch of ${batch.slices.length} sends too large for ${queue.topic}-${queue.partition}: sending them one by one`,
    );
    this.releaseBatch(batch);
    const live = batch.slices.filter((slice) => !slice.send.isSettled);
    queue.slices = [...live, ...queue.slices.slice(queue.head)];
    queue.head = 0;
    queue.soloSlices += live.length;
    if (queue.hasWork) this.markReady(queue);
  }

  /** The batch is done with (its records will not be sent as this batch again). */
  private releaseBatch(batch: ProduceBatch, written: "no" | "maybe" = "no"): void {
    const { queue } = batch;
    queue.inFlight--;
    if (!this.options.idempotent || batch.generation !== this.generation) return;
    if (written === "maybe" && this.options.renewIdentity) {
      this.identityInDoubt = true;
      return;
    }
    // The sequence numbers were never acknowledged: the next batch reuses them, or the broker
    // would see a gap. (Nothing after this batch has sequences yet: one batch in flight.)
    if (queue.nextSequence === (batch.baseSequence + batch.recordCount) % SEQUENCE_LIMIT) {
      queue.nextSequence = batch.baseSequence;
    }
  }

  /** The batch will not be sent again: its sends fail with `error`. */
  private abandonBatch(batch: ProduceBatch, error: Error, { written }: { written: "no" | "maybe" }): void {
    const { queue } = batch;
    this.releaseBatch(batch, written);
    for (const slice of batch.slices) slice.send.fail(error);
    if (queue.hasWork) this.markReady(queue);
  }

  private brokerAddress(nodeId: number): string {
    const broker = this.options.cluster.brokers.find((b) => b.nodeId === nodeId);
    return broker ? `${broker.host}:${broker.port}` : `node ${nodeId}`;
  }
}

function sameOptions(a: SendOptions, b: SendOptions): boolean {
  return a === b || (a.acks === b.acks && a.timeout === b.timeout && a.compression === b.compression);
}
