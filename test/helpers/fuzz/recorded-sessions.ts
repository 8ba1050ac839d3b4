// Real clients' request frames, recorded off the wire of a session against the real broker: a
// kafkajs session (its socket factory taps what it writes) and a kcat/librdkafka session (through
// a loopback proxy that taps what kcat writes and points the broker addresses in Metadata and
// FindCoordinator answers at itself, so that every connection kcat opens passes through it).

import { connect, createServer, type Server, type Socket } from "node:net";
import { Kafka, logLevel } from "kafkajs";
import { type ApiDefinition, Apis } from "../../../broker/protocol/apis.ts";
import { FrameReader } from "../../../broker/protocol/frame-reader.ts";
import { decodeResponse, encodeResponse } from "../../../broker/protocol/headers.ts";
import { runKcat } from "../kcat.ts";
import { cleanupAll } from "../wait.ts";
import type { RequestFrame } from "./frame-fields.ts";

/** Splits what a client wrote into frames (int32 size, then that many bytes). */
class FrameTap {
  private pending = Buffer.alloc(0);
  constructor(private readonly onFrame: (frame: RequestFrame) => void) {}

  push(chunk: Buffer): void {
    this.pending = Buffer.concat([this.pending, chunk]);
    while (this.pending.length >= 4) {
      const size = this.pending.readInt32BE(0);
      if (this.pending.length < 4 + size) return;
      this.onFrame(Buffer.from(this.pending.subarray(4, 4 + size)));
      this.pending = this.pending.subarray(4 + size);
    }
  }
}

/** How long one step of a recorded session may take. */
const SESSION_STEP_MS = 30_000;

/**
 * Runs a kafkajs session against `address` touching every API kafkajs uses with this broker
 * (admin, plain/idempotent/gzip produce, a consumer group, offsets, deletes) and returns every
 * request frame it sent.
 */
export async function recordKafkajsRequests(address: string): Promise<RequestFrame[]> {
  const frames: RequestFrame[] = [];
  const kafka = new Kafka({
    clientId: "recorded-session",
    brokers: [address],
    logLevel: logLevel.NOTHING,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1000 },
    socketFactory: ({ host, port, onConnect }) => {
      const socket = connect({ host, port }, onConnect);
      const tap = new FrameTap((frame) => frames.push(frame));
      const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
      (socket as { write: (...args: unknown[]) => boolean }).write = (data: unknown, ...rest: unknown[]) => {
        if (Buffer.isBuffer(data)) tap.push(data);
        else if (typeof data === "string") tap.push(Buffer.from(data));
        return write(data, ...rest);
      };
      return socket;
    },
  });
  const topic = "recorded";
  const admin = kafka.admin();
  const producer = kafka.producer();
  const idempotent = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const consumer = kafka.consumer({
    groupId: "recorded-group",
    sessionTimeout: 6000,
    heartbeatInterval: 200,
    maxWaitTimeInMs: 100,
  });
  try {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    await admin.createPartitions({ topicPartitions: [{ topic, count: 3 }] });
    await admin.describeConfigs({ resources: [{ type: 2, name: topic }], includeSynonyms: false });
    await producer.connect();
    await producer.send({
      topic,
      messages: [
        { key: "k1", value: "v1", headers: { trace: "t1" } },
        { key: null, value: "v2", timestamp: "1700000000000" },
      ],
    });
    await producer.send({ topic, compression: 1, messages: [{ key: "k3", value: "x".repeat(200) }] });
    await idempotent.connect();
    await idempotent.send({ topic, messages: [{ key: "k4", value: "v4" }] });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    let received = 0;
    let timer: NodeJS.Timeout | undefined;
    // A consumer that crashes or never gets its records must fail the recording, not hang it.
    const allReceived = new Promise<void>((resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`recording: the consumer got ${received} of 4 records in ${SESSION_STEP_MS} ms`)),
        SESSION_STEP_MS,
      );
      consumer.on(consumer.events.CRASH, ({ payload }) => reject(payload.error));
      consumer
        .run({
          eachMessage: async () => {
            received++;
            if (received >= 4) resolve();
          },
        })
        .catch(reject);
    });
    try {
      await allReceived;
    } finally {
      clearTimeout(timer);
    }
    await consumer.commitOffsets([{ topic, partition: 0, offset: "1" }]);
    await consumer.stop();
    await consumer.disconnect();
    await admin.fetchTopicOffsets(topic);
    await admin.fetchTopicOffsetsByTimestamp(topic, 1_700_000_000_000);
    await admin.fetchOffsets({ groupId: "recorded-group", topics: [topic] });
    await admin.listGroups();
    await admin.describeGroups(["recorded-group"]);
    await admin.deleteGroups(["recorded-group"]);
    await admin.fetchTopicMetadata({ topics: [topic] });
    await admin.deleteTopics({ topics: [topic] });
  } finally {
    await cleanupAll(
      () => consumer.disconnect(),
      () => idempotent.disconnect(),
      () => producer.disconnect(),
      () => admin.disconnect(),
    );
  }
  return frames;
}

/**
 * Runs a kcat session through a recording proxy in front of `address`: produce (keys, headers;
 * uncompressed, gzip, snappy, lz4, zstd), consume from the beginning, a consumer group with
 * commits, metadata and an offsets query. `topic` must exist. Returns every request frame kcat
 * sent.
 */
export async function recordKcatRequests(address: string, topic: string): Promise<RequestFrame[]> {
  const proxy = await RecordingProxy.start(address);
  const bootstrap = proxy.address;
  const run = async (args: string[], input?: string): Promise<void> => {
    const result = await runKcat(["-b", bootstrap, "-X", "broker.address.family=v4", ...args], { input });
    if (result.code !== 0) throw new Error(`kcat ${args.join(" ")} failed (${result.code}): ${result.stderr}`);
  };
  try {
    const lines = (tag: string) => Array.from({ length: 3 }, (_, i) => `key-${tag}-${i}:value-${tag}-${i}\n`).join("");
    await run(["-P", "-t", topic, "-K:", "-H", "trace=kcat"], lines("plain"));
    for (const codec of ["gzip", "snappy", "lz4", "zstd"])
      await run(["-P", "-t", topic, "-K:", "-z", codec], lines(codec));
    await run(["-C", "-t", topic, "-o", "beginning", "-e", "-q"]);
    await run([
      "-G",
      "recorded-kcat-group",
      "-o",
      "beginning",
      "-c",
      "3",
      "-q",
      "-X",
      "auto.commit.interval.ms=100",
      topic,
    ]);
    await run(["-L", "-t", topic]);
    await run(["-Q", "-t", `${topic}:0:1700000000000`]);
  } finally {
    await proxy.stop();
  }
  return proxy.frames;
}

/** Answers that name brokers by host and port, which the proxy points at itself. */
const ADDRESSING_APIS: ReadonlyMap<number, ApiDefinition> = new Map<number, ApiDefinition>([
  [Apis.Metadata.apiKey, Apis.Metadata],
  [Apis.FindCoordinator.apiKey, Apis.FindCoordinator],
  [Apis.DescribeCluster.apiKey, Apis.DescribeCluster],
]);

/**
 * A loopback TCP proxy in front of one broker that records the request frames clients send
 * through it and rewrites the broker's port to its own in the answers that name brokers.
 */
class RecordingProxy {
  readonly frames: RequestFrame[] = [];
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    private readonly brokerHost: string,
    private readonly brokerPort: number,
  ) {}

  static async start(brokerAddress: string): Promise<RecordingProxy> {
    const [host, port] = brokerAddress.split(":");
    const server = createServer();
    const proxy = new RecordingProxy(server, host!, Number(port));
    server.on("connection", (client) => proxy.relay(client));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return proxy;
  }

  get address(): string {
    const { port } = this.server.address() as { port: number };
    return `127.0.0.1:${port}`;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: Socket): void {
    const upstream = connect(this.brokerPort, this.brokerHost);
    this.sockets.add(client).add(upstream);
    /** What each correlation id asked for, to rewrite its answer. */
    const asked = new Map<number, { apiKey: number; version: number }>();
    const tap = new FrameTap((frame) => {
      this.frames.push(frame);
      if (frame.length >= 8)
        asked.set(frame.readInt32BE(4), { apiKey: frame.readInt16BE(0), version: frame.readInt16BE(2) });
    });
    client.on("data", (chunk: Buffer) => {
      tap.push(chunk);
      upstream.write(chunk);
    });
    const answers = new FrameReader(
      { minSize: 4, maxSize: 1 << 30, preallocateUpTo: 1 << 20 },
      (payload) => {
        let answer: Buffer[];
        try {
          answer = this.rewritten(payload, asked);
        } catch {
          // An answer the proxy cannot decode goes on as it came: kcat, not the proxy, judges it.
          answer = [sizePrefix(payload.length), payload];
        }
        client.write(Buffer.concat(answer));
      },
      () => client.destroy(),
    );
    upstream.on("data", (chunk: Buffer) => answers.push(chunk));
    const close = (): void => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    for (const socket of [client, upstream]) {
      socket.on("close", close);
      socket.on("error", close);
    }
  }

  /** The answer as a size-prefixed frame, with the broker's port replaced by the proxy's where it is named. */
  private rewritten(payload: Buffer, asked: Map<number, { apiKey: number; version: number }>): Buffer[] {
    const correlationId = payload.readInt32BE(0);
    const request = asked.get(correlationId);
    asked.delete(correlationId);
    const api = request && ADDRESSING_APIS.get(request.apiKey);
    if (api === undefined || request === undefined) return [sizePrefix(payload.length), payload];
    const { body } = decodeResponse(api, request.version, payload);
    const proxyPort = Number(this.address.split(":")[1]);
    const repoint = (entry: { port: number }): void => {
      if (entry.port === this.brokerPort) entry.port = proxyPort;
    };
    const named = body as { brokers?: Array<{ port: number }>; port?: number; coordinators?: Array<{ port: number }> };
    for (const broker of named.brokers ?? []) repoint(broker);
    for (const coordinator of named.coordinators ?? []) repoint(coordinator);
    if (typeof named.port === "number") repoint(named as { port: number });
    return encodeResponse(api, request.version, correlationId, body);
  }
}

function sizePrefix(size: number): Buffer {
  const prefix = Buffer.alloc(4);
  prefix.writeInt32BE(size);
  return prefix;
}
