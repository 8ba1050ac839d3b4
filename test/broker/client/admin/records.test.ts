import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { errorShape, rejectionOf, useAdmins } from "./fixture.ts";

const TOPIC = "records-topic";

/** What a KafkaJSDeleteTopicRecordsError (perhaps wrapped by the retrier) says, per partition. */
function deleteErrorShape(error: unknown): Record<string, unknown> {
  const e = error as { cause?: { partitions?: { partition: number; offset: string; error: unknown }[] } };
  return {
    ...errorShape(error),
    partitions: e.cause?.partitions?.map((p) => ({
      partition: p.partition,
      offset: p.offset,
      error: errorShape(p.error),
    })),
  };
}

describe("admin: deleteTopicRecords", () => {
  const fx = useAdmins();

  before(async () => {
    await fx.ours.createTopics({ topics: [{ topic: TOPIC, numPartitions: 2 }] });
    const producer = fx.kafka.producer();
    await producer.connect();
    try {
      await producer.send({
        topic: TOPIC,
        messages: ["a", "b", "c", "d", "e"].map((value) => ({ partition: 0, value })),
      });
      await producer.send({ topic: TOPIC, messages: [{ partition: 1, value: "f" }] });
    } finally {
      await producer.disconnect();
    }
    // kafkajs looks the leaders up in its cached metadata.
    await fx.kafkajs.fetchTopicMetadata({ topics: [TOPIC] });
  });

  it("when records are deleted, then fetchTopicOffsets reports the new low watermark, as with kafkajs", async () => {
    await fx.ours.deleteTopicRecords({ topic: TOPIC, partitions: [{ partition: 0, offset: "2" }] });
    assert.deepEqual(
      (await fx.ours.fetchTopicOffsets(TOPIC)).map((o) => [o.partition, o.low, o.high]),
      [
        [0, "2", "5"],
        [1, "0", "1"],
      ],
    );
    await fx.kafkajs.deleteTopicRecords({ topic: TOPIC, partitions: [{ partition: 0, offset: "3" }] });
    await fx.ours.deleteTopicRecords({ topic: TOPIC, partitions: [{ partition: 1, offset: "-1" }] });
    assert.deepEqual(await fx.ours.fetchTopicOffsets(TOPIC), await fx.kafkajs.fetchTopicOffsets(TOPIC));
    assert.deepEqual(
      (await fx.ours.fetchTopicOffsets(TOPIC)).map((o) => [o.partition, o.low]),
      [
        [0, "3"],
        [1, "1"],
      ],
    );
  });

  it("when an offset is past the high watermark, then both clients reject alike: the per-partition error inside the retrier's", async () => {
    const partitions = [{ partition: 0, offset: "50" }];
    const ours = await rejectionOf(fx.ours.deleteTopicRecords({ topic: TOPIC, partitions }));
    const theirs = await rejectionOf(fx.kafkajs.deleteTopicRecords({ topic: TOPIC, partitions }));
    assert.deepEqual(deleteErrorShape(ours), deleteErrorShape(theirs));
    assert.equal(
      (deleteErrorShape(ours).partitions as { error: { type: string } }[])[0]!.error.type,
      "OFFSET_OUT_OF_RANGE",
    );
  });

  it("when the topic or partitions are missing, then both clients refuse before asking the broker", async () => {
    for (const options of [
      { topic: "", partitions: [{ partition: 0, offset: "1" }] },
      { topic: TOPIC, partitions: [] },
    ]) {
      const ours = await rejectionOf(fx.ours.deleteTopicRecords(options));
      const theirs = await rejectionOf(fx.kafkajs.deleteTopicRecords(options));
      assert.deepEqual([errorShape(ours), (ours as Error).message], [errorShape(theirs), (theirs as Error).message]);
    }
  });
});
