// Shared pieces of the producer tests: our producer on a Cluster of its own (as Kafka.producer
// builds it), and reading a partition back with raw Fetch requests so the checks see exactly what
// the broker stored.
import type { Cluster } from "../../../../broker/client/cluster.ts";
import { BrokerConnection } from "../../../../broker/client/network/broker-connection.ts";
import { createProducer, type Producer, type ProducerConfig } from "../../../../broker/client/producer/index.ts";
import type { RetryOptions } from "../../../../broker/client/retry.ts";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { type DecodedRecord, decodeRecordBatch } from "../../../../broker/protocol/record-batch/decoder.ts";
import type { RecordBatchHeader } from "../../../../broker/protocol/record-batch/layout.ts";
import { splitBatches } from "../../../../broker/protocol/record-batch/splitter.ts";
import { fetchRequest, recordBytes } from "../../../helpers/requests.ts";
import { kafkajsClient, ourCluster, silentLogger } from "../helpers.ts";

export { kafkajsClient, silentLogger, waitFor } from "../helpers.ts";

/** Quick retries so failure paths finish in seconds. */
export const quickRetry: RetryOptions = { retries: 5, initialRetryTime: 100, maxRetryTime: 1000 };

export interface TestProducer {
  producer: Producer;
  cluster: Cluster;
}

export function ourProducer(
  address: string,
  config: ProducerConfig = {},
  { requestTimeout = 10_000 }: { requestTimeout?: number } = {},
): TestProducer {
  const cluster = ourCluster(address, {
    clientId: "producer-test",
    requestTimeout,
    retry: { ...quickRetry, ...config.retry },
    allowAutoTopicCreation: config.allowAutoTopicCreation ?? true,
  });
  return { producer: createProducer({ ...config, cluster, logger: silentLogger.namespace("Producer") }), cluster };
}

export async function createTopic(address: string, topic: string, numPartitions: number): Promise<void> {
  const admin = kafkajsClient(address, "producer-test-admin").admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

export interface StoredRecord extends DecodedRecord {
  batch: RecordBatchHeader;
}

/** Every record of the partition, in offset order, with the header of the batch it came in. */
export async function readPartition(address: string, topic: string, partition: number): Promise<StoredRecord[]> {
  const [host, port] = address.split(":");
  const connection = new BrokerConnection({
    host: host!,
    port: Number(port),
    clientId: "producer-test-reader",
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    logger: silentLogger,
  });
  const records: StoredRecord[] = [];
  try {
    let offset = 0n;
    for (;;) {
      const response = await connection.request(
        Apis.Fetch,
        fetchRequest([{ topic, partition, fetchOffset: offset, partitionMaxBytes: 32 << 20 }], {
          minBytes: 0,
          maxBytes: 64 << 20,
        }),
      );
      const data = response.responses[0]!.partitions[0]!;
      if (data.errorCode !== 0) throw new Error(`fetch ${topic}-${partition} at ${offset}: error ${data.errorCode}`);
      if (offset >= data.highWatermark) return records;
      const raw = recordBytes(data.records);
      const before = records.length;
      for (const { position } of splitBatches(raw).batches) {
        const { header, records: batchRecords } = decodeRecordBatch(raw, position);
        for (const record of batchRecords) if (record.offset >= offset) records.push({ ...record, batch: header });
      }
      if (records.length === before)
        throw new Error(
          `fetch ${topic}-${partition} at ${offset} returned no records below the high watermark ${data.highWatermark}`,
        );
      offset = records[records.length - 1]!.offset + 1n;
    }
  } finally {
    connection.disconnect();
  }
}

export async function readTopic(address: string, topic: string, partitions: number): Promise<StoredRecord[][]> {
  return Promise.all(Array.from({ length: partitions }, (_, p) => readPartition(address, topic, p)));
}

/** Disconnects every client, ignoring their errors (for test cleanup). */
export async function disconnectAll(...clients: { disconnect(): Promise<void> }[]): Promise<void> {
  await Promise.all(clients.map((c) => c.disconnect().catch(() => undefined)));
}

type RequestFn = BrokerConnection["request"];

/** Wraps the connection's request method; `around` gets the original and the call's arguments. */
export function intercept(
  connection: BrokerConnection,
  around: (original: RequestFn, ...args: Parameters<RequestFn>) => Promise<unknown>,
): void {
  const original = connection.request.bind(connection) as RequestFn;
  connection.request = ((...args: Parameters<RequestFn>) => around(original, ...args)) as RequestFn;
}

/** Every `type` along the error's cause chain (kafkajs nests the protocol error as the cause). */
export function causeTypes(error: unknown): string[] {
  const types: string[] = [];
  for (let current = error, depth = 0; current instanceof Error && depth < 10; current = current.cause, depth++) {
    const type = (current as { type?: unknown }).type;
    if (typeof type === "string") types.push(type);
  }
  return types;
}
