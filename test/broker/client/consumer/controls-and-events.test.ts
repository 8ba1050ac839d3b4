// Our consumer against the real broker, with test data produced by the real kafkajs producer:
// the controls an app has over a run and what it can observe: pause and resume, retries and
// restartOnFailure after a failing handler, kafkajs's instrumentation events, describeGroup.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { InstrumentationEvent } from "../../../../broker/client/index.ts";
import { range } from "../../../helpers/wait.ts";
import { requestEventFields } from "../helpers.ts";
import { consumeHelpers } from "./consume-fixture.ts";
import { type Received, useConsumerSuite, waitFor } from "./helpers.ts";

describe("consumer controls and events", () => {
  const suite = useConsumerSuite();
  const { consumer, collect, committed } = consumeHelpers(suite);

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
    assert.deepEqual(Object.keys(requests[0]).sort(), requestEventFields);
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
