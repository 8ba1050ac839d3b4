// The producer's public shapes, as kafkajs declares them, so an app's types compile unchanged
// against either client.
import type { Logger } from "../logger.ts";
import type { RetryOptions } from "../retry.ts";
import type {
  ConnectEvent,
  DisconnectEvent,
  IHeaders,
  InstrumentationEvent,
  Offsets,
  PartitionMetadata,
  RemoveInstrumentationEventListener,
  RequestEvent,
  RequestQueueSizeEvent,
  RequestTimeoutEvent,
} from "../types.ts";
import type { CompressionTypes } from "./compression.ts";

export interface Message {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  partition?: number;
  headers?: IHeaders;
  /** Milliseconds since the epoch, as a string; defaults to the time of the send. */
  timestamp?: string;
}

export interface PartitionerArgs {
  topic: string;
  partitionMetadata: PartitionMetadata[];
  message: Message;
}

export type ICustomPartitioner = () => (args: PartitionerArgs) => number;
export type DefaultPartitioner = ICustomPartitioner;
export type LegacyPartitioner = ICustomPartitioner;

export interface ProducerConfig {
  createPartitioner?: ICustomPartitioner;
  retry?: RetryOptions;
  metadataMaxAge?: number;
  allowAutoTopicCreation?: boolean;
  idempotent?: boolean;
  transactionalId?: string;
  transactionTimeout?: number;
  /** Produce requests in flight per broker; unlimited by default, as in kafkajs. */
  maxInFlightRequests?: number;
  /**
   * Extension: how long concurrent sends are gathered into one Produce request per broker, in ms.
   * 0 (the default) gathers the sends made before the next turn of the event loop.
   */
  linger?: number;
  /**
   * Extension: the largest record batch built from several sends for one partition, in bytes
   * (uncompressed); 256 KiB by default. One send's messages for a partition always go in one
   * batch, as in kafkajs. Smaller batches let the broker store one while the next is encoded.
   */
  maxBatchBytes?: number;
}

export interface ProducerRecord {
  topic: string;
  messages: Message[];
  acks?: number;
  timeout?: number;
  compression?: CompressionTypes;
}

export interface TopicMessages {
  topic: string;
  messages: Message[];
}

export interface ProducerBatch {
  acks?: number;
  timeout?: number;
  compression?: CompressionTypes;
  topicMessages?: TopicMessages[];
}

export type RecordMetadata = {
  topicName: string;
  partition: number;
  errorCode: number;
  offset?: string;
  timestamp?: string;
  baseOffset?: string;
  logAppendTime?: string;
  logStartOffset?: string;
};

export type ProducerEvents = {
  CONNECT: "producer.connect";
  DISCONNECT: "producer.disconnect";
  REQUEST: "producer.network.request";
  REQUEST_TIMEOUT: "producer.network.request_timeout";
  REQUEST_QUEUE_SIZE: "producer.network.request_queue_size";
};

type Sender = {
  send(record: ProducerRecord): Promise<RecordMetadata[]>;
  sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]>;
};

export type Transaction = Sender & {
  sendOffsets(offsets: Offsets & { consumerGroupId: string }): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
  isActive(): boolean;
};

export type Producer = Sender & {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  isIdempotent(): boolean;
  readonly events: ProducerEvents;
  on(
    eventName: ProducerEvents["CONNECT"],
    listener: (event: ConnectEvent) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  on(
    eventName: ProducerEvents["DISCONNECT"],
    listener: (event: DisconnectEvent) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  on(
    eventName: ProducerEvents["REQUEST"],
    listener: (event: RequestEvent) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  on(
    eventName: ProducerEvents["REQUEST_QUEUE_SIZE"],
    listener: (event: RequestQueueSizeEvent) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  on(
    eventName: ProducerEvents["REQUEST_TIMEOUT"],
    listener: (event: RequestTimeoutEvent) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  on(
    eventName: ProducerEvents[keyof ProducerEvents],
    // biome-ignore lint/suspicious/noExplicitAny: kafkajs's own signature, kept for drop-in compatibility
    listener: (event: InstrumentationEvent<any>) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  /**
   * Begins a transaction (the producer needs a transactionalId): the first one initializes the
   * transactional id's producer id at its coordinator. Rejects while another is active.
   */
  transaction(): Promise<Transaction>;
  logger(): Logger;
};
