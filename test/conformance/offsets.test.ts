// Conformance: committed offsets — two groups keep independent offsets on one topic, and a group
// that disconnects resumes exactly after what it committed (auto-commit and manual commit).

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { range } from "../helpers/wait.ts";
import {
  clientKinds,
  collectFromBeginning,
  committedOffsets,
  highWatermarks,
  quickGroupBrokerConfig,
  type Received,
  topicName,
  useBroker,
  useClientsOf,
  waitFor,
  withBrokerLog,
} from "./helpers.ts";

describe("conformance: committed offsets", () => {
  const broker = useBroker({ config: quickGroupBrokerConfig });

  for (const kind of clientKinds) {
    describe(kind, () => {
      const clients = useClientsOf(kind, broker, `conformance-offsets-${kind}`);
      const { createTopic } = clients;

      const produceTo = async (topic: string, partitions: number, count: number, tag: string): Promise<void> => {
        for (const partition of range(partitions)) {
          await clients.producer.send({
            topic,
            messages: range(count).map((i) => ({ value: `${tag}-${partition}-${i}`, partition })),
          });
        }
      };

      /** Starts a consumer of `groupId` collecting into a fresh array. */
      const consume = async (topic: string, groupId: string, autoCommit = true) => {
        const received: Received[] = [];
        const consumer = clients.consumer(groupId);
        await collectFromBeginning(consumer, topic, received, { autoCommit });
        return { consumer, received };
      };

      const offsetsOn = (received: Received[], partition: number): string[] =>
        received.filter((m) => m.partition === partition).map((m) => m.offset);

      it("when two groups consume one topic, then each keeps its own committed offsets", { timeout: 30_000 }, () =>
        withBrokerLog(broker, async () => {
          const topic = await createTopic("two-groups", 2);
          const [groupA, groupB] = [topicName(kind, "group-a"), topicName(kind, "group-b")];
          await produceTo(topic, 2, 10, "first");

          const a = await consume(topic, groupA);
          await waitFor(
            () => a.received.length === 20,
            () => `group A consuming 20 (got ${a.received.length})`,
          );
          const ends = await highWatermarks(clients.admin, topic);
          await waitFor(
            async () => JSON.stringify(await committedOffsets(clients.admin, groupA, topic)) === JSON.stringify(ends),
            "group A's commits",
          );

          // Group B starts from the beginning regardless of A, and commits only what it chooses.
          const b = await consume(topic, groupB, false);
          await waitFor(
            () => b.received.length === 20,
            () => `group B consuming 20 (got ${b.received.length})`,
          );
          await b.consumer.commitOffsets([
            { topic, partition: 0, offset: "4" },
            { topic, partition: 1, offset: "7" },
          ]);
          assert.deepEqual(await committedOffsets(clients.admin, groupB, topic), { 0: "4", 1: "7" });
          assert.deepEqual(await committedOffsets(clients.admin, groupA, topic), { 0: "10", 1: "10" });

          await produceTo(topic, 2, 3, "second");
          await waitFor(
            () => a.received.length === 26 && b.received.length === 26,
            () => `both groups getting the new messages (A ${a.received.length}, B ${b.received.length})`,
          );
          await waitFor(
            async () => (await committedOffsets(clients.admin, groupA, topic))[0] === "13",
            "group A committing the new messages",
          );
          assert.deepEqual(
            await committedOffsets(clients.admin, groupB, topic),
            { 0: "4", 1: "7" },
            "group B (autoCommit off) moved",
          );
        }),
      );

      it(
        "when an auto-committing group disconnects and reconnects, then it resumes after its committed offsets",
        { timeout: 30_000 },
        () =>
          withBrokerLog(broker, async () => {
            const topic = await createTopic("resume-auto", 2);
            const groupId = topicName(kind, "resume-auto-group");
            await produceTo(topic, 2, 8, "before");

            const firstRun = await consume(topic, groupId);
            await waitFor(
              () => firstRun.received.length === 16,
              () => `16 messages (got ${firstRun.received.length})`,
            );
            await waitFor(
              async () =>
                JSON.stringify(await committedOffsets(clients.admin, groupId, topic)) ===
                JSON.stringify({ 0: "8", 1: "8" }),
              "commits of the first run",
            );
            await firstRun.consumer.disconnect();

            await produceTo(topic, 2, 5, "after");
            const secondRun = await consume(topic, groupId);
            // Up to the last offset of each partition; anything older would have come before it.
            await waitFor(
              () => [0, 1].every((partition) => offsetsOn(secondRun.received, partition).includes("12")),
              () => `10 new messages (got ${secondRun.received.length})`,
            );
            for (const partition of [0, 1]) {
              assert.deepEqual(
                offsetsOn(secondRun.received, partition),
                ["8", "9", "10", "11", "12"],
                `partition ${partition} after reconnecting`,
              );
            }
          }),
      );

      it(
        "when a group commits part of what it read and reconnects, then it resumes at the committed offset with nothing skipped",
        { timeout: 30_000 },
        () =>
          withBrokerLog(broker, async () => {
            const topic = await createTopic("resume-manual", 2);
            const groupId = topicName(kind, "resume-manual-group");
            await produceTo(topic, 2, 10, "m");

            const firstRun = await consume(topic, groupId, false);
            await waitFor(
              () => firstRun.received.length === 20,
              () => `20 messages (got ${firstRun.received.length})`,
            );
            await firstRun.consumer.commitOffsets([
              { topic, partition: 0, offset: "6" },
              { topic, partition: 1, offset: "3" },
            ]);
            await firstRun.consumer.disconnect();
            assert.deepEqual(await committedOffsets(clients.admin, groupId, topic), { 0: "6", 1: "3" });

            await produceTo(topic, 2, 2, "late");
            const secondRun = await consume(topic, groupId, false);
            // Up to the last offset of each partition; anything older would have come before it.
            await waitFor(
              () => [0, 1].every((partition) => offsetsOn(secondRun.received, partition).includes("11")),
              () => `15 messages (got ${secondRun.received.length})`,
            );
            assert.deepEqual(
              offsetsOn(secondRun.received, 0),
              range(6).map((i) => String(i + 6)),
            );
            assert.deepEqual(
              offsetsOn(secondRun.received, 1),
              range(9).map((i) => String(i + 3)),
            );
            assert.deepEqual(
              secondRun.received.filter((m) => m.partition === 0).map((m) => m.value),
              [...range(4).map((i) => `m-0-${i + 6}`), "late-0-0", "late-0-1"],
            );
          }),
      );
    });
  }
});
