// The memory suite: one broker process with one topic of 1,000 partitions, filled with retained
// data in steps (2 GB in 4 steps; 300 MB in 3 with --quick) by two idempotent producers of our
// client (sends of 128 records of 1 KiB, each to one partition in turn). After each step it samples the
// broker's RSS (/proc/<pid>/status VmRSS, after a second of idle) against the bytes retained (the
// data dir's size) and charts one against the other. Then, with all of it retained, it times
// broker restarts, spawn → listening and spawn → every partition's offsets answered: after a
// clean stop (producer snapshots written at close), after a kill -9 (snapshots from the last
// rolls, active segments recovered), and after a clean stop with every producer snapshot deleted
// (the producer state rebuilt by scanning every batch), against the first start on an empty dir. Segments are 1 MiB (128 KiB with --quick)
// so that partitions roll. The data dir is removed at the end. Writes memory.json.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, statfsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kafka as KafkaJS, logLevel as kafkajsLogLevel } from "kafkajs";
import { Kafka as OurKafka } from "../broker/client/kafka.ts";
import { type BrokerProcess, startBroker } from "../test/helpers/broker-process.ts";
import {
  type BenchProducer,
  BROKER_CONFIG,
  createTopic,
  int,
  log,
  printTable,
  round,
  secondsSince,
  sendLoop,
  sleep,
  step,
  writeResults,
} from "./lib.ts";

const SUITE = "memory";
const PARTITIONS = 1000;
const RECORD_BYTES = 1024;
const RECORDS_PER_SEND = 128;
const PRODUCERS = 2;
const IN_FLIGHT_PER_PRODUCER = 4;

export interface MemorySuiteOptions {
  quick: boolean;
  steps: number;
  bytesPerStep: number;
  segmentBytes: number;
}

export function memoryDefaults(quick: boolean): MemorySuiteOptions {
  return quick
    ? { quick, steps: 3, bytesPerStep: 100e6, segmentBytes: 128 * 1024 }
    : { quick, steps: 4, bytesPerStep: 500e6, segmentBytes: 1024 * 1024 };
}

interface Sample {
  retainedBytes: number;
  rssBytes: number;
  produceSeconds: number;
}

interface Startup {
  after: string;
  /** Spawn → "listening on" (the broker serves once its logs are open and it is unfenced). */
  listeningSeconds: number;
  /** Spawn → every partition's offsets answered. */
  readySeconds: number;
  rssBytes: number;
  snapshotFiles: number;
}

function rssBytes(pid: number | undefined): number {
  if (pid === undefined) throw new Error("the broker is not running");
  const line = readFileSync(`/proc/${pid}/status`, "utf8").match(/^VmRSS:\s+(\d+) kB$/m);
  if (!line) throw new Error(`no VmRSS for ${pid}`);
  return Number(line[1]) * 1024;
}

const dirBytes = (dir: string): number => Number(execFileSync("du", ["-sb", dir], { encoding: "utf8" }).split("\t")[0]);

function snapshotFiles(dataDir: string, topic: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dataDir)) {
    if (!entry.startsWith(`${topic}-`)) continue;
    for (const name of readdirSync(join(dataDir, entry)))
      if (name.endsWith(".snapshot")) files.push(join(dataDir, entry, name));
  }
  return files;
}

const mb = (bytes: number): string => (bytes / 1e6).toFixed(0);

async function produceStep(address: string, topic: string, bytes: number): Promise<number> {
  const records = Math.ceil(bytes / RECORD_BYTES / PRODUCERS);
  const start = performance.now();
  await Promise.all(
    Array.from({ length: PRODUCERS }, async (_, i) => {
      const kafka = new OurKafka({ brokers: [address], clientId: `bench-memory-${i}`, logLevel: 0 });
      const producer = kafka.producer({ idempotent: true, allowAutoTopicCreation: false });
      await producer.connect();
      try {
        await sendLoop(producer as unknown as BenchProducer, {
          topic,
          batchSize: RECORDS_PER_SEND,
          recordBytes: RECORD_BYTES,
          inFlight: IN_FLIGHT_PER_PRODUCER,
          acks: -1,
          records,
          partitionPerSend: PARTITIONS,
        });
      } finally {
        await producer.disconnect();
      }
    }),
  );
  return secondsSince(start);
}

/** Every partition's offsets, through kafkajs's admin; retried while the broker is still loading. */
async function offsetsAnswered(address: string, topic: string): Promise<number> {
  for (;;) {
    const admin = new KafkaJS({
      brokers: [address],
      clientId: "bench-memory",
      logLevel: kafkajsLogLevel.NOTHING,
    }).admin();
    try {
      await admin.connect();
      const offsets = await admin.fetchTopicOffsets(topic);
      if (offsets.length === PARTITIONS) return offsets.reduce((sum, o) => sum + Number(o.high), 0);
    } catch {
      // Not ready yet: partitions still loading.
    } finally {
      await admin.disconnect().catch(() => {});
    }
    await sleep(50);
  }
}

async function timedStart(
  broker: BrokerProcess,
  after: string,
  topic: string,
  expectedRecords: number,
  stop: () => Promise<unknown>,
): Promise<Startup> {
  await stop();
  const snapshots = snapshotFiles(broker.dataDir, topic).length;
  const start = performance.now();
  await broker.restart();
  const listeningSeconds = secondsSince(start);
  const records = await offsetsAnswered(broker.address, topic);
  const readySeconds = secondsSince(start);
  if (records !== expectedRecords) throw new Error(`after restart the topic holds ${records}, not ${expectedRecords}`);
  await sleep(1000);
  return { after, listeningSeconds, readySeconds, rssBytes: rssBytes(broker.pid), snapshotFiles: snapshots };
}

function printChart(samples: readonly Sample[]): void {
  const width = 50;
  const maxRss = Math.max(...samples.map((s) => s.rssBytes));
  console.log("\nbroker RSS vs retained bytes");
  for (const s of samples) {
    const bar = "#".repeat(Math.max(1, Math.round((s.rssBytes / maxRss) * width)));
    console.log(`${mb(s.retainedBytes).padStart(6)} MB retained | ${bar.padEnd(width)} ${mb(s.rssBytes)} MB RSS`);
  }
}

export async function runMemorySuite(options: MemorySuiteOptions): Promise<void> {
  const total = options.steps * options.bytesPerStep;
  const free = statfsSync(tmpdir()).bavail * statfsSync(tmpdir()).bsize;
  if (total * 3 > free) throw new Error(`${mb(total)} MB to retain needs more free disk than ${mb(free)} MB`);
  const spawned = performance.now();
  const broker = await startBroker({ config: { ...BROKER_CONFIG, "log.segment.bytes": options.segmentBytes } });
  const emptyListeningSeconds = secondsSince(spawned);
  log(
    SUITE,
    `broker at ${broker.address} (data in ${broker.dataDir}), listening in ${emptyListeningSeconds.toFixed(2)} s`,
  );
  const topic = `memory-${Date.now()}`;
  const samples: Sample[] = [];
  const startups: Startup[] = [];
  let createTopicSeconds = 0;
  let stopSeconds = 0;
  try {
    const createStart = performance.now();
    await createTopic(broker.address, topic, PARTITIONS);
    createTopicSeconds = secondsSince(createStart);
    log(SUITE, `created ${PARTITIONS} partitions in ${createTopicSeconds.toFixed(2)} s`);
    await sleep(1000);
    samples.push({ retainedBytes: dirBytes(broker.dataDir), rssBytes: rssBytes(broker.pid), produceSeconds: 0 });
    for (let i = 1; i <= options.steps; i++) {
      const seconds = await step(
        SUITE,
        `step ${i}/${options.steps}: produce ${mb(options.bytesPerStep)} MB over ${PARTITIONS} partitions`,
        () => produceStep(broker.address, topic, options.bytesPerStep),
        (s) => `${(options.bytesPerStep / 1e6 / s).toFixed(0)} MB/s`,
      );
      await sleep(1000);
      const sample = {
        retainedBytes: dirBytes(broker.dataDir),
        rssBytes: rssBytes(broker.pid),
        produceSeconds: seconds,
      };
      samples.push(sample);
      log(SUITE, `retained ${mb(sample.retainedBytes)} MB, RSS ${mb(sample.rssBytes)} MB`);
    }
    const records = await offsetsAnswered(broker.address, topic);
    const clean = (): Promise<unknown> => {
      const start = performance.now();
      return broker.stop().then(() => {
        stopSeconds = Math.max(stopSeconds, secondsSince(start));
      });
    };
    const withoutSnapshots = async (): Promise<void> => {
      await clean();
      for (const file of snapshotFiles(broker.dataDir, topic)) rmSync(file);
    };
    for (const [after, stop] of [
      ["clean stop (snapshots at close)", clean],
      ["kill -9 (snapshots of the last rolls)", () => broker.kill()],
      ["clean stop, snapshots deleted", withoutSnapshots],
    ] as const) {
      const startup = await step(
        SUITE,
        `restart after ${after}`,
        () => timedStart(broker, after, topic, records, stop),
        (s) => `listening in ${s.listeningSeconds.toFixed(2)} s, ready in ${s.readySeconds.toFixed(2)} s`,
      );
      startups.push(startup);
    }
  } catch (error) {
    console.error(`--- broker log (tail) ---\n${broker.output().split("\n").slice(-30).join("\n")}`);
    throw error;
  } finally {
    await broker.cleanup();
  }

  printChart(samples);
  console.log();
  printTable(
    ["restart after", "listening s", "ready s", "RSS MB", "snapshot files"],
    startups.map((s) => [
      s.after,
      s.listeningSeconds.toFixed(2),
      s.readySeconds.toFixed(2),
      mb(s.rssBytes),
      int(s.snapshotFiles),
    ]),
  );
  const file = writeResults("memory.json", {
    quick: options.quick,
    partitions: PARTITIONS,
    recordBytes: RECORD_BYTES,
    segmentBytes: options.segmentBytes,
    note: "RSS sampled after 1 s idle; retained = du -sb of the data dir; ready = every partition's offsets answered",
    emptyListeningSeconds: round(emptyListeningSeconds, 3),
    createTopicSeconds: round(createTopicSeconds, 3),
    cleanStopSeconds: round(stopSeconds, 3),
    samples,
    startups: startups.map((s) => ({
      ...s,
      listeningSeconds: round(s.listeningSeconds, 3),
      readySeconds: round(s.readySeconds, 3),
    })),
  });
  console.log(`written to ${file}\n`);
}
