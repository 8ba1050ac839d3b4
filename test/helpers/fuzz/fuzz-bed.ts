// What the wire fuzzer's CI test (test/acceptance/wire-fuzz.test.ts) and its bench (bench/fuzz.ts)
// set up around runFuzz: a broker process, its fuzz topics, the corpus (a kafkajs and a kcat
// session recorded against it, requests generated from the schemas, gzip bombs), the healthy
// clients whose rounds are the checkpoints, and the checks after the run (the broker still
// answers ApiVersions and Metadata, and logged no error).
//
// Ownership: HealthyFlows owns its kafkajs producer and consumer, and the kcat processes of a round.

import type { Consumer, Producer } from "kafkajs";
import { Apis } from "../../../broker/protocol/apis.ts";
import { kafkaClient } from "../../acceptance/helpers.ts";
import { type BrokerProcess, startBroker } from "../broker-process.ts";
import { runKcat } from "../kcat.ts";
import { cleanupAll, disconnectQuietly, waitFor } from "../wait.ts";
import { requestOnce } from "../wire-client.ts";
import { generateRequests, gzipBombFrames } from "./generated-requests.ts";
import { recordKafkajsRequests, recordKcatRequests } from "./recorded-sessions.ts";
import type { FuzzCorpus } from "./wire-fuzzer.ts";

/** The seed a run uses unless FUZZ_SEED names another (a failure prints the seed it ran with). */
export const DEFAULT_FUZZ_SEED = 15;

/** FUZZ_SEED from the environment, or the default. */
export function fuzzSeed(env: Record<string, string | undefined> = process.env): number {
  const text = env.FUZZ_SEED;
  if (text === undefined || text === "") return DEFAULT_FUZZ_SEED;
  const seed = Number(text);
  if (!Number.isSafeInteger(seed)) throw new Error(`FUZZ_SEED must be an integer, not "${text}"`);
  return seed;
}

/** Where the generated and recorded Produce requests go, so that appends and record checks are reached. */
export const FUZZ_TOPICS = ["fuzz-a", "fuzz-b"] as const;
const HEALTHY_KAFKAJS_TOPIC = "healthy-kafkajs";
const HEALTHY_KCAT_TOPIC = "healthy-kcat";
const HEALTHY_GROUP = "healthy-kafkajs-group";
/** Records per client and round. */
const ROUND_RECORDS = 10;
/** How long one round of a healthy client may take: far beyond what a served round needs, even on a busy machine. */
const ROUND_TIMEOUT_MS = 30_000;
/** Valid frames per (API, version) pair in the corpus. */
const GENERATED_PER_VERSION = 4;

/**
 * The fuzzed broker's settings: short group session timeouts accepted (the recorded session uses
 * them), no rebalance delay, few offsets partitions (a quick start).
 */
export const FUZZ_BROKER_CONFIG = {
  "group.min.session.timeout.ms": 1000,
  "group.initial.rebalance.delay.ms": 0,
  "offsets.topic.num.partitions": 5,
} as const;

export const startFuzzBroker = (): Promise<BrokerProcess> => startBroker({ config: { ...FUZZ_BROKER_CONFIG } });

export interface PreparedCorpus {
  corpus: FuzzCorpus;
  /** (API, version) pairs the generated frames cover. */
  versions: number;
}

/**
 * Creates the fuzz and healthy topics, records a kafkajs session and (with `kcat`) a kcat session
 * against the broker, and generates the valid frames from `seed`.
 */
export async function prepareCorpus(
  address: string,
  seed: number,
  options: { kcat: boolean },
): Promise<PreparedCorpus> {
  const admin = kafkaClient(address, "fuzz-setup").admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [
        ...FUZZ_TOPICS.map((topic) => ({ topic, numPartitions: 2 })),
        { topic: HEALTHY_KAFKAJS_TOPIC, numPartitions: 2 },
        { topic: HEALTHY_KCAT_TOPIC, numPartitions: 1 },
      ],
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
  const kafkajs = await recordKafkajsRequests(address);
  const kcat = options.kcat ? await recordKcatRequests(address, FUZZ_TOPICS[0]) : [];
  const generated = generateRequests(seed, GENERATED_PER_VERSION, FUZZ_TOPICS);
  return {
    corpus: { generated: generated.frames, kafkajs, kcat, bombs: gzipBombFrames(FUZZ_TOPICS) },
    versions: generated.versions,
  };
}

/** Checkpoint rounds each healthy client got through. */
export interface HealthyRounds {
  kafkajs: number;
  kcat: number;
}

/**
 * The healthy clients: a kafkajs producer and a consumer in a group, connected for the whole run,
 * and (with `kcat`) kcat runs. A round produces records tagged with its index through each and
 * must see them all consumed.
 */
export class HealthyFlows {
  readonly rounds: HealthyRounds = { kafkajs: 0, kcat: 0 };
  private readonly received = new Set<string>();
  private crashed: Error | undefined;

  private constructor(
    private readonly address: string,
    private readonly producer: Producer,
    private readonly consumer: Consumer,
    private readonly kcat: boolean,
  ) {}

  static async start(address: string, options: { kcat: boolean }): Promise<HealthyFlows> {
    const kafka = kafkaClient(address, "healthy");
    const producer = kafka.producer();
    const consumer = kafka.consumer({
      groupId: HEALTHY_GROUP,
      sessionTimeout: 10_000,
      heartbeatInterval: 1000,
      maxWaitTimeInMs: 250,
    });
    const flows = new HealthyFlows(address, producer, consumer, options.kcat);
    try {
      await producer.connect();
      await consumer.connect();
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        flows.crashed = payload.error;
      });
      await consumer.subscribe({ topics: [HEALTHY_KAFKAJS_TOPIC], fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          flows.received.add(message.value?.toString() ?? "");
        },
      });
    } catch (error) {
      await flows.stop();
      throw error;
    }
    return flows;
  }

  /** Round `index` of each client; throws with what went wrong. */
  async round(index: number): Promise<void> {
    await this.kafkajsRound(index);
    if (this.kcat) await this.kcatRound(index);
  }

  async stop(): Promise<void> {
    await cleanupAll(
      () => disconnectQuietly(this.consumer),
      () => disconnectQuietly(this.producer),
    );
  }

  private async kafkajsRound(index: number): Promise<void> {
    const values = Array.from({ length: ROUND_RECORDS }, (_, i) => `round-${index}-${i}`);
    await this.producer.send({
      topic: HEALTHY_KAFKAJS_TOPIC,
      messages: values.map((value, i) => ({ key: `key-${i}`, value })),
    });
    await waitFor(() => this.crashed === undefined && values.every((value) => this.received.has(value)), {
      timeoutMs: ROUND_TIMEOUT_MS,
      message: () =>
        this.crashed
          ? `the kafkajs consumer crashed: ${this.crashed.message}`
          : `kafkajs consumer to get round ${index} (has ${values.filter((v) => this.received.has(v)).length} of ${values.length})`,
    });
    this.rounds.kafkajs++;
  }

  private async kcatRound(index: number): Promise<void> {
    const values = Array.from({ length: ROUND_RECORDS }, (_, i) => `kcat-round-${index}-${i}`);
    const kcat = async (args: string[], input?: string): Promise<string> => {
      const result = await runKcat(["-b", this.address, ...args], { input, timeoutMs: ROUND_TIMEOUT_MS });
      if (result.code !== 0)
        throw new Error(`kcat ${args.join(" ")} failed (${result.code ?? result.signal}): ${result.stderr.trim()}`);
      return result.stdout;
    };
    await kcat(["-P", "-t", HEALTHY_KCAT_TOPIC, "-K:"], values.map((value, i) => `key-${i}:${value}\n`).join(""));
    const consumed = new Set(
      (await kcat(["-C", "-t", HEALTHY_KCAT_TOPIC, "-o", "beginning", "-e", "-q", "-f", "%s\\n"])).split("\n"),
    );
    const missing = values.filter((value) => !consumed.has(value));
    if (missing.length > 0) throw new Error(`kcat consumed round ${index} without ${missing.join(", ")}`);
    this.rounds.kcat++;
  }
}

/** What the broker answers after the run: its ApiVersions error code and the topics its Metadata names. */
export async function brokerAnswers(address: string): Promise<{ apiVersionsError: number; topics: string[] }> {
  const answer = async <T>(request: Promise<T>, what: string): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no ${what} answer within ${ROUND_TIMEOUT_MS} ms`)), ROUND_TIMEOUT_MS);
    });
    try {
      return await Promise.race([request, timeout]);
    } finally {
      clearTimeout(timer);
    }
  };
  const versions = await answer(
    requestOnce(address, Apis.ApiVersions, 3, { clientSoftwareName: "fuzz-check", clientSoftwareVersion: "1" }),
    "ApiVersions",
  );
  const metadata = await answer(
    requestOnce(address, Apis.Metadata, 6, { topics: null, allowAutoTopicCreation: false }),
    "Metadata",
  );
  return { apiVersionsError: versions.errorCode, topics: metadata.topics.map((t) => t.name ?? "") };
}

/** The broker's log lines at level error (an unopenable log, a failed write): a fuzzed request must cause none. */
export function errorLines(output: string): string[] {
  return output.split("\n").filter((line) => line.includes('"level":"error"'));
}
