// Our consumer against the real broker, with test data produced by the real kafkajs producer:
// what arrives, in which order, what is committed, and the controls an app has over it.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CompressionTypes } from "kafkajs";
import type { Consumer, EachBatchPayload, InstrumentationEvent } from "../../../../broker/client/index.ts";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { range } from "../../../helpers/wait.ts";
import { WireClient } from "../../../helpers/wire-client.ts";
import {
  inOrderPerPartition,
  ourConsumer,
  quickConsumerConfig,
  type Received,
  useConsumerSuite,
  waitFor,
} from "./helpers.ts";

describe("consumer", () => {
  const suite = useConsumerSuite();

  const consumer = (groupId: string, extra: Parameters<typeof quickConsumerConfig>[1] = {}): Consumer => {
    const created = ourConsumer(suite.broker().address, quickConsumerConfig(groupId, extra));
    suite.track(created);
    return created;
  };

  /** Subscribes from the beginning and collects every message handed to eachMessage. */
  const collect = async (
    c: Consumer,
    topic: string | RegExp,
    sink: Received[],
    options: { fromBeginning?: boolean } = {},
  ): Promise<void> => {
    await c.connect();
    await c.subscribe({ topics: [topic], fromBeginning: options.fromBeginning ?? true });
    await c.run({
      eachMessage: async ({ topic: t, partition, message }) => {
        sink.push({
          topic: t,
          partition,
          offset: BigInt(message.offset),
          key: message.key?.toString() ?? null,
          value: message.value?.toString() ?? "",
        });
      },
    });
  };

  const committed = async (groupId: string, topic: string): Promise<Record<number, string>> => {
    const [entry] = await suite.rig().admin.fetchOffsets({ groupId, topics: [topic] });
    return Object.fromEntries(entry!.partitions.map((p) => [p.partition, p.offset]));
  };

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

  it("when two groups read a topic, then each keeps its own offsets and resumes after a disconnect from its commit", async () => {
    const topic = "two-groups";
    await suite.rig().createTopic(topic, 2);
    await suite
      .rig()
      .producer.send({ topic, messages: range(100).map((i) => ({ value: `first-${i}`, partition: i % 2 })) });

    const a1 = consumer("two-groups-a");
    const b1 = consumer("two-groups-b");
    const receivedA: Received[] = [];
    const receivedB: Received[] = [];
    await collect(a1, topic, receivedA);
    await collect(b1, topic, receivedB);
    await waitFor(
      () => receivedA.length >= 100 && receivedB.length >= 100,
      () => `A ${receivedA.length}, B ${receivedB.length}`,
    );
    await a1.disconnect();
    await b1.disconnect();
    assert.deepEqual(await committed("two-groups-a", topic), { 0: "50", 1: "50" });
    assert.deepEqual(await committed("two-groups-b", topic), { 0: "50", 1: "50" });

    await suite
      .rig()
      .producer.send({ topic, messages: range(20).map((i) => ({ value: `second-${i}`, partition: i % 2 })) });
    const a2 = consumer("two-groups-a");
    const moreA: Received[] = [];
    await collect(a2, topic, moreA);
    // Every new message; anything older would have come before them (partition order).
    await waitFor(
      () => range(20).every((i) => moreA.some((m) => m.value === `second-${i}`)),
      () => `the 20 new messages, got ${moreA.map((m) => m.value)}`,
    );
    assert.deepEqual(
      moreA.map((m) => m.value).sort(),
      range(20)
        .map((i) => `second-${i}`)
        .sort(),
      "only what came after the commit",
    );
    await a2.disconnect();
    assert.deepEqual(await committed("two-groups-a", topic), { 0: "60", 1: "60" });
    assert.deepEqual(
      await committed("two-groups-b", topic),
      { 0: "50", 1: "50" },
      "the other group's offsets did not move",
    );
  });

  it("when the consumer seeks, then consumption continues from the sought offset", async () => {
    const topic = "seek";
    await suite.rig().createTopic(topic, 1);
    await suite.rig().producer.send({ topic, messages: range(100).map((i) => ({ value: `m-${i}` })) });
    const c = consumer("seek-group");
    const received: Received[] = [];
    await collect(c, topic, received);
    await waitFor(
      () => received.length >= 100,
      () => `100 messages, got ${received.length}`,
    );
    c.seek({ topic, partition: 0, offset: "40" });
    await waitFor(
      () => received.length >= 160,
      () => `60 more after the seek, got ${received.length - 100}`,
    );
    assert.deepEqual(
      received.slice(100).map((m) => Number(m.offset)),
      range(60).map((i) => 40 + i),
    );
    // With autoCommit the sought position is committed at once, then consumption moves it on.
    await c.disconnect();
    assert.deepEqual(await committed("seek-group", topic), { 0: "100" });
  });

  it("when a partition is paused, then nothing more of it is handed over until it is resumed", async () => {
    const topic = "pause-resume";
    await suite.rig().createTopic(topic, 2);
    const c = consumer("pause-group");
    const received: Received[] = [];
    let pauseNext = true;
    await c.connect();
    await c.subscribe({ topics: [topic], fromBeginning: true });
    await c.run({
      eachMessage: async ({ topic: t, partition, message, pause }) => {
        received.push({
          topic: t,
          partition,
          offset: BigInt(message.offset),
          key: null,
          value: message.value!.toString(),
        });
        if (partition === 0 && pauseNext) {
          pauseNext = false;
          pause();
        }
      },
    });
    await suite.rig().producer.send({ topic, messages: range(10).map((i) => ({ value: `p0-${i}`, partition: 0 })) });
    await waitFor(() => received.length >= 1, "the first message of partition 0");
    await suite.rig().producer.send({ topic, messages: range(10).map((i) => ({ value: `p1-${i}`, partition: 1 })) });
    await waitFor(() => received.filter((m) => m.partition === 1).length >= 10, "partition 1 flows while 0 is paused");
    // One more round trip of partition 1: a fetch that included partition 0 would have brought it too.
    await suite.rig().producer.send({ topic, messages: [{ value: "p1-marker", partition: 1 }] });
    await waitFor(() => received.some((m) => m.value === "p1-marker"), "a later fetch of partition 1");
    assert.equal(received.filter((m) => m.partition === 0).length, 1, "partition 0 paused after its first message");
    assert.deepEqual(c.paused(), [{ topic, partitions: [0] }]);

    c.resume([{ topic, partitions: [0] }]);
    assert.deepEqual(c.paused(), []);
    await waitFor(() => received.filter((m) => m.partition === 0).length >= 10, "partition 0 after resume");
    assert.deepEqual(
      received.filter((m) => m.partition === 0).map((m) => m.value),
      range(10).map((i) => `p0-${i}`),
    );

    c.pause([{ topic }]);
    assert.deepEqual(c.paused(), [{ topic, partitions: [0, 1] }]);
    c.resume([{ topic, partitions: [1] }]);
    assert.deepEqual(c.paused(), [{ topic, partitions: [0] }]);
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

  it("when eachMessage keeps failing, then it is retried, the consumer crashes, and restarts as restartOnFailure says", async () => {
    const topic = "crash";
    await suite.rig().createTopic(topic, 1);
    await suite.rig().producer.send({ topic, messages: range(5).map((i) => ({ value: `m-${i}` })) });

    // Without restart: retries, then CRASH with restart false.
    const stopped = consumer("crash-group-a", {
      retry: { retries: 2, initialRetryTime: 50, maxRetryTime: 200, restartOnFailure: async () => false },
    });
    const attempts: string[] = [];
    const crashes: Array<{ error: Error; restart: boolean; groupId: string }> = [];
    stopped.on(stopped.events.CRASH, (event) => crashes.push(event.payload));
    await stopped.connect();
    await stopped.subscribe({ topics: [topic], fromBeginning: true });
    await stopped.run({
      eachMessage: async ({ message }) => {
        attempts.push(message.value!.toString());
        if (message.value!.toString() === "m-2") throw new Error("boom");
      },
    });
    await waitFor(() => crashes.length === 1, "a crash");
    assert.equal(crashes[0]!.restart, false);
    assert.equal(crashes[0]!.groupId, "crash-group-a");
    assert.equal(crashes[0]!.error.name, "KafkaJSNumberOfRetriesExceeded");
    assert.deepEqual(attempts, ["m-0", "m-1", "m-2", "m-2", "m-2"], "first try and two retries of the failing message");
    assert.deepEqual(
      await committed("crash-group-a", topic),
      { 0: "2" },
      "what was processed before the failure is committed",
    );

    // With restart: the consumer comes back and, once the handler recovers, finishes the topic.
    const restarted = consumer("crash-group-b", {
      retry: { retries: 1, initialRetryTime: 50, maxRetryTime: 100, restartOnFailure: async () => true },
    });
    const done: string[] = [];
    const restarts: boolean[] = [];
    let failuresLeft = 3;
    restarted.on(restarted.events.CRASH, (event) => restarts.push(event.payload.restart));
    await restarted.connect();
    await restarted.subscribe({ topics: [topic], fromBeginning: true });
    await restarted.run({
      eachMessage: async ({ message }) => {
        if (message.value!.toString() === "m-3" && failuresLeft-- > 0) throw new Error("transient");
        done.push(message.value!.toString());
      },
    });
    await waitFor(
      () => done.includes("m-4"),
      () => `recovered after restart, got ${done.join(",")}`,
    );
    assert.ok(restarts.length >= 1 && restarts.every(Boolean), `restarts ${restarts}`);
    assert.deepEqual(
      [...new Set(done)],
      range(5).map((i) => `m-${i}`),
    );
  });

  it("when listening to events, then kafkajs's events arrive with kafkajs's payloads and listeners can be removed", async () => {
    const topic = "events";
    await suite.rig().createTopic(topic, 2);
    await suite.rig().producer.send({ topic, messages: range(10).map((i) => ({ value: `e-${i}`, partition: i % 2 })) });
    const c = consumer("events-group");
    const events: InstrumentationEvent<any>[] = [];
    const removers = Object.values(c.events).map((name) => c.on(name, (event) => events.push(event)));
    let heartbeatsAfterRemoval = 0;
    const removeHeartbeat = c.on(c.events.HEARTBEAT, () => heartbeatsAfterRemoval++);
    removeHeartbeat();
    assert.throws(() => c.on("consumer.nope" as never, () => undefined), /Event name should be one of/);

    const received: Received[] = [];
    await collect(c, topic, received);
    await waitFor(() => received.length >= 10, "10 messages");
    await waitFor(() => events.some((e) => e.type === c.events.HEARTBEAT), "a heartbeat");
    await waitFor(() => events.some((e) => e.type === c.events.COMMIT_OFFSETS), "a commit");
    await c.disconnect();

    const ofType = (type: string) => events.filter((e) => e.type === type);
    const join = ofType(c.events.GROUP_JOIN)[0]!;
    assert.deepEqual(Object.keys(join.payload).sort(), [
      "duration",
      "groupId",
      "groupProtocol",
      "isLeader",
      "leaderId",
      "memberAssignment",
      "memberId",
    ]);
    assert.equal(join.payload.groupId, "events-group");
    assert.equal(join.payload.isLeader, true);
    assert.equal(join.payload.leaderId, join.payload.memberId);
    assert.equal(join.payload.groupProtocol, "RoundRobinAssigner");
    assert.deepEqual(join.payload.memberAssignment, { [topic]: [0, 1] });
    assert.equal(typeof join.id, "string");
    assert.equal(typeof join.timestamp, "number");
    assert.deepEqual(Object.keys(ofType(c.events.HEARTBEAT)[0]!.payload).sort(), [
      "groupGenerationId",
      "groupId",
      "memberId",
    ]);
    const commit = ofType(c.events.COMMIT_OFFSETS)[0]!.payload;
    assert.deepEqual(Object.keys(commit).sort(), ["groupGenerationId", "groupId", "memberId", "topics"]);
    assert.equal(commit.topics[0].topic, topic);
    assert.deepEqual(Object.keys(ofType(c.events.FETCH_START)[0]!.payload), ["nodeId"]);
    assert.deepEqual(Object.keys(ofType(c.events.FETCH)[0]!.payload).sort(), ["duration", "nodeId", "numberOfBatches"]);
    const start = ofType(c.events.START_BATCH_PROCESS)[0]!.payload;
    assert.deepEqual(Object.keys(start).sort(), [
      "batchSize",
      "firstOffset",
      "highWatermark",
      "lastOffset",
      "offsetLag",
      "offsetLagLow",
      "partition",
      "topic",
    ]);
    assert.deepEqual(
      Object.keys(ofType(c.events.END_BATCH_PROCESS)[0]!.payload).sort(),
      [...Object.keys(start), "duration"].sort(),
    );
    const requests = ofType(c.events.REQUEST).map((e) => e.payload);
    assert.deepEqual(Object.keys(requests[0]).sort(), [
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
    for (const apiName of ["JoinGroup", "SyncGroup", "Fetch", "OffsetCommit", "Heartbeat"])
      assert.ok(
        requests.some((r) => r.apiName === apiName),
        apiName,
      );
    assert.ok(requests.find((r) => r.apiName === "Fetch").size > 0);
    for (const type of [c.events.CONNECT, c.events.STOP, c.events.DISCONNECT])
      assert.equal(ofType(type).length, 1, type);
    assert.ok(ofType(c.events.STOP)[0]!.timestamp <= ofType(c.events.DISCONNECT)[0]!.timestamp);
    assert.equal(heartbeatsAfterRemoval, 0);
    for (const remove of removers) remove();
  });

  it("when commits are left to the app, then commitOffsets, resolveOffset and autoCommitThreshold commit what they say", async () => {
    const topic = "commit-control";
    await suite.rig().createTopic(topic, 1);
    await suite.rig().producer.send({ topic, messages: range(20).map((i) => ({ value: `m-${i}` })) });

    // autoCommit off: only commitOffsets moves the group's offset.
    const manual = consumer("manual-commit-group");
    const seen: string[] = [];
    await manual.connect();
    await manual.subscribe({ topics: [topic], fromBeginning: true });
    await manual.run({ autoCommit: false, eachMessage: async ({ message }) => void seen.push(message.offset) });
    await waitFor(() => seen.length >= 20, "20 messages");
    assert.deepEqual(await committed("manual-commit-group", topic), { 0: "-1" });
    await manual.commitOffsets([{ topic, partition: 0, offset: "7" }]);
    assert.deepEqual(await committed("manual-commit-group", topic), { 0: "7" });
    await manual.disconnect();
    assert.deepEqual(await committed("manual-commit-group", topic), { 0: "7" }, "nothing more committed on disconnect");

    // eachBatchAutoResolve off: the next fetch starts after the last resolved offset (kafkajs).
    const partial = consumer("partial-resolve-group");
    const firstOffsets: string[] = [];
    await partial.connect();
    await partial.subscribe({ topics: [topic], fromBeginning: true });
    await partial.run({
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset }) => {
        firstOffsets.push(batch.firstOffset()!);
        for (const message of batch.messages.slice(0, 3)) resolveOffset(message.offset);
      },
    });
    await waitFor(
      () => firstOffsets.includes("18"),
      () => `batches from every third offset, got ${firstOffsets}`,
    );
    assert.deepEqual(firstOffsets.slice(0, 7), ["0", "3", "6", "9", "12", "15", "18"]);
    await partial.disconnect();
    assert.deepEqual(await committed("partial-resolve-group", topic), { 0: "20" });

    // autoCommitThreshold: commits go out within a batch, every few messages.
    const threshold = consumer("threshold-group");
    const commitsDuringBatch: number[] = [];
    let inBatch = false;
    threshold.on(threshold.events.START_BATCH_PROCESS, () => (inBatch = true));
    threshold.on(threshold.events.END_BATCH_PROCESS, () => (inBatch = false));
    threshold.on(threshold.events.COMMIT_OFFSETS, (event) => {
      if (inBatch) commitsDuringBatch.push(Number(event.payload.topics[0]!.partitions[0]!.offset));
    });
    let handled = 0;
    await threshold.connect();
    await threshold.subscribe({ topics: [topic], fromBeginning: true });
    await threshold.run({
      autoCommitThreshold: 5,
      eachMessage: async () => {
        // A commit goes out in the background after every 5th message; the next one waits for its
        // answer, so the batch is still being handled when it arrives, however slow the round trip.
        if (handled > 0 && handled % 5 === 0) {
          const due = handled;
          await waitFor(
            () => commitsDuringBatch.some((offset) => offset >= due),
            () => `the commit of offset ${due} during the batch (${commitsDuringBatch})`,
          );
        }
        handled++;
      },
    });
    await waitFor(() => handled >= 20, "20 messages");
    assert.ok(commitsDuringBatch.length >= 2, `commits within the batch: ${commitsDuringBatch}`);
    assert.ok(
      commitsDuringBatch.every((offset) => offset >= 5 && offset < 20),
      `${commitsDuringBatch}`,
    );
  });

  it("when starting without a commit, then fromBeginning picks earliest or latest, and an out-of-range commit is reset", async () => {
    const topic = "start-positions";
    await suite.rig().createTopic(topic, 1);
    await suite.rig().producer.send({ topic, messages: range(5).map((i) => ({ value: `old-${i}` })) });

    const latest = consumer("latest-group");
    const fromLatest: Received[] = [];
    // A fetch answered means the start position (latest) was resolved before it: what is produced
    // after that is new to this group.
    let fetched = false;
    latest.on(latest.events.FETCH, () => (fetched = true));
    await collect(latest, topic, fromLatest, { fromBeginning: false });
    await waitFor(() => fetched, "the first fetch from the latest offset");
    await suite.rig().producer.send({ topic, messages: [{ value: "new-0" }] });
    await waitFor(() => fromLatest.length >= 1, "the new message");
    assert.deepEqual(
      fromLatest.map((m) => m.value),
      ["new-0"],
    );

    // A commit past the end, straight on the wire (the only broker is the coordinator).
    const wire = await WireClient.connect(suite.broker().address);
    try {
      const response = await wire.request(Apis.OffsetCommit, 2, {
        groupId: "out-of-range-group",
        generationIdOrMemberEpoch: -1,
        memberId: "",
        groupInstanceId: null,
        retentionTimeMs: -1n,
        topics: [
          {
            name: topic,
            partitions: [
              { partitionIndex: 0, committedOffset: 1000n, committedLeaderEpoch: -1, committedMetadata: null },
            ],
          },
        ],
      });
      assert.equal(response.topics[0]!.partitions[0]!.errorCode, 0);
    } finally {
      wire.close();
    }
    const reset = consumer("out-of-range-group");
    const afterReset: Received[] = [];
    await collect(reset, topic, afterReset, { fromBeginning: true });
    await waitFor(
      () => afterReset.length >= 6,
      () => `all 6 after the reset, got ${afterReset.length}`,
    );
    assert.deepEqual(
      afterReset.map((m) => Number(m.offset)),
      range(6),
    );
  });

  it("when describing the group, then its state, protocol and members are reported", async () => {
    const topic = "describe";
    await suite.rig().createTopic(topic, 1);
    const c = consumer("describe-group");
    await collect(c, topic, []);
    const description = await c.describeGroup();
    assert.equal(description.groupId, "describe-group");
    assert.equal(description.state, "Stable");
    assert.equal(description.protocolType, "consumer");
    assert.equal(description.protocol, "RoundRobinAssigner");
    assert.equal(description.members.length, 1);
    assert.ok(description.members[0]!.memberId.length > 0);
  });
});
