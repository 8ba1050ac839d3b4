// Real kafkajs request frames, recorded off the sockets of a kafkajs session, and mutated copies
// of them as a buggy client would send: flipped bits, integer fields (lengths, counts, sizes,
// timeouts) rewritten to extreme values, truncations. Used to check that a bad frame costs the
// broker at most its connection.

import { connect, type Socket } from "node:net";
import { Kafka, logLevel } from "kafkajs";
import { apiByKey, requestHeaderVersion } from "../../broker/protocol/apis.ts";
import { decodeRequestHeader } from "../../broker/protocol/headers.ts";
import { Reader } from "../../broker/protocol/primitives.ts";
import { decode } from "../../broker/protocol/schema.ts";
import { seededRandom } from "../../seed/load/workload.ts";
import { cleanupAll } from "./wait.ts";

/** One request as kafkajs sent it, without its size prefix. */
export type RequestFrame = Buffer;

/** Splits what a client wrote into frames (int32 size, then that many bytes). */
class FrameTap {
  private pending = Buffer.alloc(0);
  constructor(private readonly frames: RequestFrame[]) {}

  push(chunk: Buffer): void {
    this.pending = Buffer.concat([this.pending, chunk]);
    while (this.pending.length >= 4) {
      const size = this.pending.readInt32BE(0);
      if (this.pending.length < 4 + size) return;
      this.frames.push(Buffer.from(this.pending.subarray(4, 4 + size)));
      this.pending = this.pending.subarray(4 + size);
    }
  }
}

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
      const tap = new FrameTap(frames);
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
    const allReceived = new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async () => {
          received++;
          if (received >= 4) resolve();
        },
      });
    });
    await allReceived;
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

/** Where an integer field of a frame lies, found by decoding the frame with the broker's own schemas. */
export interface IntegerField {
  offset: number;
  /** Bytes on the wire; for a varint, the bytes it took. */
  width: number;
  kind: "int8" | "int16" | "int32" | "int64" | "varint";
}

/** A Reader that notes where each integer (lengths and counts included) was read. */
class FieldRecordingReader extends Reader {
  readonly fields: IntegerField[] = [];

  private note(kind: IntegerField["kind"], width: number): void {
    this.fields.push({ offset: this.offset, width, kind });
  }

  override int8(): number {
    this.note("int8", 1);
    return super.int8();
  }
  override int16(): number {
    this.note("int16", 2);
    return super.int16();
  }
  override int32(): number {
    this.note("int32", 4);
    return super.int32();
  }
  override int64(): bigint {
    this.note("int64", 8);
    return super.int64();
  }
  override uvarint(): number {
    const start = this.offset;
    const value = super.uvarint();
    this.fields.push({ offset: start, width: this.offset - start, kind: "varint" });
    return value;
  }
}

/** The integer fields of a request frame (header and body), or only the header's when the body does not decode. */
export function integerFieldsOf(frame: RequestFrame): IntegerField[] {
  const reader = new FieldRecordingReader(frame);
  try {
    const apiKey = frame.readInt16BE(0);
    const apiVersion = frame.readInt16BE(2);
    decodeRequestHeader(reader, requestHeaderVersion(apiKey, apiVersion));
    const api = apiByKey(apiKey);
    if (api) decode(api.requestSchema, apiVersion, reader);
  } catch {
    // keep what was found before the failure
  }
  return reader.fields;
}

const EXTREME_INT16 = [0x7fff, -1, -2, -0x8000, 0x4000, 0];
const EXTREME_INT32 = [0x7fffffff, -1, -2, -0x80000000, 0x10000000, 0x01000000, 1_000_000, 0];
const EXTREME_UVARINT = [0xffffffff, 0x7fffffff, 0x10000000, 1_000_000, 0, 1, 2];

function uvarintBytes(value: number): Buffer {
  const bytes: number[] = [];
  while (value >= 0x80) {
    bytes.push((value % 128) | 0x80);
    value = Math.floor(value / 128);
  }
  bytes.push(value);
  return Buffer.from(bytes);
}

export type MutationKind = "bit-flips" | "integer-field" | "truncation" | "mixed";

export interface MutatedFrame {
  kind: MutationKind;
  /** What goes on the wire, size prefix included (which may disagree with the body on purpose). */
  bytes: Buffer;
}

/** One mutated copy of `frame`, chosen by `random`; `fields` as integerFieldsOf(frame) found them. */
export function mutateFrame(frame: RequestFrame, fields: readonly IntegerField[], random: () => number): MutatedFrame {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const roll = random();
  const kind: MutationKind =
    roll < 0.3 ? "bit-flips" : roll < 0.75 ? "integer-field" : roll < 0.9 ? "truncation" : "mixed";
  let body: Buffer = Buffer.from(frame);

  const flipBits = (): void => {
    const flips = 1 + Math.floor(random() * 4);
    for (let i = 0; i < flips && body.length > 0; i++) {
      const at = Math.floor(random() * body.length);
      body[at]! ^= 1 << Math.floor(random() * 8);
    }
  };
  const rewriteField = (): void => {
    if (fields.length === 0) {
      flipBits();
      return;
    }
    const field = pick(fields);
    if (field.offset + field.width > body.length) {
      flipBits();
      return;
    }
    switch (field.kind) {
      case "int8":
        body.writeInt8(pick([-1, 127, -128, 0]), field.offset);
        break;
      case "int16":
        body.writeInt16BE(pick(EXTREME_INT16), field.offset);
        break;
      case "int32":
        body.writeInt32BE(pick(EXTREME_INT32), field.offset);
        break;
      case "int64":
        body.writeBigInt64BE(pick([-1n, 0x7fffffffffffffffn, -0x8000000000000000n, 0n]), field.offset);
        break;
      case "varint":
        body = Buffer.concat([
          body.subarray(0, field.offset),
          uvarintBytes(pick(EXTREME_UVARINT)),
          body.subarray(field.offset + field.width),
        ]);
        break;
    }
  };
  const truncate = (): void => {
    body = body.subarray(0, Math.floor(random() * body.length));
  };

  if (kind === "bit-flips") flipBits();
  else if (kind === "integer-field") rewriteField();
  else if (kind === "truncation") truncate();
  else {
    rewriteField();
    flipBits();
    if (random() < 0.5) truncate();
  }
  // Mostly a prefix that matches the body; sometimes the original one (the broker then waits for
  // bytes that never come) or a flipped one.
  const prefixRoll = random();
  const size =
    prefixRoll < 0.85
      ? body.length
      : prefixRoll < 0.95
        ? frame.length
        : (body.length ^ (1 << Math.floor(random() * 31))) | 0;
  const prefix = Buffer.alloc(4);
  prefix.writeInt32BE(size | 0);
  return { kind, bytes: Buffer.concat([prefix, body]) };
}

/** `field` of `frame` rewritten to the largest value of its width (a length, count, size or timeout at its maximum). */
export function withFieldAtMaximum(frame: RequestFrame, field: IntegerField): Buffer {
  let body = Buffer.from(frame);
  switch (field.kind) {
    case "int8":
      body.writeInt8(127, field.offset);
      break;
    case "int16":
      body.writeInt16BE(0x7fff, field.offset);
      break;
    case "int32":
      body.writeInt32BE(0x7fffffff, field.offset);
      break;
    case "int64":
      body.writeBigInt64BE(0x7fffffffffffffffn, field.offset);
      break;
    case "varint":
      body = Buffer.concat([
        body.subarray(0, field.offset),
        uvarintBytes(0xffffffff),
        body.subarray(field.offset + field.width),
      ]);
      break;
  }
  const prefix = Buffer.alloc(4);
  prefix.writeInt32BE(body.length);
  return Buffer.concat([prefix, body]);
}

/**
 * `total` mutated copies of `frames`: first every integer field of every frame at its maximum
 * (so each length, count and size is tried at least once), then random mutations from `seed`.
 */
export function mutationPlan(frames: readonly RequestFrame[], total: number, seed: number): Buffer[] {
  const plan: Buffer[] = [];
  const fields = frames.map(integerFieldsOf);
  frames.forEach((frame, i) => {
    for (const field of fields[i]!) plan.push(withFieldAtMaximum(frame, field));
  });
  const random = seededRandom(seed);
  while (plan.length < total) {
    const i = Math.floor(random() * frames.length);
    plan.push(mutateFrame(frames[i]!, fields[i]!, random).bytes);
  }
  return plan.slice(0, total);
}

/**
 * Sends `bytes` on a fresh connection and ends it once the broker answers or closes, or after
 * `patienceMs` (a request the broker may legitimately hold, such as a long-polling fetch, is not
 * waited out). Resolves with what happened.
 */
export function sendOnce(
  address: string,
  bytes: Buffer,
  patienceMs: number,
): Promise<"answered" | "closed" | "silent" | "refused"> {
  const [host, port] = address.split(":");
  return new Promise((resolve) => {
    let settled = false;
    let socket: Socket | undefined;
    const finish = (outcome: "answered" | "closed" | "silent" | "refused"): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket?.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => finish("silent"), patienceMs);
    socket = connect(Number(port), host!, () => socket!.write(bytes));
    socket.on("data", () => finish("answered"));
    socket.on("close", () => finish("closed"));
    socket.on("error", (error: NodeJS.ErrnoException) => finish(error.code === "ECONNREFUSED" ? "refused" : "closed"));
  });
}
