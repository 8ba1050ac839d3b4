// Standalone consumption (our extension): assign() names the partitions, no group membership is
// taken, and with a groupId the group's committed offsets are used and advanced.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Consumer } from "../../../../broker/client/consumer/index.ts";
import { range } from "../../../helpers/wait.ts";
import { ourConsumer, quickConsumerConfig, useConsumerSuite, waitFor } from "./helpers.ts";

describe("standalone consumer", () => {
  const suite = useConsumerSuite();

  const consumer = (groupId: string): Consumer => {
    const created = ourConsumer(suite.broker().address, quickConsumerConfig(groupId));
    suite.track(created);
    return created;
  };

  const run = async (c: Consumer, sink: string[]): Promise<void> => {
    await c.run({
      eachMessage: async ({ partition, message }) => {
        sink.push(`${partition}:${message.value!.toString()}`);
      },
    });
  };

  it("when partitions are assigned with a groupId, then only they are read, without joining, and commits resume the next run", async () => {
    const topic = "standalone";
    const groupId = "standalone-group";
    await suite.rig().createTopic(topic, 3);
    await suite.rig().producer.send({ topic, messages: range(30).map((i) => ({ value: `a${i}`, partition: i % 3 })) });

    const first = consumer(groupId);
    const joins: unknown[] = [];
    first.on(first.events.GROUP_JOIN, (event) => joins.push(event));
    const received: string[] = [];
    await first.connect();
    first.assign([{ topic, partitions: [0, 2], fromBeginning: true }]);
    await run(first, received);
    // Every message of partitions 0 and 2; partition 1's, were it fetched, would come in the same fetches.
    const assignedMessages = range(30)
      .filter((i) => i % 3 !== 1)
      .map((i) => `${i % 3}:a${i}`);
    await waitFor(
      () => assignedMessages.every((m) => received.includes(m)),
      () => `20 messages of partitions 0 and 2, got ${received.length}`,
    );
    assert.equal(received.length, 20);
    assert.ok(
      received.every((m) => !m.startsWith("1:")),
      "partition 1 was not assigned",
    );
    assert.deepEqual(joins, [], "no group membership");
    const description = await first.describeGroup();
    assert.deepEqual(description.members, []);
    assert.notEqual(description.state, "Stable");

    await first.disconnect();
    const [offsets] = await suite.rig().admin.fetchOffsets({ groupId, topics: [topic] });
    assert.deepEqual(Object.fromEntries(offsets!.partitions.map((p) => [p.partition, p.offset])), {
      0: "10",
      1: "-1",
      2: "10",
    });

    await suite.rig().producer.send({ topic, messages: range(6).map((i) => ({ value: `b${i}`, partition: i % 3 })) });
    const second = consumer(groupId);
    const more: string[] = [];
    await second.connect();
    second.assign([{ topic, partitions: [0, 2], fromBeginning: true }]);
    await run(second, more);
    // The new messages; anything before the committed offsets would have come first (partition order).
    await waitFor(
      () => ["0:b0", "0:b3", "2:b2", "2:b5"].every((m) => more.includes(m)),
      () => `4 new messages, got ${more}`,
    );
    assert.deepEqual(more.sort(), ["0:b0", "0:b3", "2:b2", "2:b5"], "resumed from the committed offsets");
  });

  it("when partitions are assigned without a groupId, then they are read from where asked and nothing is committed", async () => {
    const topic = "standalone-no-group";
    await suite.rig().createTopic(topic, 2);
    await suite.rig().producer.send({ topic, messages: range(10).map((i) => ({ value: `m${i}`, partition: i % 2 })) });

    const fromStart = consumer("");
    const received: string[] = [];
    fromStart.assign([{ topic, partitions: [1], fromBeginning: true }]);
    await fromStart.connect();
    await run(fromStart, received);
    await waitFor(() => received.length >= 5, "partition 1 from the beginning");

    const fromEnd = consumer("");
    const latest: string[] = [];
    fromEnd.assign([{ topic, partitions: [0, 1] }]);
    await fromEnd.connect();
    await run(fromEnd, latest);
    fromEnd.seek({ topic, partition: 0, offset: "3" });
    await waitFor(
      () => latest.length >= 2,
      () => `partition 0 from the sought offset 3, got ${latest}`,
    );
    await suite.rig().producer.send({ topic, messages: [{ value: "new", partition: 1 }] });
    await waitFor(
      () => latest.includes("1:new") && received.includes("1:new"),
      () => `the new message: ${latest} / ${received}`,
    );
    assert.deepEqual(latest.sort(), ["0:m6", "0:m8", "1:new"]);
    await assert.rejects(fromEnd.commitOffsets([{ topic, partition: 0, offset: "1" }]), /without a groupId/);
  });

  it("when assign and subscribe are mixed, or run without a groupId or assignment, then the consumer refuses", async () => {
    const subscribed = consumer("mixed-modes");
    await subscribed.connect();
    await subscribed.subscribe({ topics: ["standalone"] });
    assert.throws(
      () => subscribed.assign([{ topic: "standalone", partitions: [0] }]),
      /cannot also be given partitions/,
    );

    const assigned = consumer("");
    assigned.assign([{ topic: "standalone", partitions: [0] }]);
    await assert.rejects(assigned.subscribe({ topics: ["standalone"] }), /cannot also subscribe/);

    const neither = consumer("");
    await assert.rejects(neither.run({ eachMessage: async () => undefined }), /groupId must be a non-empty string/);
  });
});
