// Shared pieces of the acceptance tests: kafkajs clients with short timeouts, broker shutdown,
// and a raw wire connection for requests real clients will not send. Generic waiting, cleanup,
// assignment tracking and kcat runs are in ../helpers/.
import { readdirSync, readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import {
  type Admin,
  type Consumer,
  type ConsumerConfig,
  Kafka,
  type KafkaConfig,
  logLevel,
  type Producer,
} from "kafkajs";
import type { ApiDefinition } from "../../broker/protocol/apis.ts";
import { decodeResponse, encodeRequest } from "../../broker/protocol/headers.ts";
import type { BrokerProcess } from "../helpers/broker-process.ts";
import { cleanupAll, sleep } from "../helpers/wait.ts";

/** Every `type` (Kafka error name) and message along an error's cause chain, as kafkajs nests them. */
export function errorChain(error: unknown): { types: string[]; messages: string[] } {
  const types: string[] = [];
  const messages: string[] = [];
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current !== null && typeof current === "object" && !seen.has(current)) {
    seen.add(current);
    const e = current as { type?: unknown; message?: unknown; cause?: unknown; originalError?: unknown };
    if (typeof e.type === "string") types.push(e.type);
    if (typeof e.message === "string") messages.push(e.message);
    current = e.cause ?? e.originalError;
  }
  return { types, messages };
}

/** A kafkajs client with a small retry budget, silent logs, short connection timeouts. */
export function kafkaClient(address: string, clientId: string, extra: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({
    clientId,
    brokers: [address],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 15_000,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1000 },
    ...extra,
  });
}

/** Consumer settings that keep group tests quick; the broker must run with group.min.session.timeout.ms ≤ 3000. */
export function quickConsumerConfig(groupId: string, extra: Partial<ConsumerConfig> = {}): ConsumerConfig {
  return {
    groupId,
    sessionTimeout: 6000,
    rebalanceTimeout: 10_000,
    heartbeatInterval: 500,
    maxWaitTimeInMs: 250,
    // A consumer that gives up stays down instead of retrying forever and keeping the test process alive.
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1000, restartOnFailure: async () => false },
    ...extra,
  };
}

/** Broker configs shared by the group tests: short session timeouts accepted. */
export const quickGroupBrokerConfig = {
  "group.min.session.timeout.ms": 1000,
  "group.initial.rebalance.delay.ms": 0,
  "offsets.topic.num.partitions": 5,
} as const;

/** Pids of the broker processes serving `dataDir` (found through /proc, by their --data-dir argument). */
export function brokerPids(dataDir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      const at = args.indexOf("--data-dir");
      if (at >= 0 && args[at + 1] === dataDir && args.some((a) => a.endsWith("broker/server/main.ts")))
        pids.push(Number(entry));
    } catch {
      // the process is gone
    }
  }
  return pids;
}

/**
 * SIGTERM with a deadline, then the data dir goes. A broker stuck in its shutdown is killed by
 * pid (`stop()` has already let go of its handle, so `cleanup()` alone would leave it running).
 */
export async function shutdownBroker(broker: BrokerProcess | undefined): Promise<void> {
  if (broker === undefined) return;
  const stopped = await Promise.race([broker.stop().then(() => true), sleep(10_000).then(() => false)]);
  if (!stopped) {
    for (const pid of brokerPids(broker.dataDir)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
  await broker.cleanup();
}

/** Disconnects a consumer without waiting forever on a wedged broker. */
export async function disconnectQuietly(client: { disconnect(): Promise<void> } | undefined): Promise<void> {
  if (client === undefined) return;
  await Promise.race([client.disconnect().catch(() => undefined), sleep(5000)]);
}

/** A connected admin and producer of `kafka`, as most acceptance suites set up; both are let go if either fails. */
export async function connectAdminAndProducer(kafka: Kafka): Promise<{ admin: Admin; producer: Producer }> {
  const admin = kafka.admin();
  const producer = kafka.producer();
  try {
    await admin.connect();
    await producer.connect();
  } catch (error) {
    await cleanupAll(
      () => disconnectQuietly(producer),
      () => disconnectQuietly(admin),
    );
    throw error;
  }
  return { admin, producer };
}

/** For `after` hooks: disconnects the clients in order (each bounded), then shuts the broker down; never throws. */
export async function closeClientsAndBroker(
  broker: BrokerProcess | undefined,
  ...clients: Array<{ disconnect(): Promise<void> } | undefined>
): Promise<void> {
  await cleanupAll(...clients.map((c) => () => disconnectQuietly(c)), () => shutdownBroker(broker));
}

/** Adds the broker's log tail to a failing test's error, which is where broker bugs show. */
export async function withBrokerLog<T>(broker: () => BrokerProcess | undefined, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    const log = broker()?.output() ?? "";
    const tail = log.split("\n").slice(-40).join("\n");
    if (error instanceof Error) error.message += `\n--- broker log (tail) ---\n${tail}`;
    throw error;
  }
}

export interface ReceivedMessage {
  topic: string;
  partition: number;
  offset: bigint;
  key: string | null;
  value: string;
  timestamp: string;
  headers: Record<string, string>;
}

/** Collects everything a consumer delivers (eachMessage) into an array. */
export async function collectInto(consumer: Consumer, sink: ReceivedMessage[]): Promise<void> {
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(message.headers ?? {})) {
        headers[name] = Array.isArray(value) ? value.map((v) => v.toString()).join(",") : (value?.toString() ?? "");
      }
      sink.push({
        topic,
        partition,
        offset: BigInt(message.offset),
        key: message.key === null ? null : message.key.toString(),
        value: message.value?.toString() ?? "",
        timestamp: message.timestamp,
        headers,
      });
    },
  });
}

// ---------------------------------------------------------------------------------------------
// Raw wire connection, for requests that kafkajs and kcat check (or drop) on the client side.

export class RawConnection {
  private buffered = Buffer.alloc(0);
  private waiting: Array<(frame: Buffer) => void> = [];
  private correlationId = 1;
  closed = false;
  readonly closedPromise: Promise<void>;

  private constructor(readonly socket: Socket) {
    this.closedPromise = new Promise((resolve) =>
      socket.once("close", () => {
        this.closed = true;
        resolve();
      }),
    );
    socket.on("error", () => undefined);
    socket.on("data", (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      while (this.buffered.length >= 4) {
        const size = this.buffered.readInt32BE(0);
        if (this.buffered.length < 4 + size) break;
        const frame = this.buffered.subarray(4, 4 + size);
        this.buffered = this.buffered.subarray(4 + size);
        this.waiting.shift()?.(frame);
      }
    });
  }

  static open(address: string): Promise<RawConnection> {
    const [host, port] = splitAddress(address);
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port }, () => resolve(new RawConnection(socket)));
      socket.once("error", reject);
    });
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Sends one request and resolves with the decoded response body (one request in flight). */
  async request<Req, Res>(api: ApiDefinition<Req, Res>, version: number, body: Req): Promise<Res> {
    const correlationId = this.correlationId++;
    const frame = new Promise<Buffer>((resolve, reject) => {
      this.waiting.push(resolve);
      void this.closedPromise.then(() =>
        reject(new Error(`connection closed before the ${api.name} v${version} response`)),
      );
    });
    for (const chunk of encodeRequest(api, version, correlationId, "acceptance-raw", body)) this.socket.write(chunk);
    const decoded = decodeResponse(api, version, await frame);
    if (decoded.correlationId !== correlationId)
      throw new Error(`correlation id ${decoded.correlationId}, expected ${correlationId}`);
    return decoded.body;
  }

  close(): void {
    this.socket.destroy();
  }
}

export function splitAddress(address: string): [string, number] {
  const colon = address.lastIndexOf(":");
  return [address.slice(0, colon), Number(address.slice(colon + 1))];
}
