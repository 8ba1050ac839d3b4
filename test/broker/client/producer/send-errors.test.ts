// The producer against a real broker process: when a send fails, it fails as kafkajs's does
// (error names, types, causes and retries), for missing partitions and topics, batches the
// broker refuses, codecs not implemented, bad input, values that cannot be encoded, idempotence
// without acks -1 and transactions without a transactional id; and the sends around a failed one still succeed.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CompressionTypes } from "../../../../broker/client/producer/index.ts";
import { causeTypes, createTopic, kafkajsClient, ourProducer, readPartition } from "./helpers.ts";
import { useProduceSuite } from "./produce-fixture.ts";

const suite = useProduceSuite({ topics: ["readback"] });

describe("producer errors", () => {
  it("when a partition does not exist, then the send rejects after the retries with UNKNOWN_TOPIC_OR_PARTITION as the cause", async () => {
    const topic = "three-partitions";
    await createTopic(suite.broker().address, topic, 3);
    const { producer } = await suite.connectedProducer({ retry: { retries: 2, initialRetryTime: 50 } });
    const error = await producer.send({ topic, messages: [{ value: "lost", partition: 7 }] }).then(
      () => assert.fail("the send should fail"),
      (e: unknown) => e as Error & { retryCount?: number },
    );
    assert.equal(error.name, "KafkaJSNumberOfRetriesExceeded");
    assert.equal(error.retryCount, 2);
    assert.deepEqual(causeTypes(error), ["UNKNOWN_TOPIC_OR_PARTITION"]);
  });

  it("when the topic does not exist and auto-creation is off, then the send rejects with UNKNOWN_TOPIC_OR_PARTITION as the cause and later metadata refreshes are unaffected", async () => {
    const { producer, cluster } = ourProducer(suite.broker().address, {
      allowAutoTopicCreation: false,
      retry: { retries: 1, initialRetryTime: 50 },
    });
    suite.track(producer);
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
    await createTopic(suite.broker().address, topic, 1);
    const { producer, requests } = await suite.connectedProducer();
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
      const admin = kafkajsClient(suite.broker().address, "producer-test-oracle").admin();
      await admin.connect();
      await admin.createTopics({
        topics: [{ topic, numPartitions: 1, configEntries: [{ name: "max.message.bytes", value: "2000" }] }],
        waitForLeaders: true,
      });
      await admin.disconnect();
      const { producer, requests } = await suite.connectedProducer({ idempotent });
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
      const stored = await readPartition(suite.broker().address, topic, 0);
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
      const producer = suite.producer();
      await assert.rejects(producer.send({ topic: "readback", compression: type, messages: [{ value: "x" }] }), {
        name: "KafkaJSNotImplemented",
        message: `${name} compression not implemented`,
      });
    });
  }

  it("when a message has no value or the topic is empty, then the send rejects as kafkajs's does", async () => {
    const producer = suite.producer();
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
    const producer = suite.producer();
    const topic = "unencodable";
    await createTopic(suite.broker().address, topic, 1);
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
      (await readPartition(suite.broker().address, topic, 0)).map((r) => r.value!.toString()),
      ["before", "after"],
    );
  });

  it("when an idempotent producer is asked for acks other than -1, then the send rejects as kafkajs's does", async () => {
    const { producer } = await suite.connectedProducer({ idempotent: true });
    assert.equal(producer.isIdempotent(), true);
    await assert.rejects(producer.send({ topic: "readback", acks: 1, messages: [{ value: "v" }] }), {
      name: "KafkaJSNonRetriableError",
      message: "Not requiring ack for all messages invalidates the idempotent producer's EoS guarantees",
    });
  });

  it("when a producer without a transactionalId is asked for a transaction, then it rejects as kafkajs's does", async () => {
    const producer = suite.producer();
    await assert.rejects(producer.transaction(), {
      name: "KafkaJSNonRetriableError",
      message: "Must provide transactional id for transactional producer",
    });
  });
});
