import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { KafkaJSNonRetriableError } from "../../../../broker/client/errors.ts";
import { waitFor } from "../helpers.ts";
import { errorShape, rejectionOf, useAdmins } from "./fixture.ts";

const TOPIC = "offsets-topic";

describe("admin: topic offsets and committed offsets", () => {
  const fx = useAdmins();

  before(async () => {
    await fx.ours.createTopics({
      topics: [
        { topic: TOPIC, numPartitions: 3 },
        { topic: "empty-topic", numPartitions: 2 },
      ],
    });
    const producer = fx.kafka.producer();
    await producer.connect();
    try {
      await producer.send({
        topic: TOPIC,
        messages: [
          { partition: 0, value: "a", timestamp: "1000" },
          { partition: 0, value: "b", timestamp: "2000" },
          { partition: 0, value: "c", timestamp: "3000" },
          { partition: 1, value: "d", timestamp: "2500" },
        ],
      });
    } finally {
      await producer.disconnect();
    }
  });

  it("when fetching a topic's offsets, then each partition's high and low watermarks as strings, as kafkajs", async () => {
    const [ours, theirs] = await Promise.all([fx.ours.fetchTopicOffsets(TOPIC), fx.kafkajs.fetchTopicOffsets(TOPIC)]);
    assert.deepEqual(ours, theirs);
    assert.deepEqual(ours, [
      { partition: 0, offset: "3", high: "3", low: "0" },
      { partition: 1, offset: "1", high: "1", low: "0" },
      { partition: 2, offset: "0", high: "0", low: "0" },
    ]);
  });

  it("when fetching offsets by timestamp, then the first offset at or after it, else the high watermark, as kafkajs", async () => {
    for (const timestamp of [0, 1500, 2500, 3000, 99_999_999_999_999, undefined]) {
      const [ours, theirs] = await Promise.all([
        fx.ours.fetchTopicOffsetsByTimestamp(TOPIC, timestamp),
        fx.kafkajs.fetchTopicOffsetsByTimestamp(TOPIC, timestamp),
      ]);
      assert.deepEqual(ours, theirs, `timestamp ${timestamp}`);
    }
    assert.deepEqual(await fx.ours.fetchTopicOffsetsByTimestamp(TOPIC, 1500), [
      { partition: 0, offset: "1" },
      { partition: 1, offset: "0" },
      { partition: 2, offset: "0" },
    ]);
  });

  it("when fetching offsets of an unknown topic, then KafkaJSNumberOfRetriesExceeded caused by UNKNOWN_TOPIC_OR_PARTITION, as kafkajs", async () => {
    const ours = await rejectionOf(fx.ours.fetchTopicOffsets("no-such-topic"));
    const theirs = await rejectionOf(fx.kafkajs.fetchTopicOffsets("no-such-topic"));
    assert.equal(ours.name, "KafkaJSNumberOfRetriesExceeded");
    assert.deepEqual(errorShape(ours), errorShape(theirs));
    const oursByTime = await rejectionOf(fx.ours.fetchTopicOffsetsByTimestamp("no-such-topic", 0));
    assert.deepEqual(errorShape(oursByTime), errorShape(theirs));
  });

  it("when a group has committed nothing, then -1 for every partition asked, and nothing when no topic is named, as kafkajs", async () => {
    const [ours, theirs] = await Promise.all([
      fx.ours.fetchOffsets({ groupId: "nothing-committed", topics: [TOPIC] }),
      fx.kafkajs.fetchOffsets({ groupId: "nothing-committed", topics: [TOPIC] }),
    ]);
    assert.deepEqual(ours, theirs);
    assert.deepEqual(ours, [
      { topic: TOPIC, partitions: [0, 1, 2].map((partition) => ({ partition, offset: "-1", metadata: null })) },
    ]);
    assert.deepEqual(
      await fx.ours.fetchOffsets({ groupId: "nothing-committed" }),
      await fx.kafkajs.fetchOffsets({ groupId: "nothing-committed" }),
    );
    assert.deepEqual(await fx.ours.fetchOffsets({ groupId: "nothing-committed" }), []);
  });

  it("when offsets are set for an idle group, then fetchOffsets returns them, as for kafkajs's setOffsets", async () => {
    const partitions = [
      { partition: 0, offset: "2" },
      { partition: 1, offset: "1" },
    ];
    assert.equal(await fx.ours.setOffsets({ groupId: "set-ours", topic: TOPIC, partitions }), undefined);
    assert.equal(await fx.kafkajs.setOffsets({ groupId: "set-kafkajs", topic: TOPIC, partitions }), undefined);
    for (const topics of [[TOPIC], undefined]) {
      const ours = await fx.ours.fetchOffsets({ groupId: "set-ours", topics });
      const theirs = await fx.kafkajs.fetchOffsets({ groupId: "set-kafkajs", topics });
      assert.deepEqual(ours, theirs);
    }
    assert.deepEqual(await fx.ours.fetchOffsets({ groupId: "set-ours" }), [
      {
        topic: TOPIC,
        partitions: [
          { partition: 0, offset: "2", metadata: null },
          { partition: 1, offset: "1", metadata: null },
        ],
      },
    ]);
    // Each client reads what the other wrote.
    assert.deepEqual(
      await fx.kafkajs.fetchOffsets({ groupId: "set-ours", topics: [TOPIC] }),
      await fx.ours.fetchOffsets({ groupId: "set-ours", topics: [TOPIC] }),
    );
  });

  it('when offsets are set for a group that did not exist, then it is an Empty "consumer" group afterwards, as after kafkajs\'s setOffsets', async () => {
    const partitions = [{ partition: 0, offset: "1" }];
    await Promise.all([
      fx.ours.setOffsets({ groupId: "new-ours", topic: TOPIC, partitions }),
      fx.kafkajs.setOffsets({ groupId: "new-kafkajs", topic: TOPIC, partitions }),
    ]);
    const { groups } = await fx.ours.describeGroups(["new-ours", "new-kafkajs"]);
    const shape = ({ state, protocolType, members }: { state: string; protocolType: string; members: unknown[] }) => ({
      state,
      protocolType,
      members,
    });
    assert.deepEqual(shape(groups[0]!), shape(groups[1]!));
    assert.deepEqual(shape(groups[0]!), { state: "Empty", protocolType: "consumer", members: [] });
    const listed = (await fx.ours.listGroups()).groups
      .filter((g) => g.groupId.startsWith("new-"))
      .sort((a, b) => a.groupId.localeCompare(b.groupId));
    assert.deepEqual(listed, [
      { groupId: "new-kafkajs", protocolType: "consumer" },
      { groupId: "new-ours", protocolType: "consumer" },
    ]);
    assert.deepEqual((await fx.ours.fetchOffsets({ groupId: "new-ours", topics: [TOPIC] }))[0]!.partitions[0], {
      partition: 0,
      offset: "1",
      metadata: null,
    });
  });

  it("when the group has running members, then setOffsets refuses with kafkajs's error and leaves the group as it was", async () => {
    const consumer = fx.kafka.consumer({ groupId: "busy-group", sessionTimeout: 6000, heartbeatInterval: 500 });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [TOPIC] });
      let joined = false;
      consumer.on(consumer.events.GROUP_JOIN, () => {
        joined = true;
      });
      await consumer.run({ eachMessage: async () => undefined });
      await waitFor(() => joined, "the kafkajs member joining");
      const partitions = [{ partition: 0, offset: "1" }];
      const ours = await rejectionOf(fx.ours.setOffsets({ groupId: "busy-group", topic: TOPIC, partitions }));
      const theirs = await rejectionOf(fx.kafkajs.setOffsets({ groupId: "busy-group", topic: TOPIC, partitions }));
      assert.ok(ours instanceof KafkaJSNonRetriableError);
      assert.deepEqual([ours.name, ours.message], [theirs.name, theirs.message]);
      assert.equal(ours.message, "The consumer group must have no running instances, current state: Stable");
      const [group] = (await fx.ours.describeGroups(["busy-group"])).groups;
      assert.deepEqual([group!.state, group!.members.length], ["Stable", 1]);
    } finally {
      await consumer.disconnect();
    }
  });

  it("when offsets are reset, then -2/-1 are stored, and resolveOffsets turns them into real offsets and commits those, as kafkajs", async () => {
    // Both directions at once: kafkajs's setOffsets runs a consumer and takes seconds.
    await Promise.all(
      [true, false].map(async (earliest) => {
        const [ourGroup, theirGroup] = [`reset-ours-${earliest}`, `reset-kafkajs-${earliest}`];
        await fx.ours.resetOffsets({ groupId: ourGroup, topic: TOPIC, earliest });
        await fx.kafkajs.resetOffsets({ groupId: theirGroup, topic: TOPIC, earliest });
        const stored = await fx.ours.fetchOffsets({ groupId: ourGroup, topics: [TOPIC] });
        assert.deepEqual(stored, await fx.kafkajs.fetchOffsets({ groupId: theirGroup, topics: [TOPIC] }));
        assert.ok(stored[0]!.partitions.every((p) => p.offset === (earliest ? "-2" : "-1")));

        const resolved = await fx.ours.fetchOffsets({ groupId: ourGroup, topics: [TOPIC], resolveOffsets: true });
        assert.deepEqual(
          resolved,
          await fx.kafkajs.fetchOffsets({ groupId: theirGroup, topics: [TOPIC], resolveOffsets: true }),
        );
        const expected = earliest ? ["0", "0", "0"] : ["3", "1", "0"];
        assert.deepEqual(
          resolved[0]!.partitions.map((p) => p.offset),
          expected,
        );
        assert.deepEqual(
          (await fx.ours.fetchOffsets({ groupId: ourGroup, topics: [TOPIC] }))[0]!.partitions.map((p) => p.offset),
          expected,
        );
      }),
    );
  });

  it("when offset calls get invalid input, then the same KafkaJSNonRetriableError as kafkajs", async () => {
    const pairs: [Promise<unknown>, Promise<unknown>][] = [
      [fx.ours.fetchTopicOffsets(""), fx.kafkajs.fetchTopicOffsets("")],
      [fx.ours.fetchOffsets({ groupId: "" }), fx.kafkajs.fetchOffsets({ groupId: "" })],
      [
        fx.ours.setOffsets({ groupId: "g", topic: TOPIC, partitions: [] }),
        fx.kafkajs.setOffsets({ groupId: "g", topic: TOPIC, partitions: [] }),
      ],
      [
        fx.ours.resetOffsets({ groupId: "g", topic: "", earliest: true }),
        fx.kafkajs.resetOffsets({ groupId: "g", topic: "", earliest: true }),
      ],
    ];
    for (const [oursCall, theirsCall] of pairs) {
      const ours = await rejectionOf(oursCall);
      const theirs = await rejectionOf(theirsCall);
      assert.ok(ours instanceof KafkaJSNonRetriableError);
      assert.deepEqual([ours.name, ours.message], [theirs.name, theirs.message]);
    }
  });
});
