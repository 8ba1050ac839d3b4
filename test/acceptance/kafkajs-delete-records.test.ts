// Acceptance: kafkajs's admin.deleteTopicRecords against the real broker process — the log start
// moves (fetchTopicOffsets' low), a consumer from the beginning starts there, an offset past the
// high watermark is refused — and DescribeLogDirs, which kafkajs has no call for, through a raw
// request.

import assert from "node:assert/strict";
import { realpathSync } from "node:fs";
import { describe, it } from "node:test";
import { Apis } from "../../broker/protocol/apis.ts";
import { range, waitFor } from "../helpers/wait.ts";
import { requestOnce } from "../helpers/wire-client.ts";
import { collectFromBeginning, type ReceivedMessage, useAcceptanceSuite } from "./helpers.ts";

const TOPIC = "trimmed-events";

describe("kafkajs: deleteTopicRecords and DescribeLogDirs", () => {
  const suite = useAcceptanceSuite("kafkajs-delete-records");

  it("when records are deleted up to an offset, then the low watermark moves and a consumer from the beginning starts there", async () => {
    await suite.createTopic(TOPIC, 2);
    await suite.producer.send({
      topic: TOPIC,
      messages: range(10).map((i) => ({ partition: 0, value: `p0-${i}` })),
    });
    await suite.producer.send({ topic: TOPIC, messages: range(4).map((i) => ({ partition: 1, value: `p1-${i}` })) });

    // kafkajs finds the leaders in its cached metadata, which must know the topic first.
    await suite.admin.fetchTopicMetadata({ topics: [TOPIC] });
    await suite.admin.deleteTopicRecords({
      topic: TOPIC,
      partitions: [
        { partition: 0, offset: "6" },
        { partition: 1, offset: "-1" },
      ],
    });

    assert.deepEqual(await suite.admin.fetchTopicOffsets(TOPIC), [
      { partition: 0, offset: "10", high: "10", low: "6" },
      { partition: 1, offset: "4", high: "4", low: "4" },
    ]);

    const received: ReceivedMessage[] = [];
    await collectFromBeginning(suite.consumer("delete-records-readers"), TOPIC, received);
    await waitFor(() => received.length >= 4);
    assert.deepEqual(
      received.map((m) => [m.partition, m.offset, m.value]),
      range(4).map((i) => [0, BigInt(6 + i), `p0-${6 + i}`]),
    );
  });

  it("when the offset is past the high watermark, then kafkajs rejects with OFFSET_OUT_OF_RANGE for that partition", async () => {
    await assert.rejects(
      suite.admin.deleteTopicRecords({ topic: TOPIC, partitions: [{ partition: 0, offset: "99" }] }),
      (error: Error & { cause?: Error & { partitions?: { partition: number; error: { type?: string } }[] } }) => {
        // kafkajs's retrier wraps the final error it was given.
        assert.equal(error.name, "KafkaJSNonRetriableError");
        assert.equal(error.cause?.name, "KafkaJSDeleteTopicRecordsError");
        assert.deepEqual(
          error.cause?.partitions?.map((p) => [p.partition, p.error.type]),
          [[0, "OFFSET_OUT_OF_RANGE"]],
        );
        return true;
      },
    );
    const offsets = await suite.admin.fetchTopicOffsets(TOPIC);
    assert.equal(offsets.find((o) => o.partition === 0)?.low, "6");
  });

  it("when DescribeLogDirs is asked for every topic, then the broker's log dir lists the topic's partitions with their sizes", async () => {
    const response = await requestOnce(suite.broker.address, Apis.DescribeLogDirs, 2, { topics: null });
    assert.equal(response.results.length, 1);
    const [dir] = response.results;
    assert.equal(realpathSync(dir!.logDir), realpathSync(suite.broker.dataDir));
    const topic = dir!.topics.find((t) => t.name === TOPIC);
    assert.deepEqual(
      topic?.partitions.map((p) => [p.partitionIndex, p.offsetLag, p.isFutureKey]),
      [
        [0, 0n, false],
        [1, 0n, false],
      ],
    );
    assert.ok(topic!.partitions.every((p) => p.partitionSize > 0n));
  });
});
