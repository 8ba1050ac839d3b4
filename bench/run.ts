// Produce and consume throughput of the broker through kafkajs: 100-byte records, for 1 and 6
// partitions. Starts its own broker process; writes bench/results/broker-kafkajs.json.
// Usage: npm run bench [-- --records 200000 --partitions 1,6 --in-flight 8]
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import { Kafka, logLevel } from "kafkajs";
import { startBroker, type BrokerProcess } from "../test/helpers/broker-process.ts";

interface Options {
  records: number;
  partitionCounts: number[];
  recordBytes: number;
  sendSize: number;
  inFlight: number;
}

interface Rate {
  recordsPerSec: number;
  mbPerSec: number;
  seconds: number;
}

interface Result {
  partitions: number;
  records: number;
  recordBytes: number;
  produce: Rate & { acks: number; sendSize: number; inFlight: number };
  consume: Rate & { secondsToFirstRecord: number };
}

function parseOptions(argv: string[]): Options {
  const options: Options = { records: 200_000, partitionCounts: [1, 6], recordBytes: 100, sendSize: 1000, inFlight: 8 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[++i];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    switch (flag) {
      case "--records": options.records = Number(value); break;
      case "--partitions": options.partitionCounts = value.split(",").map(Number); break;
      case "--record-bytes": options.recordBytes = Number(value); break;
      case "--send-size": options.sendSize = Number(value); break;
      case "--in-flight": options.inFlight = Number(value); break;
      default: throw new Error(`unknown option ${flag} (--records, --partitions, --record-bytes, --send-size, --in-flight)`);
    }
  }
  for (const [name, n] of Object.entries({ records: options.records, recordBytes: options.recordBytes, sendSize: options.sendSize, inFlight: options.inFlight })) {
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer`);
  }
  return options;
}

const rate = (records: number, recordBytes: number, seconds: number): Rate => ({
  recordsPerSec: Math.round(records / seconds),
  mbPerSec: Math.round(((records * recordBytes) / 1e6 / seconds) * 100) / 100,
  seconds: Math.round(seconds * 1000) / 1000,
});

const elapsedSeconds = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e9;

function progress(label: string, done: number, total: number): void {
  // Rewrites one line on a terminal; one line per step otherwise (logs).
  const tty = process.stdout.isTTY === true;
  process.stdout.write(`${tty ? "\r" : ""}  ${label}: ${done.toLocaleString("en")} / ${total.toLocaleString("en")}${tty ? "   " : "\n"}`);
  if (tty && done >= total) process.stdout.write("\n");
}

async function benchPartitions(kafka: Kafka, partitions: number, options: Options): Promise<Result> {
  const { records, recordBytes, sendSize, inFlight } = options;
  const topic = `bench-${partitions}p-${Date.now()}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  await admin.disconnect();

  // Produce: sends of `sendSize` records, `inFlight` sends outstanding at a time, acks 1.
  const value = Buffer.alloc(recordBytes);
  for (let i = 0; i < recordBytes; i++) value[i] = 97 + (i % 26);
  const sends = Math.ceil(records / sendSize);
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  console.log(`${partitions} partition(s): producing ${records.toLocaleString("en")} records of ${recordBytes} bytes`);
  let produced = 0;
  let nextSend = 0;
  const produceStart = process.hrtime.bigint();
  const worker = async (): Promise<void> => {
    while (nextSend < sends) {
      const index = nextSend++;
      const count = Math.min(sendSize, records - index * sendSize);
      await producer.send({ topic, acks: 1, messages: Array.from({ length: count }, () => ({ value })) });
      produced += count;
      if (produced % 50_000 < count || produced === records) progress("produced", produced, records);
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, sends) }, worker));
  const produceSeconds = elapsedSeconds(produceStart);
  await producer.disconnect();

  const admin2 = kafka.admin();
  await admin2.connect();
  const stored = (await admin2.fetchTopicOffsets(topic)).reduce((sum, o) => sum + Number(o.high), 0);
  await admin2.disconnect();
  if (stored !== records) throw new Error(`the topic holds ${stored} records, ${records} were produced`);

  // Consume: a new group from the beginning until every record has arrived.
  console.log(`${partitions} partition(s): consuming with a consumer group`);
  const consumer = kafka.consumer({
    groupId: `${topic}-group`,
    sessionTimeout: 10_000,
    heartbeatInterval: 1000,
    maxWaitTimeInMs: 250,
    maxBytesPerPartition: 4 * 1024 * 1024,
    maxBytes: 16 * 1024 * 1024,
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let consumed = 0;
  let firstRecordAt: bigint | undefined;
  let done!: () => void;
  const allArrived = new Promise<void>((resolve) => { done = resolve; });
  const consumeStart = process.hrtime.bigint();
  await consumer.run({
    eachBatch: async ({ batch }) => {
      firstRecordAt ??= process.hrtime.bigint();
      const before = consumed;
      consumed += batch.messages.length;
      if (Math.floor(consumed / 50_000) > Math.floor(before / 50_000) || consumed >= records) progress("consumed", Math.min(consumed, records), records);
      if (consumed >= records) done();
    },
  });
  await allArrived;
  const consumeSeconds = elapsedSeconds(consumeStart);
  await consumer.disconnect();
  if (consumed !== records) throw new Error(`consumed ${consumed} records, ${records} were produced`);

  return {
    partitions,
    records,
    recordBytes,
    produce: { ...rate(records, recordBytes, produceSeconds), acks: 1, sendSize, inFlight },
    consume: { ...rate(records, recordBytes, consumeSeconds), secondsToFirstRecord: Math.round(Number(firstRecordAt! - consumeStart) / 1e6) / 1000 },
  };
}

function printTable(results: Result[]): void {
  const rows = [["partitions", "records", "produce rec/s", "produce MB/s", "consume rec/s", "consume MB/s"]];
  for (const r of results) {
    rows.push([
      String(r.partitions),
      r.records.toLocaleString("en"),
      r.produce.recordsPerSec.toLocaleString("en"),
      r.produce.mbPerSec.toFixed(2),
      r.consume.recordsPerSec.toLocaleString("en"),
      r.consume.mbPerSec.toFixed(2),
    ]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  for (const [i, row] of rows.entries()) {
    console.log(row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  "));
    if (i === 0) console.log(widths.map((w) => "-".repeat(w)).join("  "));
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  let broker: BrokerProcess | undefined;
  const results: Result[] = [];
  try {
    broker = await startBroker({ config: { "offsets.topic.num.partitions": 5, "group.initial.rebalance.delay.ms": 0 } });
    console.log(`broker at ${broker.address} (data in ${broker.dataDir})`);
    const kafka = new Kafka({ clientId: "bench", brokers: [broker.address], logLevel: logLevel.ERROR });
    for (const partitions of options.partitionCounts) results.push(await benchPartitions(kafka, partitions, options));
  } catch (error) {
    if (broker) console.error(`--- broker log (tail) ---\n${broker.output().split("\n").slice(-30).join("\n")}`);
    throw error;
  } finally {
    await broker?.cleanup();
  }

  const report = {
    date: new Date().toISOString(),
    node: process.version,
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? "unknown", memoryGiB: Math.round(totalmem() / 2 ** 30) },
    client: `kafkajs ${(JSON.parse(readFileSync(fileURLToPath(new URL("../node_modules/kafkajs/package.json", import.meta.url)), "utf8")) as { version: string }).version}`,
    note: "MB = 10^6 bytes of record values; consume time includes joining the group (secondsToFirstRecord).",
    results,
  };
  const dir = fileURLToPath(new URL("./results/", import.meta.url));
  mkdirSync(dir, { recursive: true });
  const file = `${dir}broker-kafkajs.json`;
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log();
  printTable(results);
  console.log(`\nwritten to ${file}`);
}

await main();
