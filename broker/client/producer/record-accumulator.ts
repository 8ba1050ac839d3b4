// The record accumulator (the Java producer's name for it): sends wait here, per partition, until
// the sender takes them. send() appends one slice per partition (that send's messages for it) to
// the partition's queue; the sender then has the accumulator turn a ready partition's queued
// slices into one record batch: several sends' slices merge, in order, up to maxBatchBytes. Each
// send resolves once every one of its slices has an offset.
//
// Ownership: the accumulator owns the partition queues (their slices and how many must go alone)
// and which partitions are ready. A queue's count of batches in flight is counted up here as a
// batch is built and down by the sender once the batch is answered for good; its batches waiting
// to be resent, and every batch's retry count and delay, are the sender's. Sequence numbers are
// SequenceNumbers' (idempotent producer only).
import { BATCH_HEADER_SIZE } from "../../protocol/record-batch/layout.ts";
import { KafkaJSNonRetriableError } from "../errors.ts";
import { BatchBuffers } from "./batch-buffers.ts";
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
import type { SequenceNumbers } from "./sequence-numbers.ts";
import type { Message, RecordMetadata } from "./types.ts";

export interface SendOptions {
  acks: number;
  timeout: number;
  compression: number;
}

/** One send() or sendBatch() call, resolved when all of its slices have their offsets. */
export class PendingSend {
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

export interface Slice extends RecordSource {
  readonly send: PendingSend;
  /** Where this slice's RecordMetadata goes in the send's result. */
  readonly resultIndex: number;
  readonly options: SendOptions;
}

export class PartitionQueue {
  slices: Slice[] = [];
  /** slices[0..head) are already in batches. */
  head = 0;
  /** Batches whose backoff is over, to resend before anything new (the sender's). */
  readonly retries: ProduceBatch[] = [];
  /** Batches built and not yet answered for good (sent, or waiting to be resent). */
  inFlight = 0;
  /** How many slices at the head must each go in a batch of their own (see requeueOneByOne). */
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

export class ProduceBatch {
  /** The sender's: how often the batch has been resent, and the delay before its next resend. */
  retryCount = 0;
  retryTime = 0;

  constructor(
    readonly queue: PartitionQueue,
    readonly slices: Slice[],
    /** Offset delta of each slice's first record within the batch. */
    readonly firstOffsets: number[],
    readonly recordCount: number,
    readonly options: SendOptions,
    readonly baseSequence: number,
    /** The producer id generation the batch was encoded under (see SequenceNumbers). */
    readonly generation: number,
    /** The encoded batch; compressed ones are still being compressed. */
    readonly records: Buffer | Promise<Buffer>,
    /** The pooled buffer `records` was written into, to give back once the batch is answered. */
    readonly pooled: Buffer | undefined,
  ) {}
}

export interface RecordAccumulatorOptions {
  maxBatchBytes: number;
  /**
   * Idempotent only: sequence numbers for each batch, and at most one batch per partition in
   * flight (the partition is muted until its batch's answer, as the Java producer mutes it).
   */
  sequences: SequenceNumbers<PartitionQueue> | null;
  /** Batches are part of transactions (attributes bit 4). */
  transactional?: boolean;
  /** A partition became ready: the sender schedules a flush. */
  onReady(): void;
}

export class RecordAccumulator {
  private readonly queues = new Map<string, Map<number, PartitionQueue>>();
  /** Partitions with work a flush may take. */
  private readonly ready = new Set<PartitionQueue>();
  /** Uncompressed batches' buffers; the sender gives a batch's back once the broker answered it. */
  readonly buffers: BatchBuffers;

  constructor(private readonly options: RecordAccumulatorOptions) {
    this.buffers = new BatchBuffers(BATCH_HEADER_SIZE + options.maxBatchBytes);
  }

  queueFor(topic: string, partition: number): PartitionQueue {
    let partitions = this.queues.get(topic);
    if (!partitions) this.queues.set(topic, (partitions = new Map()));
    let queue = partitions.get(partition);
    if (!queue) partitions.set(partition, (queue = new PartitionQueue(topic, partition)));
    return queue;
  }

  /** Queues a send's messages, one slice per partition; resolves with each slice's RecordMetadata. */
  append(
    parts: { queue: PartitionQueue; messages: Message[] }[],
    options: SendOptions,
    defaultTimestamp: number,
  ): Promise<RecordMetadata[]> {
    return new Promise<RecordMetadata[]>((resolve, reject) => {
      const send = new PendingSend(parts.length, options.acks !== 0, resolve, reject);
      parts.forEach(({ queue, messages }, resultIndex) => {
        queue.slices.push({ send, resultIndex, options, messages, defaultTimestamp });
        this.markReady(queue);
      });
    });
  }

  /** Whether the partition waits for its batch in flight before sending more (idempotent). */
  isMuted(queue: PartitionQueue): boolean {
    return this.options.sequences !== null && queue.inFlight > 0 && queue.retries.length === 0;
  }

  markReady(queue: PartitionQueue): void {
    // A muted partition's answer makes it ready again.
    if (this.isMuted(queue)) return;
    this.ready.add(queue);
    this.options.onReady();
  }

  readyQueues(): PartitionQueue[] {
    return [...this.ready];
  }

  unready(queue: PartitionQueue): void {
    this.ready.delete(queue);
  }

  get hasReady(): boolean {
    return this.ready.size > 0;
  }

  /**
   * One batch from the queue's head: the next slices sharing the first one's send options, as many
   * as fit in maxBatchBytes. Slices of sends already failed are dropped. Null if none is left.
   */
  buildBatch(queue: PartitionQueue): ProduceBatch | null {
    const { sequences, maxBatchBytes } = this.options;
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
    const baseSequence = sequences ? sequences.take(queue, layout.recordCount) : -1;
    const fields: BatchHeaderFields = {
      compression: options.compression,
      producerId: sequences ? sequences.identity.producerId : -1n,
      producerEpoch: sequences ? sequences.identity.producerEpoch : -1,
      baseSequence,
      transactional: this.options.transactional === true,
    };
    // Encoding fails only on values that cannot be written: resending would not help.
    const unencodable = (error: unknown): never => {
      throw new KafkaJSNonRetriableError(error instanceof Error ? error : String(error), { cause: error });
    };
    let records: Buffer | Promise<Buffer>;
    let pooled: Buffer | undefined;
    try {
      const codec = codecFor(options.compression);
      if (codec) {
        const section = encodeRecordsSection(sources, first, layout);
        records = codec
          .compress({ buffer: section })
          .then((compressed) => wrapCompressedRecords(compressed, layout, fields), unencodable);
      } else {
        pooled = this.buffers.take(BATCH_HEADER_SIZE + layout.recordsSize);
        records = encodeUncompressedBatch(sources, first, layout, fields, pooled);
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
      sequences ? sequences.generation : 0,
      records,
      pooled,
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

  /**
   * A batch merged from several sends was too large for the broker (a topic's max.message.bytes
   * below maxBatchBytes): its sends still waiting go back to the head of the queue, each to be sent
   * in a batch of its own, as kafkajs would have sent it, so only a send too large by itself fails.
   */
  requeueOneByOne(batch: ProduceBatch): void {
    const { queue } = batch;
    const live = batch.slices.filter((slice) => !slice.send.isSettled);
    queue.slices = [...live, ...queue.slices.slice(queue.head)];
    queue.head = 0;
    queue.soloSlices += live.length;
    if (queue.hasWork) this.markReady(queue);
  }

  /** Every partition's batches waiting to be resent go to `abandon`, and its queued sends fail with `error`. */
  close(error: Error, abandon: (batch: ProduceBatch) => void): void {
    for (const partitions of this.queues.values()) {
      for (const queue of partitions.values()) {
        for (const batch of queue.retries.splice(0)) abandon(batch);
        for (let i = queue.head; i < queue.slices.length; i++) queue.slices[i]!.send.fail(error);
        queue.slices = [];
        queue.head = 0;
      }
    }
    this.ready.clear();
  }
}

function sameOptions(a: SendOptions, b: SendOptions): boolean {
  return a === b || (a.acks === b.acks && a.timeout === b.timeout && a.compression === b.compression);
}
