// Produce throughput of our client against kafkajs on the same broker: keyless 100-byte records,
// sends of `batchSize` messages, `inFlight` sends outstanding at a time (each worker sends again
// as soon as its last send resolves), acks -1. The topic is created (by kafkajs's admin) first, and
// a short warm-up runs before the clock starts.
import { Kafka, logLevel as kafkajsLogLevel, Partitioners as KafkajsPartitioners } from "kafkajs";
import { Cluster } from "../broker/client/cluster.ts";
import { createLogger, logLevel } from "../broker/client/logger.ts";
import { createProducer } from "../broker/client/producer/index.ts";

export interface BenchProduceOptions {
  /** "host:port" of a running broker. */
  address: string;
  client: "ours" | "kafkajs";
  partitions: number;
  /** Messages per send() call. */
  batchSize: number;
  records: number;
  /** Sends outstanding at a time; 8 by default. */
  inFlight?: number;
  recordBytes?: number;
}

export interface BenchProduceResult {
  recordsPerSec: number;
  mbPerSec: number;
  seconds: number;
}

interface SendOnly {
  send(record: { topic: string; messages: { value: Buffer }[]; acks?: number }): Promise<unknown>;
  disconnect(): Promise<void>;
}

async function createTopic(address: string, topic: string, partitions: number): Promise<void> {
  const kafka = new Kafka({ brokers: [address], clientId: "bench-admin", logLevel: kafkajsLogLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

async function connectProducer(address: string, client: "ours" | "kafkajs"): Promise<SendOnly> {
  if (client === "kafkajs") {
    const kafka = new Kafka({ brokers: [address], clientId: "bench-kafkajs", logLevel: kafkajsLogLevel.NOTHING });
    const producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: KafkajsPartitioners.DefaultPartitioner });
    await producer.connect();
    return producer;
  }
  const logger = createLogger(logLevel.NOTHING);
  const cluster = new Cluster({ brokers: [address], clientId: "bench-ours", connectionTimeout: 3000, requestTimeout: 30_000, logger, allowAutoTopicCreation: false });
  const producer = createProducer({ cluster, logger: logger.namespace("Producer") });
  await producer.connect();
  return producer;
}

/** Runs `total` records through `inFlight` concurrent send loops of `batchSize` messages each. */
async function produceAll(producer: SendOnly, topic: string, messages: { value: Buffer }[], total: number, inFlight: number): Promise<void> {
  const batchSize = messages.length;
  let remaining = total;
  const worker = async (): Promise<void> => {
    while (remaining > 0) {
      const count = Math.min(batchSize, remaining);
      remaining -= count;
      await producer.send({ topic, acks: -1, messages: count === batchSize ? messages : messages.slice(0, count) });
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
}

export async function benchProduce(options: BenchProduceOptions): Promise<BenchProduceResult> {
  const { address, client, partitions, batchSize, records, inFlight = 8, recordBytes = 100 } = options;
  const topic = `bench-produce-${client}-${partitions}p-${batchSize}b-${Date.now()}`;
  await createTopic(address, topic, partitions);

  const value = Buffer.alloc(recordBytes);
  for (let i = 0; i < recordBytes; i++) value[i] = 97 + (i % 26);
  const messages = Array.from({ length: batchSize }, () => ({ value }));

  const producer = await connectProducer(address, client);
  try {
    await produceAll(producer, topic, messages, Math.min(records, Math.max(1000, batchSize * inFlight)), inFlight);
    const start = process.hrtime.bigint();
    await produceAll(producer, topic, messages, records, inFlight);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    return {
      recordsPerSec: Math.round(records / seconds),
      mbPerSec: Math.round(((records * recordBytes) / 1e6 / seconds) * 100) / 100,
      seconds: Math.round(seconds * 1000) / 1000,
    };
  } finally {
    await producer.disconnect();
  }
}
