// What one fetch brought for one partition, in kafkajs's Batch shape (string offsets).
import type { FetchedRecords } from "./fetched-records.ts";
import type { Batch as BatchShape, KafkaMessage } from "./types.ts";

export class Batch implements BatchShape {
  readonly topic: string;
  readonly partition: number;
  readonly highWatermark: string;
  readonly messages: KafkaMessage[];
  readonly fetchedOffset: bigint;
  private readonly records: FetchedRecords;
  private readonly highWatermarkValue: bigint;

  constructor(topic: string, partition: number, fetchedOffset: bigint, highWatermark: bigint, records: FetchedRecords) {
    this.topic = topic;
    this.partition = partition;
    this.fetchedOffset = fetchedOffset;
    this.highWatermarkValue = highWatermark;
    this.highWatermark = String(highWatermark);
    this.records = records;
    this.messages = records.messages;
  }

  isEmpty(): boolean {
    return this.messages.length === 0;
  }

  /** Read records that the app does not see (transaction markers, aborted data): still to be stepped over. */
  isEmptyDueToFiltering(): boolean {
    return this.messages.length === 0 && this.records.nextOffset !== null;
  }

  firstOffset(): string | null {
    return this.records.firstOffset === null ? null : String(this.records.firstOffset);
  }

  /** The last offset this fetch covered, filtered records included; with nothing read, the high watermark - 1, as in kafkajs. */
  lastOffset(): string {
    return String(this.lastOffsetValue());
  }

  lastOffsetValue(): bigint {
    if (this.records.nextOffset !== null) return BigInt(this.records.nextOffset) - 1n;
    return this.highWatermarkValue - 1n;
  }

  /** The offset to read next once the whole batch is processed. */
  nextOffset(): bigint | null {
    return this.records.nextOffset === null ? null : BigInt(this.records.nextOffset);
  }

  offsetLag(): string {
    return String(this.highWatermarkValue - 1n - this.lastOffsetValue());
  }

  offsetLagLow(): string {
    if (this.records.firstOffset === null) return "0";
    return String(this.highWatermarkValue - 1n - BigInt(this.records.firstOffset));
  }
}
