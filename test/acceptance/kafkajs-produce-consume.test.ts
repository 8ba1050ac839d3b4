// Acceptance: kafkajs against the real broker process — topic creation, keyed produce with
// headers, consumption by two independent groups, partition growth, unknown partitions.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Apis } from "../../broker/protocol/apis.ts";
import { encodeRecordBatch } from "../../broker/protocol/record-batch/encoder.ts";
import { range, waitFor } from "../helpers/wait.ts";
import { WireClient } from "../helpers/wire-client.ts";
import {
  collectFromBeginning,
  errorChain,
  type ReceivedMessage,
  useAcceptanceSuite,
  withBrokerLog,
} from "./helpers.ts";

const TOPIC = "orders";
const PARTITIONS = 6;
const KEYS = 200;
const PER_KEY = 50;
const TOTAL = KEYS * PER_KEY;
const SEND_BATCH = 500;
const BASE_TIMESTAMP = Date.UTC(2024, 0, 15, 12, 0, 0);

interface SentMessage {
  key: string;
  value: string;
  seq: number;
  timestamp: string;
  headers: Record<string, string>;
}

/** Message i: key k-(i mod 200), per-key sequence number i div 200, distinct timestamps. */
function sentMessage(i: number): SentMessage {
  const key = `k-${String(i % KEYS).padStart(3, "0")}`;
  const seq = Math.floor(i / KEYS);
  return {
    key,
    value: JSON.stringify({ key, seq, filler: "x".repeat(i % 17) }),
    seq,
    timestamp: String(BASE_TIMESTAMP + i),
    headers: { seq: String(seq), source: "acceptance", "trace-id": `t-${i}` },
  };
}

const sent = range(TOTAL).map(sentMessage);
const sentByValue = new Map(sent.map((m) => [m.value, m]));

/** Checks one group's full copy: each sent message once, intact, in order per key. */
function assertCompleteCopy(received: ReceivedMessage[], label: string): void {
  assert.equal(received.length, TOTAL, `${label}: received ${received.length} messages, expected ${TOTAL}`);
  const seenValues = new Set<string>();
  const positions = new Set<string>();
  const partitionOfKey = new Map<string, number>();
  const lastSeqOfKey = new Map<string, number>();
  for (const message of received) {
    assert.equal(message.topic, TOPIC);
    const original = sentByValue.get(message.value);
    assert.ok(original, `${label}: unexpected value ${message.value}`);
    assert.ok(!seenValues.has(message.value), `${label}: duplicate delivery of ${message.value}`);
    seenValues.add(message.value);
    const position = `${message.partition}@${message.offset}`;
    assert.ok(
      !positions.has(position),
      `${label}: two messages at partition ${message.partition} offset ${message.offset}`,
    );
    positions.add(position);
    assert.equal(message.key, original.key, `${label}: key of ${message.value}`);
    assert.equal(message.timestamp, original.timestamp, `${label}: timestamp of ${message.value}`);
    assert.deepEqual(message.headers, original.headers, `${label}: headers of ${message.value}`);
    const partition = partitionOfKey.get(original.key);
    if (partition === undefined) partitionOfKey.set(original.key, message.partition);
    else assert.equal(message.partition, partition, `${label}: key ${original.key} seen on two partitions`);
    const previous = lastSeqOfKey.get(original.key) ?? -1;
    assert.equal(
      original.seq,
      previous + 1,
      `${label}: key ${original.key} delivered seq ${original.seq} after ${previous}`,
    );
    lastSeqOfKey.set(original.key, original.seq);
  }
  assert.equal(seenValues.size, TOTAL);
  assert.equal(partitionOfKey.size, KEYS);
  // 200 keys hashed over 6 partitions: every partition gets some.
  assert.equal(new Set(partitionOfKey.values()).size, PARTITIONS, `${label}: keys did not spread over all partitions`);
}

describe("kafkajs produce and consume", () => {
  const suite = useAcceptanceSuite("acceptance-produce-consume", { "num.partitions": 1 });
  const firstGroupReceived: ReceivedMessage[] = [];
  let endOffsets: Map<number, string> | undefined;

  const groupOffsets = async (groupId: string): Promise<Map<number, string>> => {
    const [topic] = await suite.admin.fetchOffsets({ groupId, topics: [TOPIC] });
    return new Map(topic!.partitions.map((p) => [p.partition, p.offset]));
  };

  const consumeAll = async (groupId: string, sink: ReceivedMessage[]): Promise<void> => {
    const consumer = suite.consumer(groupId);
    await collectFromBeginning(consumer, TOPIC, sink);
    await waitFor(() => sink.length >= TOTAL, {
      timeoutMs: 60_000,
      message: () => `${groupId} to receive ${TOTAL} messages (has ${sink.length})`,
    });
    // kafkajs commits after each batch; once the group's offsets reach the log ends, nothing more can come.
    await waitFor(
      async () => {
        const committed = await groupOffsets(groupId);
        return range(PARTITIONS).every((p) => committed.get(p) === endOffsets!.get(p));
      },
      { timeoutMs: 30_000, message: `${groupId} to commit the end offsets` },
    );
    await consumer.disconnect();
  };

  it("when an admin creates a topic with 6 partitions, then its metadata lists 6 partitions led by the broker", async () => {
    await withBrokerLog(suite.broker, async () => {
      const created = await suite.admin.createTopics({
        topics: [{ topic: TOPIC, numPartitions: PARTITIONS }],
        waitForLeaders: true,
      });
      assert.equal(created, true);
      const metadata = await suite.admin.fetchTopicMetadata({ topics: [TOPIC] });
      assert.equal(metadata.topics.length, 1);
      assert.equal(metadata.topics[0]!.name, TOPIC);
      const partitions = metadata.topics[0]!.partitions.map((p) => p.partitionId).sort((a, b) => a - b);
      assert.deepEqual(partitions, range(PARTITIONS));
      for (const p of metadata.topics[0]!.partitions) assert.equal(p.leader, 0, `leader of partition ${p.partitionId}`);
      const topics = await suite.admin.listTopics();
      assert.ok(topics.includes(TOPIC), `listTopics: ${topics.join(",")}`);
    });
  });

  it("when 10,000 keyed messages with headers are sent with acks -1, then every send is acknowledged and the log ends add up to 10,000", {
    timeout: 120_000,
  }, async () => {
    await withBrokerLog(suite.broker, async () => {
      let acknowledged = 0;
      for (let start = 0; start < TOTAL; start += SEND_BATCH) {
        const slice = sent.slice(start, start + SEND_BATCH);
        const metadata = await suite.producer.send({
          topic: TOPIC,
          acks: -1,
          messages: slice.map((m) => ({ key: m.key, value: m.value, timestamp: m.timestamp, headers: m.headers })),
        });
        for (const partitionResult of metadata) {
          assert.equal(partitionResult.errorCode, 0);
          assert.equal(partitionResult.topicName, TOPIC);
        }
        acknowledged += slice.length;
      }
      assert.equal(acknowledged, TOTAL);
      const offsets = await suite.admin.fetchTopicOffsets(TOPIC);
      assert.equal(offsets.length, PARTITIONS);
      let sum = 0;
      for (const o of offsets) {
        assert.equal(o.low, "0", `low watermark of partition ${o.partition}`);
        sum += Number(o.high);
      }
      assert.equal(sum, TOTAL, `sum of high watermarks ${offsets.map((o) => `${o.partition}:${o.high}`).join(" ")}`);
      endOffsets = new Map(offsets.map((o) => [o.partition, o.high]));
    });
  });

  it("when a consumer group reads the topic from the beginning, then it gets every message exactly once, in order per key, with keys, headers and timestamps intact", {
    timeout: 120_000,
  }, async () => {
    assert.ok(endOffsets, "needs the produce step");
    await withBrokerLog(suite.broker, async () => {
      await consumeAll("orders-group-1", firstGroupReceived);
      assertCompleteCopy(firstGroupReceived, "group 1");
    });
  });

  it("when a second group reads the same topic, then it gets its own full copy and the two groups' offsets stay independent", {
    timeout: 120_000,
  }, async () => {
    assert.ok(endOffsets, "needs the produce step");
    await withBrokerLog(suite.broker, async () => {
      const firstBefore = await groupOffsets("orders-group-1");
      const received: ReceivedMessage[] = [];
      await consumeAll("orders-group-2", received);
      assertCompleteCopy(received, "group 2");
      assert.deepEqual(
        await groupOffsets("orders-group-1"),
        firstBefore,
        "group 1's offsets moved while group 2 consumed",
      );

      // Moving one group's offsets back leaves the other one's where they are.
      await suite.admin.setOffsets({
        groupId: "orders-group-1",
        topic: TOPIC,
        partitions: range(PARTITIONS).map((p) => ({ partition: p, offset: "1" })),
      });
      const first = await groupOffsets("orders-group-1");
      const second = await groupOffsets("orders-group-2");
      for (const p of range(PARTITIONS)) {
        assert.equal(first.get(p), "1", `group 1 offset of partition ${p}`);
        assert.equal(second.get(p), endOffsets!.get(p), `group 2 offset of partition ${p}`);
      }
      const groups = (await suite.admin.listGroups()).groups.map((g) => g.groupId).sort();
      assert.ok(
        groups.includes("orders-group-1") && groups.includes("orders-group-2"),
        `listGroups: ${groups.join(",")}`,
      );
    });
  });

  it("when CreatePartitions asks for fewer partitions, then it fails with INVALID_PARTITIONS saying partitions can only be added; growing 6 → 8 works", async () => {
    await withBrokerLog(suite.broker, async () => {
      const topic = "resizable";
      await suite.admin.createTopics({ topics: [{ topic, numPartitions: 6 }], waitForLeaders: true });

      const rejection = await suite.admin.createPartitions({ topicPartitions: [{ topic, count: 4 }] }).then(
        () => undefined,
        (error: unknown) => error,
      );
      assert.ok(rejection, "createPartitions to 4 partitions resolved");
      const chain = errorChain(rejection);
      assert.ok(
        chain.types.includes("INVALID_PARTITIONS"),
        `error types: ${chain.types.join(",")} — ${chain.messages.join(" / ")}`,
      );

      // kafkajs drops the broker's error message; read it on the wire.
      const raw = await WireClient.connect(suite.broker.address);
      try {
        const response = await raw.request(Apis.CreatePartitions, 1, {
          topics: [{ name: topic, count: 4, assignments: null }],
          timeoutMs: 5000,
          validateOnly: false,
        });
        const result = response.results.find((r) => r.name === topic);
        assert.ok(result, "no result for the topic");
        assert.equal(result.errorCode, 37, "INVALID_PARTITIONS");
        assert.match(
          result.errorMessage ?? "",
          /only be (added|increased)|can only (add|increase)|cannot be (decreased|reduced)/i,
        );
        assert.match(result.errorMessage ?? "", /6/, "message should say how many partitions the topic has");
      } finally {
        raw.close();
      }

      let metadata = await suite.admin.fetchTopicMetadata({ topics: [topic] });
      assert.equal(metadata.topics[0]!.partitions.length, 6, "a refused shrink must not change the topic");

      await suite.admin.createPartitions({ topicPartitions: [{ topic, count: 8 }] });
      metadata = await suite.admin.fetchTopicMetadata({ topics: [topic] });
      assert.deepEqual(
        metadata.topics[0]!.partitions.map((p) => p.partitionId).sort((a, b) => a - b),
        range(8),
      );

      // The new partitions take writes.
      const [result] = await suite.producer.send({
        topic,
        acks: -1,
        messages: [{ partition: 7, value: "on a new partition" }],
      });
      assert.equal(result!.partition, 7);
      assert.equal(result!.baseOffset, "0");
      const offsets = await suite.admin.fetchTopicOffsets(topic);
      assert.equal(offsets.find((o) => o.partition === 7)?.high, "1");
    });
  });

  it("when a produce request names a partition the topic does not have, then that partition fails with UNKNOWN_TOPIC_OR_PARTITION and the others are written", async () => {
    await withBrokerLog(suite.broker, async () => {
      const topic = "six";
      await suite.admin.createTopics({ topics: [{ topic, numPartitions: 6 }], waitForLeaders: true });

      // kafkajs and librdkafka both drop a message for a partition missing from their metadata
      // before it reaches the wire, so the request is sent raw.
      const raw = await WireClient.connect(suite.broker.address);
      try {
        const records = (value: string): Buffer =>
          encodeRecordBatch({ records: [{ key: null, value: Buffer.from(value) }] });
        const response = await raw.request(Apis.Produce, 3, {
          transactionalId: null,
          acks: -1,
          timeoutMs: 5000,
          topicData: [
            {
              name: topic,
              partitionData: [
                { index: 99, records: records("nowhere") },
                { index: 2, records: records("somewhere") },
              ],
            },
          ],
        });
        const partitions = response.responses.flatMap((t) =>
          t.partitionResponses.map((p) => ({ topic: t.name, ...p })),
        );
        const missing = partitions.find((p) => p.index === 99);
        const existing = partitions.find((p) => p.index === 2);
        assert.ok(
          missing && existing,
          `partitions in the response: ${JSON.stringify(partitions, (_, v) => (typeof v === "bigint" ? String(v) : v))}`,
        );
        assert.equal(missing.topic, topic);
        assert.equal(missing.errorCode, 3, "UNKNOWN_TOPIC_OR_PARTITION");
        assert.equal(existing.errorCode, 0);
        assert.equal(existing.baseOffset, 0n);

        // The connection stays usable after a per-partition error.
        const metadata = await raw.request(Apis.Metadata, 1, {
          topics: [{ name: topic }],
          allowAutoTopicCreation: false,
        });
        assert.equal(metadata.topics[0]!.partitions.length, 6);
      } finally {
        raw.close();
      }

      const offsets = await suite.admin.fetchTopicOffsets(topic);
      assert.equal(offsets.length, 6, "no partition 99 may appear");
      for (const o of offsets)
        assert.equal(o.high, o.partition === 2 ? "1" : "0", `high watermark of partition ${o.partition}`);
    });
  });
});
