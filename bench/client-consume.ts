// Consumer throughput: reads an already-filled topic from the beginning with eachBatch, in a
// fresh group, until every record has arrived; the clock starts when the consumer has joined its
// group (GROUP_JOIN), so group settings such as the initial rebalance delay do not count.
//
// Run directly (`npx tsx bench/client-consume.ts [records] [partitions...]`) it starts a broker,
// fills topics with 100-byte records through kafkajs and compares both clients.
import { Kafka as KafkaJS, logLevel as kafkajsLogLevel } from "kafkajs";
import { pathToFileURL } from "node:url";
import { Cluster } from "../broker/client/cluster.ts";
import { createConsumer } from "../broker/client/consumer/index.ts";
import { createLogger, logLevel } from "../broker/client/logger.ts";

export interface ConsumeBenchOptions {
  address: string;
  client: "ours" | "kafkajs";
  topic: string;
  /** How many records the topic holds; the run ends when all have arrived. */
  records: number;
  timeoutMs?: number;
}

export interface ConsumeBenchResult {
  recordsPerSec: number;
  mbPerSec: number;
  seconds: number;
}

/** The part of both clients' consumer API the benchmark uses. */
interface BenchConsumer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  subscribe(subscription: { topics: string[]; fromBeginning: boolean }): Promise<void>;
  run(config: { eachBatch: (payload: { batch: { messages: { key: Buffer | null; value: Buffer | null }[] } }) => Promise<void> }): Promise<void>;
  on(event: "consumer.group_join", listener: () => void): () => void;
  on(event: "consumer.crash", listener: (event: { payload: { error: Error } }) => void): () => void;
}

function createBenchConsumer(client: "ours" | "kafkajs", address: string, groupId: string): BenchConsumer {
  if (client === "kafkajs") {
    const kafka = new KafkaJS({ clientId: "bench-consume", brokers: [address], logLevel: kafkajsLogLevel.NOTHING });
    return kafka.consumer({ groupId }) as unknown as BenchConsumer;
  }
  const logger = createLogger(logLevel.NOTHING);
  const cluster = new Cluster({ brokers: [address], clientId: "bench-consume", connectionTimeout: 1000, requestTimeout: 30_000, logger });
  return createConsumer({ cluster, logger, groupId }) as unknown as BenchConsumer;
}

export async function benchConsume({ address, client, topic, records, timeoutMs = 300_000 }: ConsumeBenchOptions): Promise<ConsumeBenchResult> {
  const consumer = createBenchConsumer(client, address, `bench-consume-${client}-${Date.now()}-${Math.random().toString(36).slice(2)}`);
  let received = 0;
  let bytes = 0;
  let startedAt = 0;
  let finish!: (elapsedMs: number) => void;
  let fail!: (error: Error) => void;
  const done = new Promise<number>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  consumer.on("consumer.group_join", () => {
    startedAt ||= performance.now();
  });
  consumer.on("consumer.crash", (event) => fail(event.payload.error));
  const timer = setTimeout(() => fail(new Error(`benchConsume(${client}): only ${received} of ${records} records after ${timeoutMs} ms`)), timeoutMs);
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) bytes += (message.key?.length ?? 0) + (message.value?.length ?? 0);
        received += batch.messages.length;
        if (received >= records) finish(performance.now() - startedAt);
      },
    });
    const elapsedMs = await done;
    const seconds = elapsedMs / 1000;
    return { recordsPerSec: Math.round(received / seconds), mbPerSec: Number((bytes / 1_048_576 / seconds).toFixed(2)), seconds: Number(seconds.toFixed(3)) };
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => undefined);
  }
}

/** Fills a new topic with `records` records of `recordBytes` bytes through kafkajs. */
export async function fillTopic(address: string, topic: string, partitions: number, records: number, recordBytes = 100): Promise<void> {
  const kafka = new KafkaJS({ clientId: "bench-fill", brokers: [address], logLevel: kafkajsLogLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer();
  await admin.connect();
  await producer.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
    const value = Buffer.alloc(recordBytes, "x");
    const perSend = 2000;
    for (let sent = 0; sent < records; sent += perSend) {
      const count = Math.min(perSend, records - sent);
      await producer.send({ topic, messages: Array.from({ length: count }, (_, i) => ({ value, partition: (sent + i) % partitions })) });
    }
  } finally {
    await producer.disconnect();
    await admin.disconnect();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { startBroker } = await import("../test/helpers/broker-process.ts");
  const records = Number(process.argv[2] ?? 200_000);
  const partitionCounts = process.argv.length > 3 ? process.argv.slice(3).map(Number) : [1, 16];
  const broker = await startBroker({ config: { "group.initial.rebalance.delay.ms": 0 } });
  try {
    for (const partitions of partitionCounts) {
      const topic = `bench-consume-${partitions}`;
      await fillTopic(broker.address, topic, partitions, records);
      for (const client of ["kafkajs", "ours"] as const) {
        const result = await benchConsume({ address: broker.address, client, topic, records });
        console.log(JSON.stringify({ client, partitions, records, ...result }));
      }
    }
  } finally {
    await broker.cleanup();
  }
}
