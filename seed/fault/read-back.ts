// Reading the fault test's topic back through our client, as a consumer sees it: a standalone
// consumer (assign(), no group, so no coordinator is involved) reads every partition from its start.
// `readToEnd` stops once each partition reached the high watermark it had when the read began (the
// checker's final read); `LiveReader` keeps reading while faults are injected, so that a record a
// consumer saw and that later vanished or changed shows up as an inconsistent offset.
//
// Ownership: each reader owns its client and the observations it collects.
import { Kafka } from "../../broker/client/kafka.ts";
import type { Observation } from "./checker.ts";
import { waitUntil } from "./wait-until.ts";

const retry = { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 100, maxRetryTime: 1000 };

function client(bootstrap: readonly string[], clientId: string): Kafka {
  return new Kafka({ brokers: [...bootstrap], clientId, logLevel: 0, connectionTimeout: 1000, requestTimeout: 8000 });
}

/** A consumer of every partition of `topic` from its start, feeding `sink`; restarts itself after a crash. */
async function startReading(
  kafka: Kafka,
  topic: string,
  partitions: number,
  source: string,
  sink: (observation: Observation) => void,
) {
  const consumer = kafka.consumer({
    groupId: "",
    maxWaitTimeInMs: 200,
    retry: { ...retry, restartOnFailure: async () => true },
  });
  await consumer.connect();
  consumer.assign([{ topic, partitions: Array.from({ length: partitions }, (_, i) => i), fromBeginning: true }]);
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const message of batch.messages)
        sink({
          source,
          partition: batch.partition,
          offset: BigInt(message.offset),
          value: message.value?.toString() ?? "",
        });
    },
  });
  return consumer;
}

/** Every record of `topic` below each partition's high watermark as it is when the read starts. */
export async function readToEnd(
  bootstrap: readonly string[],
  topic: string,
  { source = "final", timeoutMs = 120_000 }: { source?: string; timeoutMs?: number } = {},
): Promise<Observation[]> {
  const kafka = client(bootstrap, `fault-reader-${source}`);
  const admin = kafka.admin({ retry });
  await admin.connect();
  const ends = new Map<number, bigint>();
  try {
    for (const { partition, high } of await admin.fetchTopicOffsets(topic)) ends.set(partition, BigInt(high));
  } finally {
    await admin.disconnect();
  }
  const observations: Observation[] = [];
  const reached = new Map<number, bigint>();
  const consumer = await startReading(kafka, topic, ends.size, source, (observation) => {
    observations.push(observation);
    const next = observation.offset + 1n;
    if (next > (reached.get(observation.partition) ?? 0n)) reached.set(observation.partition, next);
  });
  try {
    await waitUntil(() => [...ends].every(([partition, end]) => (reached.get(partition) ?? 0n) >= end), {
      timeoutMs,
      message: () =>
        `the read of ${topic} reaching ${[...ends].map(([p, end]) => `${p}:${reached.get(p) ?? 0n}/${end}`).join(" ")}`,
    });
  } finally {
    await consumer.disconnect();
  }
  return observations.filter((o) => o.offset < ends.get(o.partition)!);
}

/** A consumer reading the topic while the load and the faults go on. */
export class LiveReader {
  readonly #observations: Observation[] = [];
  #consumer: Awaited<ReturnType<typeof startReading>> | null = null;

  constructor(
    private readonly bootstrap: readonly string[],
    private readonly topic: string,
    private readonly partitions: number,
  ) {}

  get count(): number {
    return this.#observations.length;
  }

  async start(): Promise<void> {
    this.#consumer = await startReading(
      client(this.bootstrap, "fault-reader-live"),
      this.topic,
      this.partitions,
      "live",
      (observation) => this.#observations.push(observation),
    );
  }

  async stop(): Promise<Observation[]> {
    await this.#consumer?.disconnect();
    this.#consumer = null;
    return [...this.#observations];
  }
}
