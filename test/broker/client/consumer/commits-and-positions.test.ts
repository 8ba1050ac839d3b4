// Our consumer against the real broker, with test data produced by the real kafkajs producer:
// what is committed and where consumption starts: each group's own offsets and resuming from
// them, seek, commits left to the app (commitOffsets, resolveOffset, autoCommitThreshold), and
// the start position without a commit or past the log end.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { range } from "../../../helpers/wait.ts";
import { WireClient } from "../../../helpers/wire-client.ts";
import { consumeHelpers } from "./consume-fixture.ts";
import { type Received, useConsumerSuite, waitFor } from "./helpers.ts";

describe("consumer commits and positions", () => {
  const suite = useConsumerSuite();
  const { consumer, collect, committed } = consumeHelpers(suite);

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
});
