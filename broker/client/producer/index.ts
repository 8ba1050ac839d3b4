// The producer, with kafkajs's API: send/sendBatch resolve with each partition's RecordMetadata,
// errors and events are kafkajs's. Underneath, concurrent sends share Produce requests (see
// sender.ts) and records are encoded straight into record batches. With a transactionalId,
// transaction() sends through a second sender under the transactional id's producer id and epoch
// (transaction-manager.ts), as kafkajs keeps plain sends apart from transactional ones.
//
// Ownership: a producer owns its Cluster (created for it by Kafka.producer), its Sender and, once
// a transaction began, its transactional Sender and TransactionManager.
import { Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { Cluster } from "../cluster.ts";
import { KafkaJSError, KafkaJSNonRetriableError, KafkaJSProtocolError } from "../errors.ts";
import { producerEvents } from "../events.ts";
import { InstrumentationEmitter } from "../instrumentation.ts";
import type { Logger } from "../logger.ts";
import { createRetrier, defaultRetry } from "../retry.ts";
import { CompressionTypes, codecFor } from "./compression.ts";
import { DefaultPartitioner } from "./partitioners.ts";
import { Sender } from "./sender.ts";
import type { ProducerIdentity } from "./sequence-numbers.ts";
import { beginTransaction } from "./transaction.ts";
import { TransactionManager } from "./transaction-manager.ts";
import type {
  Producer,
  ProducerBatch,
  ProducerConfig,
  ProducerRecord,
  RecordMetadata,
  TopicMessages,
  Transaction,
} from "./types.ts";

export { type CompressionCodec, CompressionCodecs, CompressionTypes } from "./compression.ts";
export { murmur2, Partitioners } from "./partitioners.ts";
export type * from "./types.ts";

export interface CreateProducerOptions extends ProducerConfig {
  cluster: Cluster;
  /** Used as given: Kafka.producer passes one already namespaced "Producer". */
  logger: Logger;
}

const DEFAULT_METADATA_MAX_AGE = 300_000;
const DEFAULT_TRANSACTION_TIMEOUT = 60_000;
// A partition's queued sends are cut into batches of about this size, one per request: the broker
// stores one while this process encodes the next (one large request would leave each side idle
// while the other works).
const DEFAULT_MAX_BATCH_BYTES = 256 * 1024;

type ConnectionStatus = "disconnected" | "connected" | "disconnecting";

export function createProducer(options: CreateProducerOptions): Producer {
  const {
    cluster,
    logger,
    createPartitioner = DefaultPartitioner,
    retry,
    idempotent = false,
    maxInFlightRequests,
    metadataMaxAge = DEFAULT_METADATA_MAX_AGE,
    transactionalId,
    transactionTimeout = DEFAULT_TRANSACTION_TIMEOUT,
    linger = 0,
    maxBatchBytes = DEFAULT_MAX_BATCH_BYTES,
  } = options;

  const retryOptions = { ...defaultRetry, ...cluster.retryOptions, ...retry };
  if (idempotent && retryOptions.retries < 1) {
    throw new KafkaJSNonRetriableError("Idempotent producer must allow retries to protect against transient errors");
  }
  if (idempotent && retry?.retries !== undefined && retry.retries < Number.MAX_SAFE_INTEGER) {
    logger.warn("Limiting retries for the idempotent producer may invalidate EoS guarantees");
  }

  let status: ConnectionStatus = "disconnected";
  const retrier = createRetrier(retryOptions);
  const instrumentation = new InstrumentationEmitter(producerEvents, "producer", logger);
  cluster.instrument(instrumentation.network);
  const identity: ProducerIdentity = { producerId: -1n, producerEpoch: -1 };
  let identityInitialized = false;
  const partitioner = createPartitioner();
  const senderOptions = {
    cluster,
    logger,
    instrumentation,
    clientId: cluster.clientId,
    partitioner,
    retry: retryOptions,
    maxInFlightRequests: maxInFlightRequests != null && maxInFlightRequests > 0 ? maxInFlightRequests : Infinity,
    linger,
    maxBatchBytes,
    metadataMaxAge,
  };
  const sender = new Sender({
    ...senderOptions,
    idempotent,
    identity,
    renewIdentity: () => initProducerId(),
  });
  /** Made at the first transaction(): the transactional id's producer id, state and sender. */
  let transactional: { manager: TransactionManager; sender: Sender } | undefined;
  let initializing: Promise<void> | undefined;

  const initProducerId = (): Promise<void> =>
    retrier(async () => {
      const connection = await cluster.anyConnection();
      const response = await connection.request(Apis.InitProducerId, {
        transactionalId: null,
        transactionTimeoutMs: transactionTimeout,
        producerId: -1n,
        producerEpoch: -1,
      });
      if (response.errorCode !== ErrorCode.NONE) throw new KafkaJSProtocolError(response.errorCode);
      identity.producerId = response.producerId ?? -1n;
      identity.producerEpoch = response.producerEpoch;
      identityInitialized = true;
      logger.debug("Initialized producer id", {
        producerId: identity.producerId,
        producerEpoch: identity.producerEpoch,
      });
    });

  const ensureTopicMetadata = async (topics: string[]): Promise<void> => {
    if (topics.every((topic) => cluster.hasTopic(topic))) return;
    await retrier(() => cluster.addTargetTopics(topics));
  };

  const sendBatchWith = async (
    target: Sender,
    eos: boolean,
    { acks = -1, timeout = 30_000, compression = CompressionTypes.None, topicMessages = [] }: ProducerBatch,
  ): Promise<RecordMetadata[]> => {
    if (topicMessages.some(({ topic }) => !topic)) throw new KafkaJSNonRetriableError("Invalid topic");
    if (eos && acks !== -1) {
      throw new KafkaJSNonRetriableError(
        "Not requiring ack for all messages invalidates the idempotent producer's EoS guarantees",
      );
    }
    for (const { topic, messages } of topicMessages) {
      if (!messages)
        throw new KafkaJSNonRetriableError(`Invalid messages array [${String(messages)}] for topic "${topic}"`);
      const withoutValue = messages.find((message) => message.value === undefined);
      if (withoutValue)
        throw new KafkaJSNonRetriableError(
          `Invalid message without value for topic "${topic}": ${JSON.stringify(withoutValue)}`,
        );
    }
    if (status === "disconnecting")
      throw new KafkaJSNonRetriableError(
        "The producer is disconnecting; therefore, it can't safely accept messages anymore",
      );
    if (status === "disconnected") throw new KafkaJSError("The producer is disconnected");
    codecFor(compression);

    const merged: TopicMessages[] = [];
    for (const { topic, messages } of topicMessages) {
      const existing = merged.find((m) => m.topic === topic);
      if (existing) existing.messages = [...existing.messages, ...messages];
      else merged.push({ topic, messages });
    }
    await ensureTopicMetadata(merged.map(({ topic }) => topic));
    return target.send(merged, { acks, timeout, compression });
  };
  const sendBatch = (batch: ProducerBatch): Promise<RecordMetadata[]> => sendBatchWith(sender, idempotent, batch);

  const transactionalParts = (id: string): { manager: TransactionManager; sender: Sender } => {
    if (transactional) return transactional;
    const txnIdentity: ProducerIdentity = { producerId: -1n, producerEpoch: -1 };
    const manager: TransactionManager = new TransactionManager({
      transactionalId: id,
      transactionTimeout,
      cluster,
      retrier,
      logger,
      identity: txnIdentity,
      onIdentity: () => txnSender.renewSequences(),
    });
    const txnSender: Sender = new Sender({
      ...senderOptions,
      idempotent: true,
      identity: txnIdentity,
      transactional: {
        transactionalId: id,
        beforeProduce: (batches) => manager.addPartitions(batches.map((batch) => batch.queue)),
      },
    });
    if (status === "connected") txnSender.open();
    transactional = { manager, sender: txnSender };
    return transactional;
  };

  const transaction = async (): Promise<Transaction> => {
    if (!transactionalId)
      throw new KafkaJSNonRetriableError("Must provide transactional id for transactional producer");
    const { manager, sender: txnSender } = transactionalParts(transactionalId);
    if (manager.fencedError) throw manager.fencedFailure();
    if (manager.isInTransaction) {
      throw new KafkaJSNonRetriableError(
        "There is already an ongoing transaction for this producer. Please end the transaction before beginning another.",
      );
    }
    // Concurrent first calls share one InitProducerId (a second would bump the epoch again).
    initializing ??= manager.prepare().finally(() => {
      initializing = undefined;
    });
    await initializing;
    return beginTransaction({ manager, sendBatch: (batch) => sendBatchWith(txnSender, true, batch) });
  };

  const send = ({ topic, messages, acks, timeout, compression }: ProducerRecord): Promise<RecordMetadata[]> =>
    sendBatch({ acks, timeout, compression, topicMessages: [{ topic, messages }] });

  return {
    async connect() {
      await cluster.connect();
      if (idempotent && !identityInitialized) await initProducerId();
      sender.open();
      transactional?.sender.open();
      status = "connected";
      instrumentation.emit(producerEvents.CONNECT);
    },
    async disconnect() {
      status = "disconnecting";
      const closed = new KafkaJSNonRetriableError("The producer disconnected before these messages were sent");
      sender.close(closed);
      transactional?.sender.close(closed);
      await cluster.disconnect();
      status = "disconnected";
      instrumentation.emit(producerEvents.DISCONNECT);
    },
    isIdempotent: () => idempotent,
    events: producerEvents,
    // biome-ignore lint/suspicious/noExplicitAny: kafkajs's own signature, kept for drop-in compatibility
    on: (eventName: string, listener: (event: any) => void) => instrumentation.on(eventName, listener),
    send,
    sendBatch,
    transaction,
    logger: () => logger,
  };
}
