// What the benchmark suites share: the broker process, both clients behind one small interface,
// topic set-up, send loops, timing, percentiles, progress lines, tables and result files.
// Throughput is in records/s and MB/s with MB = 10^6 bytes of record keys and values.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import { Kafka as KafkaJS, Partitioners as KafkajsPartitioners, logLevel as kafkajsLogLevel } from "kafkajs";
import { Kafka as OurKafka } from "../broker/client/kafka.ts";
import { startBroker } from "../test/helpers/broker-process.ts";
import { platformaticConsumer, platformaticProducer } from "./platformatic-client.ts";

// ---------------------------------------------------------------------------------------------
// Broker

/** Every suite's broker: few offsets partitions (fast start) and no initial rebalance delay. */
export const BROKER_CONFIG = { "offsets.topic.num.partitions": 5, "group.initial.rebalance.delay.ms": 0 } as const;

/** Starts a broker process with a fresh data directory for `fn`; prints its log tail if `fn` fails. */
export async function withBroker<T>(
  suite: string,
  fn: (address: string, pid: number | undefined, adminUrl: string | null) => Promise<T>,
  /** adminPort: the broker's admin listener (its /metrics), for suites that read the broker's own figures. */
  options: { adminPort?: number } = {},
): Promise<T> {
  const broker = await startBroker({ config: { ...BROKER_CONFIG }, ...options });
  log(suite, `broker at ${broker.address} (data in ${broker.dataDir})`);
  try {
    return await fn(broker.address, broker.pid, broker.adminUrl);
  } catch (error) {
    console.error(`--- broker log (tail) ---\n${broker.output().split("\n").slice(-30).join("\n")}`);
    throw error;
  } finally {
    // A profiled broker (CPU_PROF_DIR, cpu-profile.mjs) writes its profile as it exits: stop it, not kill it.
    if (process.env.CPU_PROF_DIR) await broker.stop();
    await broker.cleanup();
  }
}

// ---------------------------------------------------------------------------------------------
// Clients: ours (broker/client/kafka.ts), kafkajs and @platformatic/kafka (bench/platformatic-client.ts),
// with default settings unless a caller says. Platformatic's adapter has no eachMessage.

export type ClientName = "ours" | "kafkajs" | "platformatic";
/** kafkajs first, so each table row reads baseline then ours. */
export const CLIENTS: readonly ("ours" | "kafkajs")[] = ["kafkajs", "ours"];
/** The client suite's: both baselines, then ours. */
export const ALL_CLIENTS: readonly ClientName[] = ["kafkajs", "platformatic", "ours"];

export interface BenchMessage {
  value: Buffer;
  partition?: number;
}

export interface BenchProducer {
  connect(): Promise<void>;
  send(record: { topic: string; messages: BenchMessage[]; acks?: number }): Promise<unknown>;
  disconnect(): Promise<void>;
}

export interface ReceivedMessage {
  key: Buffer | null;
  value: Buffer | null;
}

/** The part of both clients' consumer API the benchmarks use. */
export interface BenchConsumer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  subscribe(subscription: { topics: string[]; fromBeginning: boolean }): Promise<void>;
  run(config: {
    eachBatch?: (payload: { batch: { messages: ReceivedMessage[] } }) => Promise<void>;
    eachMessage?: (payload: { partition: number; message: ReceivedMessage }) => Promise<void>;
  }): Promise<void>;
  on(event: "consumer.group_join", listener: () => void): unknown;
  on(event: "consumer.crash", listener: (event: { payload: { error: Error } }) => void): unknown;
}

/** Consumer settings both clients take with kafkajs's names; unset ones keep the client's default. */
export interface BenchConsumerConfig {
  groupId: string;
  sessionTimeout?: number;
  heartbeatInterval?: number;
  maxWaitTimeInMs?: number;
  maxBytesPerPartition?: number;
  maxBytes?: number;
}

const NO_LOGS = 0; // logLevel.NOTHING in both clients

function kafkaOf(client: "ours" | "kafkajs", address: string, clientId: string): OurKafka | KafkaJS {
  return client === "kafkajs"
    ? new KafkaJS({ brokers: [address], clientId, logLevel: kafkajsLogLevel.NOTHING })
    : new OurKafka({ brokers: [address], clientId, logLevel: NO_LOGS });
}

/** A producer (not yet connected); keyless messages go round-robin in both clients. */
export function createProducer(client: ClientName, address: string, clientId = `bench-${client}`): BenchProducer {
  if (client === "platformatic") return platformaticProducer(address, clientId);
  const kafka = kafkaOf(client, address, clientId);
  const producer =
    kafka instanceof KafkaJS
      ? kafka.producer({ allowAutoTopicCreation: false, createPartitioner: KafkajsPartitioners.DefaultPartitioner })
      : kafka.producer({ allowAutoTopicCreation: false });
  return producer as unknown as BenchProducer;
}

/** A consumer (not yet connected). */
export function createConsumer(
  client: ClientName,
  address: string,
  config: BenchConsumerConfig,
  clientId = `bench-${client}`,
): BenchConsumer {
  if (client === "platformatic") return platformaticConsumer(address, config, clientId) as unknown as BenchConsumer;
  return kafkaOf(client, address, clientId).consumer(config) as unknown as BenchConsumer;
}

/** A new group id, unique within the run. */
export const uniqueGroupId = (prefix: string): string =>
  `${prefix}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;

// ---------------------------------------------------------------------------------------------
// Topics (set up and checked through kafkajs's admin, the reference, whichever client is measured)

/** Runs `fn` with a connected kafkajs admin on `address`, disconnected after. */
export async function withAdmin<T>(
  address: string,
  fn: (admin: ReturnType<KafkaJS["admin"]>) => Promise<T>,
): Promise<T> {
  const admin = new KafkaJS({ brokers: [address], clientId: "bench-admin", logLevel: kafkajsLogLevel.NOTHING }).admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

export async function createTopic(address: string, topic: string, partitions: number): Promise<void> {
  await withAdmin(address, (admin) =>
    admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true }),
  );
}

/** How many records the topic holds (the sum of its partitions' high watermarks). */
export async function topicRecords(address: string, topic: string): Promise<number> {
  return withAdmin(address, async (admin) =>
    (await admin.fetchTopicOffsets(topic)).reduce((sum, o) => sum + Number(o.high), 0),
  );
}

/** A record value of `bytes` bytes, a-z repeated. */
export function recordValue(bytes: number): Buffer {
  const value = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) value[i] = 97 + (i % 26);
  return value;
}

export interface SendLoop {
  topic: string;
  /** Messages per send. */
  batchSize: number;
  recordBytes: number;
  /** Sends outstanding at a time: that many loops, each sending again once its last send resolved. */
  inFlight: number;
  acks: number;
  /** Stop after this many records... */
  records?: number;
  /** ...or once this many ms have passed (checked before each send). */
  forMs?: number;
  /** Each send goes to one partition, in turn over this many (else the client's partitioner spreads it). */
  partitionPerSend?: number;
  /** Called after each completed send with the records acknowledged so far. */
  onProgress?: (sent: number) => void;
}

/** Runs sends until `records` have been sent or `forMs` has passed; returns the records sent. */
export async function sendLoop(producer: BenchProducer, loop: SendLoop): Promise<number> {
  const { topic, batchSize, inFlight, acks, records = Infinity, forMs = Infinity, partitionPerSend, onProgress } = loop;
  const value = recordValue(loop.recordBytes);
  const full = Array.from({ length: batchSize }, () => ({ value }));
  const deadline = performance.now() + forMs;
  let remaining = records;
  let sends = 0;
  let sent = 0;
  const worker = async (): Promise<void> => {
    while (remaining > 0 && performance.now() < deadline) {
      const count = Math.min(batchSize, remaining);
      remaining -= count;
      const partition = partitionPerSend === undefined ? undefined : sends++ % partitionPerSend;
      const messages =
        partition === undefined
          ? count === batchSize
            ? full
            : full.slice(0, count)
          : Array.from({ length: count }, () => ({ value, partition }));
      await producer.send({ topic, acks, messages });
      sent += count;
      onProgress?.(sent);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return sent;
}

// ---------------------------------------------------------------------------------------------
// Timing and statistics

export interface Rate {
  recordsPerSec: number;
  mbPerSec: number;
  seconds: number;
}

export function rate(records: number, bytes: number, seconds: number): Rate {
  return {
    recordsPerSec: Math.round(records / seconds),
    mbPerSec: round(bytes / 1e6 / seconds, 2),
    seconds: round(seconds, 3),
  };
}

/** CPU time so far, in µs: this process's (the client's) and, when its pid is known, the broker's. */
export interface CpuSample {
  client: number;
  /** The part of `client` spent in the kernel (socket reads and writes, mostly). */
  clientSystem: number;
  broker: number | undefined;
}

export function cpuSample(brokerPid: number | undefined): CpuSample {
  const { user, system } = process.cpuUsage();
  return {
    client: user + system,
    clientSystem: system,
    broker: brokerPid === undefined ? undefined : processCpuMicros(brokerPid),
  };
}

/** utime + stime of a process from /proc/<pid>/stat (clock ticks of 10 ms on Linux), in µs. */
export function processCpuMicros(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return undefined;
  }
}

/** CPU µs per record between two samples, for the client and the broker. */
export interface CpuPerRecord {
  clientUs: number;
  /** Of clientUs, in the kernel. */
  clientSystemUs: number;
  brokerUs: number | null;
}

export function cpuPerRecord(from: CpuSample, to: CpuSample, records: number): CpuPerRecord {
  return {
    clientUs: round((to.client - from.client) / records, 3),
    clientSystemUs: round((to.clientSystem - from.clientSystem) / records, 3),
    brokerUs:
      from.broker === undefined || to.broker === undefined ? null : round((to.broker - from.broker) / records, 3),
  };
}

/** Seconds since `startMs` (a performance.now() reading). */
export const secondsSince = (startMs: number): number => (performance.now() - startMs) / 1000;

export const round = (n: number, digits: number): number => Math.round(n * 10 ** digits) / 10 ** digits;

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `step` once per tick of `tickMs` for `seconds`: a fixed number of ticks, each started at its
 * scheduled time or, when behind, at once. Counted by tick, not by the clock, because a timer may
 * fire a fraction of a millisecond before performance.now() says it is due.
 */
export async function forEachTick(
  tickMs: number,
  seconds: number,
  step: (tick: number) => Promise<void>,
): Promise<void> {
  const ticks = Math.round((seconds * 1000) / tickMs);
  const start = performance.now();
  for (let tick = 0; tick < ticks; tick++) {
    await sleep(Math.max(0, start + tick * tickMs - performance.now()));
    await step(tick);
  }
}

/** `promise`, or a rejection with `message` if it has not settled within `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, message: string | (() => string)): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(typeof message === "string" ? message : message())), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export { percentile } from "../seed/lab/verify-run.ts";

// ---------------------------------------------------------------------------------------------
// Output

export const int = (n: number): string => n.toLocaleString("en");

/** 1234567 → "1.23M", 85300 → "85.3k". */
export function short(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return n.toFixed(0);
}

export function log(suite: string, text: string): void {
  console.log(`[${suite}] ${text}`);
}

/** Prints "[suite] label ... " then, when `fn` settles, its summary (or "failed") on the same line. */
export async function step<T>(
  suite: string,
  label: string,
  fn: () => Promise<T>,
  summary: (result: T) => string,
): Promise<T> {
  process.stdout.write(`[${suite}] ${label} ... `);
  try {
    const result = await fn();
    process.stdout.write(`${summary(result)}\n`);
    return result;
  } catch (error) {
    process.stdout.write("failed\n");
    throw error;
  }
}

/** Prints rows under a header: the first column left-aligned, the others right-aligned. */
export function printTable(header: string[], rows: string[][]): void {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((row) => (row[c] ?? "").length)));
  const line = (row: string[]): string =>
    row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  ");
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const row of rows) console.log(line(row));
}

const kafkajsVersion = (): string =>
  (
    JSON.parse(
      readFileSync(fileURLToPath(new URL("../node_modules/kafkajs/package.json", import.meta.url)), "utf8"),
    ) as { version: string }
  ).version;

/** Writes bench/results/<name> with the run's environment ahead of `body`; returns the path. */
export function writeResults(name: string, body: Record<string, unknown>): string {
  const report = {
    date: new Date().toISOString(),
    node: process.version,
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? "unknown",
      memoryGiB: Math.round(totalmem() / 2 ** 30),
    },
    kafkajs: kafkajsVersion(),
    ...body,
  };
  const dir = fileURLToPath(new URL("./results/", import.meta.url));
  mkdirSync(dir, { recursive: true });
  const file = `${dir}${name}`;
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}
