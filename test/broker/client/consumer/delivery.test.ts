// Our consumer against the real broker, with test data produced by the real kafkajs producer:
// what arrives and in which order: every message once with its fields intact, gzip batches
// through eachBatch, partitions handled concurrently yet each in order, RegExp subscriptions.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CompressionTypes } from "kafkajs";
import type { EachBatchPayload } from "../../../../broker/client/index.ts";
import { range } from "../../../helpers/wait.ts";
import { consumeHelpers } from "./consume-fixture.ts";
import { inOrderPerPartition, type Received, useConsumerSuite, waitFor } from "./helpers.ts";

describe("consumer delivery", () => {
  const suite = useConsumerSuite();
  const { consumer, collect, committed } = consumeHelpers(suite);

  it("when a topic is consumed, then every message arrives once, in order per key, with key, value, headers and timestamp intact", async () => {
    const topic = "all-messages";
    await suite.rig().createTopic(topic, 4);
    const sent = range(400).map((i) => ({
      key: `key-${i % 10}`,
      value: `value-${i}`,
      timestamp: String(1_700_000_000_000 + i),
      headers: { seq: String(i), multi: ["first", "second"] },
    }));
    for (let i = 0; i < sent.length; i += 50)
      await suite.rig().producer.send({ topic, messages: sent.slice(i, i + 50) });

    const c = consumer("all-messages-group");
    const seen: Array<{
      partition: number;
      offset: string;
      key: string;
      value: string;
      timestamp: string;
      seq: string;
      multi: string[];
    }> = [];
    await c.connect();
    await c.subscribe({ topic, fromBeginning: true });
    await c.run({
      eachMessage: async ({ partition, message }) => {
        seen.push({
          partition,
          offset: message.offset,
          key: message.key!.toString(),
          value: message.value!.toString(),
          timestamp: message.timestamp,
          seq: String(message.headers.seq),
          multi: (message.headers.multi as Buffer[]).map(String),
        });
      },
    });
    // Every distinct message, however many copies came; a copy shows in the count below.
    await waitFor(
      () => new Set(seen.map((m) => m.seq)).size >= 400,
      () => `400 distinct messages, got ${new Set(seen.map((m) => m.seq)).size}`,
    );
    assert.equal(seen.length, 400, "no duplicates");
    const byKey = new Map<string, number[]>();
    for (const message of seen) {
      const i = Number(message.seq);
      assert.equal(message.value, `value-${i}`);
      assert.equal(message.key, `key-${i % 10}`);
      assert.equal(message.timestamp, String(1_700_000_000_000 + i));
      assert.deepEqual(message.multi, ["first", "second"]);
      byKey.set(message.key, [...(byKey.get(message.key) ?? []), i]);
    }
    for (const [key, order] of byKey)
      assert.deepEqual(
        order,
        [...order].sort((a, b) => a - b),
        `order of ${key}`,
      );
    assert.deepEqual(new Set(seen.map((m) => m.seq)).size, 400);
    // Committed: the next offset to read, per partition (last processed + 1).
    await c.disconnect();
    const offsets = await committed("all-messages-group", topic);
    for (const partition of range(4)) {
      const last = Math.max(...seen.filter((m) => m.partition === partition).map((m) => Number(m.offset)));
      assert.equal(offsets[partition], String(last + 1));
    }
  });

  it("when kafkajs produces gzip batches, then eachBatch reads them with kafkajs's batch API", async () => {
    const topic = "gzip-batches";
    await suite.rig().createTopic(topic, 1);
    await suite.rig().producer.send({
      topic,
      compression: CompressionTypes.GZIP,
      messages: range(300).map((i) => ({ key: `k${i}`, value: `gzip-${i}`.repeat(5) })),
    });
    await suite.rig().producer.send({
      topic,
      compression: CompressionTypes.GZIP,
      messages: range(300).map((i) => ({ key: `k${300 + i}`, value: `gzip-${300 + i}`.repeat(5) })),
    });

    const c = consumer("gzip-group");
    const values: string[] = [];
    const batchChecks: string[] = [];
    await c.connect();
    await c.subscribe({ topics: [topic], fromBeginning: true });
    await c.run({
      eachBatch: async ({ batch, resolveOffset, isRunning, isStale, uncommittedOffsets }: EachBatchPayload) => {
        if (batch.isEmpty()) batchChecks.push("empty batch handed over");
        if (batch.firstOffset() !== batch.messages[0]!.offset) batchChecks.push("firstOffset");
        if (batch.lastOffset() !== batch.messages.at(-1)!.offset) batchChecks.push("lastOffset");
        if (batch.offsetLag() !== String(BigInt(batch.highWatermark) - 1n - BigInt(batch.lastOffset())))
          batchChecks.push("offsetLag");
        if (!isRunning() || isStale()) batchChecks.push("running/stale");
        for (const message of batch.messages) {
          values.push(message.value!.toString());
          resolveOffset(message.offset);
        }
        const pending = uncommittedOffsets().topics.find((t) => t.topic === topic)?.partitions[0];
        if (pending?.offset !== String(BigInt(batch.lastOffset()) + 1n))
          batchChecks.push(`uncommittedOffsets ${JSON.stringify(pending)}`);
      },
    });
    await waitFor(
      () => values.length >= 600,
      () => `600 gzip messages, got ${values.length}`,
    );
    assert.deepEqual(
      values,
      range(600).map((i) => `gzip-${i}`.repeat(5)),
    );
    assert.deepEqual(batchChecks, []);
  });

  it("when partitionsConsumedConcurrently is 3, then up to 3 partitions are handled at once, each strictly in order", async () => {
    const topic = "concurrent";
    await suite.rig().createTopic(topic, 6);
    for (let round = 0; round < 5; round++) {
      await suite
        .rig()
        .producer.send({ topic, messages: range(120).map((i) => ({ value: `r${round}-${i}`, partition: i % 6 })) });
    }
    const c = consumer("concurrent-group");
    const received: Received[] = [];
    let active = 0;
    let maxActive = 0;
    const activePartitions = new Set<number>();
    let samePartitionTwice = false;
    await c.connect();
    await c.subscribe({ topics: [topic], fromBeginning: true });
    await c.run({
      partitionsConsumedConcurrently: 3,
      eachMessage: async ({ partition, message }) => {
        if (activePartitions.has(partition)) samePartitionTwice = true;
        activePartitions.add(partition);
        active++;
        maxActive = Math.max(maxActive, active);
        // The first handlers are held until three partitions are in theirs at once, so the overlap
        // (and a fourth, were the limit not kept) shows however fast the machine; then each yields a turn.
        if (maxActive < 3)
          await waitFor(
            () => maxActive >= 3,
            () => `3 partitions handled at once (most ${maxActive})`,
          );
        else await new Promise((resolve) => setImmediate(resolve));
        received.push({
          topic,
          partition,
          offset: BigInt(message.offset),
          key: null,
          value: message.value!.toString(),
        });
        active--;
        activePartitions.delete(partition);
      },
    });
    await waitFor(
      () => received.length >= 600,
      () => `600 messages, got ${received.length}`,
    );
    assert.equal(samePartitionTwice, false, "one message of a partition at a time");
    assert.ok(inOrderPerPartition(received), "in order per partition");
    assert.equal(maxActive, 3, "concurrency");
  });

  it("when subscribing with a RegExp, then the matching topics that exist are consumed", async () => {
    await suite.rig().createTopic("regex-orders", 1);
    await suite.rig().createTopic("regex-payments", 1);
    await suite.rig().createTopic("not-regex", 1);
    for (const topic of ["regex-orders", "regex-payments", "not-regex"])
      await suite.rig().producer.send({ topic, messages: [{ value: topic }] });
    const c = consumer("regex-group");
    const received: Received[] = [];
    await collect(c, /^regex-/, received);
    await waitFor(() => received.length >= 2, "both matching topics");
    // One more round trip: a fetch that included not-regex would have brought its message too.
    await suite.rig().producer.send({ topic: "regex-orders", messages: [{ value: "marker" }] });
    await waitFor(() => received.some((m) => m.value === "marker"), "a later fetch of regex-orders");
    assert.deepEqual(received.map((m) => m.topic).sort(), ["regex-orders", "regex-orders", "regex-payments"]);
  });
});
