// The producer against a real broker process, with kafkajs as the independent oracle: what we
// send is what kafkajs's consumer reads (gzip too), keys land where kafkajs puts them, concurrent
// sends share Produce requests yet each learns its own offsets, and errors are kafkajs's.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { after, before, describe, it, mock } from "node:test";
import type { Consumer, KafkaMessage } from "kafkajs";
import { CompressionTypes, type Producer, type RecordMetadata } from "../../../../broker/client/producer/index.ts";
import { type BrokerProcess, startBroker } from "../../../helpers/broker-process.ts";
import {
  causeTypes,
  createTopic,
  disconnectAll,
  intercept,
  kafkajsClient,
  ourProducer,
  readPartition,
  readTopic,
  waitFor,
} from "./helpers.ts";

const require = createRequire(import.meta.url);
const kafkajs = require("kafkajs") as typeof import("kafkajs");

const BASE_TIME = Date.UTC(2024, 0, 15, 12, 0, 0);

let broker: BrokerProcess;
let producer: Producer;
const openClients: { disconnect(): Promise<void> }[] = [];

/** A producer of ours counting the Produce requests it sends (REQUEST events). */
async function connectedProducer(
  config: Parameters<typeof ourProducer>[1] = {},
): Promise<{ producer: Producer; requests: () => number }> {
  const { producer } = ourProducer(broker.address, config);
  openClients.push(producer);
  let count = 0;
  producer.on(producer.events.REQUEST, (event) => {
    if (event.payload.apiName === "Produce") count++;
  });
  await producer.connect();
  return { producer, requests: () => count };
}

before(async () => {
  broker = await startBroker({
    config: { "group.min.session.timeout.ms": 1000, "group.initial.rebalance.delay.ms": 0 },
  });
  ({ producer } = await connectedProducer());
});

after(async () => {
  await disconnectAll(...openClients);
  await broker?.cleanup();
});

describe("producer send and read back", () => {
  it("when keys, values, headers (repeated too), timestamps and nulls are sent, plain and gzip, then kafkajs's consumer reads them back unchanged", async () => {
    const topic = "readback";
    await createTopic(broker.address, topic, 1);
    const plain = [
      {
        key: "k1",
        value: "plain value",
        headers: { one: "1", many: ["a", Buffer.from("b"), "c"] },
        timestamp: String(BASE_TIME),
      },
      { key: null, value: null },
      { key: Buffer.from([0, 1, 2, 255]), value: Buffer.from([9, 8, 7]), timestamp: String(BASE_TIME + 1234) },
      { value: "unicode ✓ ключ 鍵", headers: { "h-ü": "✓" } },
    ];
    const gzipped = Array.from({ length: 30 }, (_, i) => ({
      key: `gz-${i}`,
      value: `compressed ${"z".repeat(i * 10)}`,
      headers: { i: String(i) },
      timestamp: String(BASE_TIME + i),
    }));
    const before = Date.now();
    const [plainResult] = await producer.send({ topic, messages: plain });
    const [gzipResult] = await producer.send({ topic, messages: gzipped, compression: CompressionTypes.GZIP });
    const after = Date.now();
    assert.equal(plainResult!.baseOffset, "0");
    assert.equal(gzipResult!.baseOffset, "4");

    const consumer: Consumer = kafkajsClient(broker.address, "producer-test-oracle").consumer({
      groupId: "readback-group",
      sessionTimeout: 6000,
      heartbeatInterval: 500,
      maxWaitTimeInMs: 100,
    });
    openClients.push(consumer);
    const received: KafkaMessage[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        received.push(message);
      },
    });
    await waitFor(() => received.length >= 34, "34 messages through kafkajs's consumer");
    await consumer.disconnect();

    const text = (b: Buffer | null | undefined) => (b === null || b === undefined ? null : b.toString("hex"));
    const headerText = (headers: KafkaMessage["headers"]) =>
      Object.fromEntries(
        Object.entries(headers ?? {}).map(([k, v]) => [
          k,
          Array.isArray(v) ? v.map((x) => text(x as Buffer)) : text(v as Buffer),
        ]),
      );
    const hex = (s: string | Buffer) => Buffer.from(s).toString("hex");

    assert.deepEqual(
      received.map((m) => m.offset),
      Array.from({ length: 34 }, (_, i) => String(i)),
    );
    assert.deepEqual(
      received.slice(0, 4).map((m) => ({ key: text(m.key), value: text(m.value), headers: headerText(m.headers) })),
      [
        { key: hex("k1"), value: hex("plain value"), headers: { one: hex("1"), many: [hex("a"), hex("b"), hex("c")] } },
        { key: null, value: null, headers: {} },
        { key: "000102ff", value: "090807", headers: {} },
        { key: null, value: hex("unicode ✓ ключ 鍵"), headers: { "h-ü": hex("✓") } },
      ],
    );
    assert.equal(received[0]!.timestamp, String(BASE_TIME));
    assert.equal(received[2]!.timestamp, String(BASE_TIME + 1234));
    for (const m of [received[1]!, received[3]!]) {
      assert.ok(
        Number(m.timestamp) >= before && Number(m.timestamp) <= after,
        `a message without timestamp gets the send time (${m.timestamp})`,
      );
    }
    assert.deepEqual(
      received.slice(4).map((m) => ({
        key: m.key!.toString(),
        value: m.value!.toString(),
        i: m.headers!.i!.toString(),
        timestamp: m.timestamp,
      })),
      gzipped.map((m) => ({ key: m.key, value: m.value, i: m.headers.i, timestamp: m.timestamp })),
    );
    const stored = await readPartition(broker.address, topic, 0);
    assert.equal(stored[4]!.batch.attributes & 7, CompressionTypes.GZIP, "the second send is stored as one gzip batch");
  });

  it("when 2,000 random keys are sent to 6 partitions, then each lands on the partition kafkajs's DefaultPartitioner picks", async () => {
    const topic = "keyed";
    await createTopic(broker.address, topic, 6);
    const keys = Array.from({ length: 2000 }, (_, i) =>
      i % 2 === 0 ? randomBytes(1 + (i % 30)).toString("base64") : randomBytes(1 + (i % 17)),
    );
    const results = await Promise.all(
      keys.map((key, i) => producer.send({ topic, messages: [{ key, value: String(i) }] })),
    );
    const kafkajsPartitioner = kafkajs.Partitioners.DefaultPartitioner();
    const partitionMetadata = Array.from({ length: 6 }, (_, partitionId) => ({
      partitionId,
      leader: 0,
      replicas: [0],
      isr: [0],
      partitionErrorCode: 0,
    }));
    const stored = await readTopic(broker.address, topic, 6);
    keys.forEach((key, i) => {
      const expected = kafkajsPartitioner({ topic, partitionMetadata, message: { key, value: String(i) } });
      assert.equal(results[i]![0]!.partition, expected, `key ${String(key)}`);
      const record = stored[expected]!.find((r) => r.offset === BigInt(results[i]![0]!.baseOffset!));
      assert.equal(record?.value?.toString(), String(i));
    });
  });
});

describe("producer batching", () => {
  it("when 300 sends are made at once, then they share one Produce request and each gets the offsets of its own records", async () => {
    const topic = "batched";
    await createTopic(broker.address, topic, 3);
    const { producer, requests } = await connectedProducer();
    await producer.send({ topic, messages: [{ value: "warm-up" }] });
    const before = requests();
    const sends = Array.from({ length: 300 }, (_, s) =>
      Array.from({ length: 1 + (s % 4) }, (_, m) => ({ key: `key-${(s * 7 + m) % 50}`, value: `send-${s}-msg-${m}` })),
    );
    const results = await Promise.all(sends.map((messages) => producer.send({ topic, messages })));
    assert.equal(requests() - before, 1, "one Produce request carried all 300 sends (a single broker)");

    const stored = await readTopic(broker.address, topic, 3);
    sends.forEach((messages, s) => {
      const partitionsOfSend = [...new Set(results[s]!.map((r) => r.partition))];
      assert.equal(partitionsOfSend.length, results[s]!.length, "one RecordMetadata per partition");
      assert.deepEqual(
        results[s]!.map((r) => r.partition),
        [...partitionsOfSend].sort((a, b) => a - b),
      );
      for (const metadata of results[s]!) {
        assert.equal(metadata.topicName, topic);
        assert.equal(metadata.errorCode, 0);
        const mine = messages.filter((m) => stored[metadata.partition]!.some((r) => r.value?.toString() === m.value));
        const start = stored[metadata.partition]!.findIndex((r) => r.offset === BigInt(metadata.baseOffset!));
        const here = stored[metadata.partition]!.slice(start, start + mine.length).map((r) => r.value?.toString());
        assert.deepEqual(
          here,
          mine.map((m) => m.value),
          `send ${s}: its records start at its baseOffset, contiguous`,
        );
      }
    });
  });

  it("when sends come a few event loop turns apart with linger set, then they still share one request", {
    timeout: 30_000,
  }, async () => {
    const topic = "lingered";
    await createTopic(broker.address, topic, 1);
    const { producer, requests } = await connectedProducer({ linger: 200 });
    // A first send loads the topic's metadata, so the sends below are queued without any I/O.
    await producer.send({ topic, messages: [{ value: "warm-up" }] });
    const requestsBefore = requests();
    const pending: Promise<RecordMetadata[]>[] = [];
    // The linger timer is the test's to fire (node:test's mock timers), so a slow machine cannot
    // let it run out between two sends. Real timers are back once it has fired.
    mock.timers.enable({ apis: ["setTimeout"] });
    try {
      for (let i = 0; i < 5; i++) {
        pending.push(producer.send({ topic, messages: [{ value: `lingered-${i}` }] }));
        await new Promise((resolve) => setImmediate(resolve));
      }
      mock.timers.tick(200);
    } finally {
      mock.timers.reset();
    }
    const results = await Promise.all(pending);
    assert.equal(requests() - requestsBefore, 1);
    assert.deepEqual(
      results.map((r) => r[0]!.baseOffset),
      ["1", "2", "3", "4", "5"],
    );
  });

  it("when sendBatch spans topics and partitions, then the RecordMetadata list has kafkajs's shape and partitions", async () => {
    await createTopic(broker.address, "multi-a", 2);
    await createTopic(broker.address, "multi-b", 3);
    await createTopic(broker.address, "multi-a-kafkajs", 2);
    await createTopic(broker.address, "multi-b-kafkajs", 3);
    const topicMessages = (suffix: string) => [
      {
        topic: `multi-a${suffix}`,
        messages: [
          { key: "x", value: "1" },
          { key: "y", value: "2" },
          { key: "z", value: "3" },
        ],
      },
      {
        topic: `multi-b${suffix}`,
        messages: [
          { key: "x", value: "4" },
          { key: "w", value: "5" },
        ],
      },
      { topic: `multi-a${suffix}`, messages: [{ key: "q", value: "6" }] },
    ];
    const ours = await producer.sendBatch({ topicMessages: topicMessages("") });
    const kafkajsProducer = kafkajsClient(broker.address, "producer-test-oracle").producer({
      createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
    });
    openClients.push(kafkajsProducer);
    await kafkajsProducer.connect();
    const theirs = await kafkajsProducer.sendBatch({ topicMessages: topicMessages("-kafkajs") });
    await kafkajsProducer.disconnect();

    const shape = (list: RecordMetadata[], suffix: string) =>
      list
        .map((r) => ({ ...r, topicName: r.topicName.replace(suffix, "") }))
        .sort((a, b) => a.topicName.localeCompare(b.topicName) || a.partition - b.partition);
    assert.deepEqual(shape(ours, ""), shape(theirs as RecordMetadata[], "-kafkajs"));
  });

  it("when maxInFlightRequests is 1, then Produce requests to the broker never overlap and REQUEST_QUEUE_SIZE reports the partitions waiting", async () => {
    const topic = "one-in-flight";
    await createTopic(broker.address, topic, 4);
    const { producer, cluster } = ourProducer(broker.address, { maxInFlightRequests: 1 });
    openClients.push(producer);
    const queueSizes: number[] = [];
    producer.on(producer.events.REQUEST_QUEUE_SIZE, (e) => {
      queueSizes.push(e.payload.queueSize);
    });
    await producer.connect();
    await producer.send({ topic, messages: [{ value: "warm-up" }] });
    let inFlight = 0;
    let mostInFlight = 0;
    intercept(await cluster.connectionTo(cluster.brokers[0]!.nodeId), async (original, api, body, options) => {
      if (api.name !== "Produce") return original(api, body, options);
      mostInFlight = Math.max(mostInFlight, ++inFlight);
      try {
        const response = await original(api, body, options);
        // Answers are held until partitions are reported waiting, so they do wait however fast
        // the broker answers (and a second request, were the limit not kept, has its chance).
        await waitFor(() => queueSizes.length > 0, "REQUEST_QUEUE_SIZE while a request is in flight");
        return response;
      } finally {
        inFlight--;
      }
    });
    const sends: Promise<RecordMetadata[]>[] = [];
    for (let i = 0; i < 100; i++) {
      sends.push(producer.send({ topic, messages: [{ key: `k${i}`, value: String(i) }] }));
      // The rest come while the first request is in flight, not before it is made (they would all ride in it).
      if (i === 0) await waitFor(() => inFlight > 0, "the first Produce request in flight");
      else await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(sends);
    assert.equal(mostInFlight, 1);
    assert.ok(
      queueSizes.length > 0 && queueSizes.every((n) => n >= 1 && n <= 4),
      `queue sizes ${queueSizes.join(",")}`,
    );
    assert.equal((await readTopic(broker.address, topic, 4)).flat().length, 101);
  });

  it("when acks is 0, then the send resolves with no metadata and the records are stored", async () => {
    const topic = "no-acks";
    await createTopic(broker.address, topic, 1);
    assert.deepEqual(await producer.send({ topic, acks: 0, messages: [{ value: "fire" }, { value: "forget" }] }), []);
    await waitFor(async () => (await readPartition(broker.address, topic, 0)).length === 2, "the two acks=0 records");
  });

  it("when a send names a topic the broker does not have yet, then the topic is created and the send succeeds", async () => {
    const [result] = await producer.send({ topic: "created-on-send", messages: [{ value: "first" }] });
    assert.equal(result!.baseOffset, "0");
  });
});

describe("producer errors", () => {
  it("when a partition does not exist, then the send rejects after the retries with UNKNOWN_TOPIC_OR_PARTITION as the cause", async () => {
    const topic = "three-partitions";
    await createTopic(broker.address, topic, 3);
    const { producer } = await connectedProducer({ retry: { retries: 2, initialRetryTime: 50 } });
    const error = await producer.send({ topic, messages: [{ value: "lost", partition: 7 }] }).then(
      () => assert.fail("the send should fail"),
      (e: unknown) => e as Error & { retryCount?: number },
    );
    assert.equal(error.name, "KafkaJSNumberOfRetriesExceeded");
    assert.equal(error.retryCount, 2);
    assert.deepEqual(causeTypes(error), ["UNKNOWN_TOPIC_OR_PARTITION"]);
  });

  it("when the topic does not exist and auto-creation is off, then the send rejects with UNKNOWN_TOPIC_OR_PARTITION as the cause and later metadata refreshes are unaffected", async () => {
    const { producer, cluster } = ourProducer(broker.address, {
      allowAutoTopicCreation: false,
      retry: { retries: 1, initialRetryTime: 50 },
    });
    openClients.push(producer);
    await producer.connect();
    const error = await producer.send({ topic: "never-created", messages: [{ value: "v" }] }).then(
      () => assert.fail("the send should fail"),
      (e: unknown) => e as Error,
    );
    assert.equal(error.name, "KafkaJSNumberOfRetriesExceeded");
    assert.deepEqual(causeTypes(error), ["UNKNOWN_TOPIC_OR_PARTITION"]);
    await cluster.refreshMetadata();
    const [ok] = await producer.send({ topic: "readback", messages: [{ value: "still working" }] });
    assert.equal(ok!.errorCode, 0);
  });

  it("when the broker refuses a batch for good (MESSAGE_TOO_LARGE), then the send rejects at once without retrying", async () => {
    const topic = "too-large";
    await createTopic(broker.address, topic, 1);
    const { producer, requests } = await connectedProducer();
    const error = await producer.send({ topic, messages: [{ value: Buffer.alloc(2 * 1024 * 1024) }] }).then(
      () => assert.fail("the send should fail"),
      (e: unknown) => e as Error & { type?: string; retriable?: boolean },
    );
    assert.equal(error.name, "KafkaJSProtocolError");
    assert.equal(error.type, "MESSAGE_TOO_LARGE");
    assert.equal(error.retriable, false);
    assert.equal(requests(), 1);
    const [ok] = await producer.send({ topic, messages: [{ value: "small enough" }] });
    assert.equal(ok!.baseOffset, "0", "the producer goes on after the refusal");
  });

  for (const idempotent of [false, true]) {
    it(`when sends merged into one batch exceed the topic's max.message.bytes${idempotent ? " (idempotent)" : ""}, then each goes again alone and only the one too large by itself fails`, async () => {
      const topic = `small-messages-${idempotent}`;
      const admin = kafkajsClient(broker.address, "producer-test-oracle").admin();
      await admin.connect();
      await admin.createTopics({
        topics: [{ topic, numPartitions: 1, configEntries: [{ name: "max.message.bytes", value: "2000" }] }],
        waitForLeaders: true,
      });
      await admin.disconnect();
      const { producer, requests } = await connectedProducer({ idempotent });
      await producer.send({ topic, messages: [{ value: "warm-up" }] });
      const sizes = [400, 400, 3000, 400, 400, 400];
      const outcomes = await Promise.all(
        sizes.map((size, i) =>
          producer.send({ topic, messages: [{ value: Buffer.alloc(size, 48 + i) }] }).then(
            (r) => r[0]!.baseOffset,
            (e: Error & { type?: string }) => e.type,
          ),
        ),
      );
      assert.deepEqual(outcomes, ["1", "2", "MESSAGE_TOO_LARGE", "3", "4", "5"]);
      assert.ok(requests() >= 2);
      const stored = await readPartition(broker.address, topic, 0);
      assert.deepEqual(
        stored.slice(1).map((r) => r.value![0]! - 48),
        [0, 1, 3, 4, 5],
      );
    });
  }

  for (const [name, type] of [
    ["Snappy", CompressionTypes.Snappy],
    ["LZ4", CompressionTypes.LZ4],
    ["ZSTD", CompressionTypes.ZSTD],
  ] as const) {
    it(`when ${name} compression is asked for, then the send rejects with KafkaJSNotImplemented naming the codec`, async () => {
      await assert.rejects(producer.send({ topic: "readback", compression: type, messages: [{ value: "x" }] }), {
        name: "KafkaJSNotImplemented",
        message: `${name} compression not implemented`,
      });
    });
  }

  it("when a message has no value or the topic is empty, then the send rejects as kafkajs's does", async () => {
    await assert.rejects(producer.send({ topic: "readback", messages: [{ key: "k" } as never] }), {
      name: "KafkaJSNonRetriableError",
      message: /Invalid message without value for topic "readback"/,
    });
    await assert.rejects(producer.send({ topic: "", messages: [{ value: "v" }] }), {
      name: "KafkaJSNonRetriableError",
      message: "Invalid topic",
    });
    await assert.rejects(producer.sendBatch({ topicMessages: [{ topic: "t", messages: undefined as never }] }), {
      name: "KafkaJSNonRetriableError",
      message: /Invalid messages array/,
    });
  });

  it("when one send's value cannot be encoded, then only that send rejects and the sends batched with it succeed", async () => {
    const topic = "unencodable";
    await createTopic(broker.address, topic, 1);
    const unwritable = {
      toString: () => {
        throw new Error("no text for this value");
      },
    };
    const [before, bad, after] = await Promise.allSettled([
      producer.send({ topic, messages: [{ value: "before" }] }),
      producer.send({ topic, messages: [{ value: unwritable as never }] }),
      producer.send({ topic, messages: [{ value: "after" }] }),
    ]);
    assert.equal(before.status, "fulfilled");
    assert.equal(after.status, "fulfilled");
    assert.equal(bad.status, "rejected");
    assert.equal((bad as PromiseRejectedResult).reason.name, "KafkaJSNonRetriableError");
    assert.match((bad as PromiseRejectedResult).reason.message, /no text for this value/);
    assert.deepEqual(
      (await readPartition(broker.address, topic, 0)).map((r) => r.value!.toString()),
      ["before", "after"],
    );
  });

  it("when an idempotent producer is asked for acks other than -1, then the send rejects as kafkajs's does", async () => {
    const { producer } = await connectedProducer({ idempotent: true });
    assert.equal(producer.isIdempotent(), true);
    await assert.rejects(producer.send({ topic: "readback", acks: 1, messages: [{ value: "v" }] }), {
      name: "KafkaJSNonRetriableError",
      message: "Not requiring ack for all messages invalidates the idempotent producer's EoS guarantees",
    });
  });

  it("when a transaction is asked for, then it rejects with KafkaJSNotImplemented", async () => {
    await assert.rejects(producer.transaction(), { name: "KafkaJSNotImplemented" });
  });
});

describe("producer lifecycle and events", () => {
  it("when the producer is not connected or disconnected, then sends reject with kafkajs's error", async () => {
    const { producer } = ourProducer(broker.address);
    openClients.push(producer);
    await assert.rejects(producer.send({ topic: "readback", messages: [{ value: "v" }] }), {
      name: "KafkaJSError",
      message: "The producer is disconnected",
    });
    await producer.connect();
    await producer.send({ topic: "readback", messages: [{ value: "v" }] });
    await producer.disconnect();
    await assert.rejects(producer.send({ topic: "readback", messages: [{ value: "v" }] }), {
      name: "KafkaJSError",
      message: "The producer is disconnected",
    });
  });

  it("when the producer disconnects while a send is retrying, then the send rejects at once", async () => {
    const { producer } = ourProducer(broker.address, { retry: { retries: 100, initialRetryTime: 200 } });
    openClients.push(producer);
    await producer.connect();
    await createTopic(broker.address, "retrying", 1);
    let metadataRequests = 0;
    producer.on(producer.events.REQUEST, (event) => {
      if (event.payload.apiName === "Metadata") metadataRequests++;
    });
    const pending = producer.send({ topic: "retrying", messages: [{ value: "never", partition: 5 }] });
    const outcome = pending.then(
      () => "resolved",
      (e: Error) => e.name,
    );
    // A retry looks the partition up again. Two lookups answered after the send (the first may be
    // the send's own lookup of the new topic) mean at least one retry has begun.
    const lookupsBefore = metadataRequests;
    await waitFor(() => metadataRequests >= lookupsBefore + 2, "a metadata refresh for a retry");
    await producer.disconnect();
    assert.equal(await outcome, "KafkaJSNonRetriableError");
  });

  it("when listeners are registered, then CONNECT, DISCONNECT and a REQUEST per request (ApiVersions and Metadata too) arrive in kafkajs's shape, and removal stops them", async () => {
    const { producer } = ourProducer(broker.address);
    openClients.push(producer);
    const seen: { type: string; payload: any }[] = [];
    producer.on(producer.events.CONNECT, (e) => {
      seen.push(e);
    });
    producer.on(producer.events.DISCONNECT, (e) => {
      seen.push(e);
    });
    const removeRequest = producer.on(producer.events.REQUEST, (e) => {
      seen.push(e);
    });
    assert.throws(() => producer.on("producer.nonsense" as never, () => undefined), {
      name: "KafkaJSNonRetriableError",
      message: /Event name should be one of producer.events.CONNECT/,
    });
    await producer.connect();
    await producer.send({ topic: "readback", messages: [{ value: "evented" }] });
    removeRequest();
    await producer.send({ topic: "readback", messages: [{ value: "unheard" }] });
    await producer.disconnect();

    assert.deepEqual(
      seen.filter((e) => e.type !== "producer.network.request").map((e) => e.type),
      ["producer.connect", "producer.disconnect"],
    );
    const produceAt = seen.findIndex((e) => e.payload?.apiName === "Produce");
    assert.ok(seen.findIndex((e) => e.type === "producer.connect") < produceAt && produceAt < seen.length - 1);
    const requests = seen.filter((e) => e.type === "producer.network.request").map((e) => e.payload);
    assert.deepEqual([...new Set(requests.map((r) => r.apiName))], ["ApiVersions", "Metadata", "Produce"]);
    assert.equal(requests.filter((r) => r.apiName === "Produce").length, 1, "only the send made while listening");
    assert.equal(
      new Set(requests.map((r) => `${r.broker} ${r.correlationId}`)).size,
      requests.length,
      "each request its own correlation id",
    );
    assert.equal(requests[0].correlationId, 0, "ApiVersions opens the connection");
    const produce = requests.find((r) => r.apiName === "Produce");
    assert.deepEqual(Object.keys(produce).sort(), [
      "apiKey",
      "apiName",
      "apiVersion",
      "broker",
      "clientId",
      "correlationId",
      "createdAt",
      "duration",
      "pendingDuration",
      "sentAt",
      "size",
    ]);
    assert.deepEqual(
      [produce.apiKey, produce.apiVersion, produce.broker, produce.clientId],
      [0, 7, broker.address, "producer-test"],
    );
    for (const field of ["correlationId", "createdAt", "sentAt", "duration", "pendingDuration", "size"]) {
      assert.ok(Number.isInteger(produce[field]) && produce[field] >= 0, field);
    }
    assert.ok(produce.size > 0, "the response's size");
  });
});
