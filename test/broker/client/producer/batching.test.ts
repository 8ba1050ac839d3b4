// The producer against a real broker process: concurrent sends share Produce requests yet each
// learns its own offsets, linger gathers sends, sendBatch answers in kafkajs's shape (kafkajs's
// producer is the oracle), maxInFlightRequests holds, acks 0, and topics created on send.

import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { describe, it, mock } from "node:test";
import type { RecordMetadata } from "../../../../broker/client/producer/index.ts";
import { createTopic, intercept, kafkajsClient, ourProducer, readPartition, readTopic, waitFor } from "./helpers.ts";
import { useProduceSuite } from "./produce-fixture.ts";

const require = createRequire(import.meta.url);
const kafkajs = require("kafkajs") as typeof import("kafkajs");

const suite = useProduceSuite();

describe("producer batching", () => {
  it("when 300 sends are made at once, then they share one Produce request and each gets the offsets of its own records", async () => {
    const topic = "batched";
    await createTopic(suite.broker().address, topic, 3);
    const { producer, requests } = await suite.connectedProducer();
    await producer.send({ topic, messages: [{ value: "warm-up" }] });
    const before = requests();
    const sends = Array.from({ length: 300 }, (_, s) =>
      Array.from({ length: 1 + (s % 4) }, (_, m) => ({ key: `key-${(s * 7 + m) % 50}`, value: `send-${s}-msg-${m}` })),
    );
    const results = await Promise.all(sends.map((messages) => producer.send({ topic, messages })));
    assert.equal(requests() - before, 1, "one Produce request carried all 300 sends (a single broker)");

    const stored = await readTopic(suite.broker().address, topic, 3);
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
    await createTopic(suite.broker().address, topic, 1);
    const { producer, requests } = await suite.connectedProducer({ linger: 200 });
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
    const producer = suite.producer();
    await createTopic(suite.broker().address, "multi-a", 2);
    await createTopic(suite.broker().address, "multi-b", 3);
    await createTopic(suite.broker().address, "multi-a-kafkajs", 2);
    await createTopic(suite.broker().address, "multi-b-kafkajs", 3);
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
    const kafkajsProducer = kafkajsClient(suite.broker().address, "producer-test-oracle").producer({
      createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
    });
    suite.track(kafkajsProducer);
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
    await createTopic(suite.broker().address, topic, 4);
    const { producer, cluster } = ourProducer(suite.broker().address, { maxInFlightRequests: 1 });
    suite.track(producer);
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
    assert.equal((await readTopic(suite.broker().address, topic, 4)).flat().length, 101);
  });

  it("when acks is 0, then the send resolves with no metadata and the records are stored", async () => {
    const producer = suite.producer();
    const topic = "no-acks";
    await createTopic(suite.broker().address, topic, 1);
    assert.deepEqual(await producer.send({ topic, acks: 0, messages: [{ value: "fire" }, { value: "forget" }] }), []);
    await waitFor(
      async () => (await readPartition(suite.broker().address, topic, 0)).length === 2,
      "the two acks=0 records",
    );
  });

  it("when a send names a topic the broker does not have yet, then the topic is created and the send succeeds", async () => {
    const producer = suite.producer();
    const [result] = await producer.send({ topic: "created-on-send", messages: [{ value: "first" }] });
    assert.equal(result!.baseOffset, "0");
  });
});
