// The broker suite: produce and consume throughput of the broker through kafkajs, 100-byte records,
// for 1 and 6 partitions. Produce: sends of 1,000 records, 8 in flight, acks 1, no warm-up.
// Consume: a new group reads the topic from the beginning, timed from consumer.run() (so including
// the group join; secondsToFirstRecord says how much of it that was). Writes broker-kafkajs.json.
import { benchConsume } from "./client-consume.ts";
import {
  createProducer,
  createTopic,
  int,
  printTable,
  type Rate,
  rate,
  secondsSince,
  sendLoop,
  short,
  step,
  topicRecords,
  withBroker,
  writeResults,
} from "./lib.ts";

export interface BrokerSuiteOptions {
  /** Smaller counts (--quick); recorded in the results. */
  quick: boolean;
  records: number;
  partitionCounts: number[];
  recordBytes: number;
  sendSize: number;
  inFlight: number;
}

interface Result {
  partitions: number;
  records: number;
  recordBytes: number;
  produce: Rate & { acks: number; sendSize: number; inFlight: number };
  consume: Rate & { secondsToFirstRecord: number };
}

const SUITE = "broker";

async function benchPartitions(address: string, partitions: number, options: BrokerSuiteOptions): Promise<Result> {
  const { records, recordBytes, sendSize, inFlight } = options;
  const topic = `bench-${partitions}p-${Date.now()}`;
  await createTopic(address, topic, partitions);

  const produce = await step(
    SUITE,
    `produce kafkajs ${partitions}p ${int(records)} records, sends of ${sendSize}`,
    async () => {
      const producer = createProducer("kafkajs", address);
      await producer.connect();
      try {
        const start = performance.now();
        await sendLoop(producer, { topic, batchSize: sendSize, recordBytes, inFlight, acks: 1, records });
        return rate(records, records * recordBytes, secondsSince(start));
      } finally {
        await producer.disconnect();
      }
    },
    (r) => `${short(r.recordsPerSec)} rec/s`,
  );
  const stored = await topicRecords(address, topic);
  if (stored !== records) throw new Error(`the topic holds ${stored} records, ${records} were produced`);

  const consume = await step(
    SUITE,
    `consume kafkajs ${partitions}p (group, from run())`,
    () =>
      benchConsume({
        address,
        client: "kafkajs",
        topic,
        records,
        consumerConfig: {
          sessionTimeout: 10_000,
          heartbeatInterval: 1000,
          maxWaitTimeInMs: 250,
          maxBytesPerPartition: 4 * 1024 * 1024,
          maxBytes: 16 * 1024 * 1024,
        },
      }),
    (r) => `${short(r.fromRun.recordsPerSec)} rec/s`,
  );

  return {
    partitions,
    records,
    recordBytes,
    produce: { ...produce, acks: 1, sendSize, inFlight },
    consume: { ...consume.fromRun, secondsToFirstRecord: consume.secondsToFirstRecord },
  };
}

export async function runBrokerSuite(options: BrokerSuiteOptions): Promise<void> {
  const results: Result[] = [];
  await withBroker(SUITE, async (address) => {
    for (const partitions of options.partitionCounts) results.push(await benchPartitions(address, partitions, options));
  });
  const file = writeResults("broker-kafkajs.json", {
    client: "kafkajs",
    quick: options.quick,
    note: "MB = 10^6 bytes of record values; consume time includes joining the group (secondsToFirstRecord).",
    results,
  });
  console.log();
  printTable(
    ["partitions", "records", "produce rec/s", "produce MB/s", "consume rec/s", "consume MB/s"],
    results.map((r) => [
      String(r.partitions),
      int(r.records),
      int(r.produce.recordsPerSec),
      r.produce.mbPerSec.toFixed(2),
      int(r.consume.recordsPerSec),
      r.consume.mbPerSec.toFixed(2),
    ]),
  );
  console.log(`written to ${file}\n`);
}
