// Acceptance: what survives a crashed broker (committed offsets, acknowledged records), how a
// torn log tail is recovered, and that garbage on one connection does not disturb the others.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, statSync, truncateSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import type { Admin, Consumer, Kafka, Producer } from "kafkajs";
import { Apis } from "../../broker/protocol/apis.ts";
import { disconnectQuietly, range, waitFor } from "../helpers/wait.ts";
import { WireClient } from "../helpers/wire-client.ts";
import {
  collectFromBeginning,
  kafkaClient,
  quickConsumerConfig,
  type ReceivedMessage,
  useAcceptanceBroker,
  withBrokerLog,
} from "./helpers.ts";

const offsetsOf = (received: ReceivedMessage[], partition: number): bigint[] =>
  received.filter((m) => m.partition === partition).map((m) => m.offset);

describe("kafkajs: committed offsets and acknowledged records survive kill -9", () => {
  const TOPIC = "durable";
  const PARTITIONS = 3;
  const PER_PARTITION = 300;
  const COMMIT_AT = 150;
  const GROUP = "durable-group";
  const suite = useAcceptanceBroker();

  const value = (partition: number, index: number): string => `p${partition}-m${index}`;

  it("when the broker is killed with SIGKILL and restarted, then a group resumes from its committed offsets and every acknowledged record is still there", {
    timeout: 120_000,
  }, async () => {
    await withBrokerLog(suite.broker, async () => {
      let kafka: Kafka = kafkaClient(suite.broker.address, "acceptance-durable");
      const admin = await suite.connect(kafka.admin());
      await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }], waitForLeaders: true });
      const producer = await suite.connect(kafka.producer());
      for (let start = 0; start < PER_PARTITION; start += 100) {
        for (const p of range(PARTITIONS)) {
          const [result] = await producer.send({
            topic: TOPIC,
            acks: -1,
            messages: range(100).map((i) => ({ partition: p, key: `key-${p}`, value: value(p, start + i) })),
          });
          assert.equal(result!.baseOffset, String(start), `base offset of batch ${start} on partition ${p}`);
        }
      }

      // Consume part of it, committing explicitly at offset 150 of every partition.
      const firstRun: ReceivedMessage[] = [];
      const consumer: Consumer = suite.track(kafka.consumer(quickConsumerConfig(GROUP)));
      await consumer.connect();
      await consumer.subscribe({ topics: [TOPIC], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          firstRun.push({
            topic: TOPIC,
            partition,
            offset: BigInt(message.offset),
            key: null,
            value: message.value!.toString(),
            timestamp: message.timestamp,
            headers: {},
          });
        },
      });
      await waitFor(
        () => range(PARTITIONS).every((p) => offsetsOf(firstRun, p).some((o) => o >= BigInt(COMMIT_AT - 1))),
        {
          timeoutMs: 60_000,
          message: () =>
            `the first consumer to pass offset ${COMMIT_AT - 1} on every partition (got ${firstRun.length} messages)`,
        },
      );
      await consumer.commitOffsets(
        range(PARTITIONS).map((p) => ({ topic: TOPIC, partition: p, offset: String(COMMIT_AT) })),
      );
      await consumer.disconnect();

      const committedBefore = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
      assert.deepEqual(
        committedBefore[0]!.partitions.map((p) => [p.partition, p.offset]).sort(),
        range(PARTITIONS).map((p) => [p, String(COMMIT_AT)]),
        "committed offsets before the crash",
      );
      await disconnectQuietly(producer);
      await disconnectQuietly(admin);

      await suite.broker.kill();
      await suite.broker.restart();

      kafka = kafkaClient(suite.broker.address, "acceptance-durable-after");
      const adminAfter = await suite.connect(kafka.admin());
      const committedAfter = await adminAfter.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
      assert.deepEqual(
        committedAfter[0]!.partitions.map((p) => [p.partition, p.offset]).sort(),
        range(PARTITIONS).map((p) => [p, String(COMMIT_AT)]),
        "committed offsets after the restart",
      );
      const ends = await adminAfter.fetchTopicOffsets(TOPIC);
      for (const o of ends)
        assert.equal(o.high, String(PER_PARTITION), `high watermark of partition ${o.partition} after the restart`);

      // The same group resumes where it committed: the rest, not the beginning.
      const resumed: ReceivedMessage[] = [];
      const resumedConsumer = suite.track(kafka.consumer(quickConsumerConfig(GROUP)));
      await collectFromBeginning(resumedConsumer, TOPIC, resumed);
      const expectedRest = PARTITIONS * (PER_PARTITION - COMMIT_AT);
      await waitFor(() => resumed.length >= expectedRest, {
        timeoutMs: 60_000,
        message: () => `the resumed group to receive ${expectedRest} messages (got ${resumed.length})`,
      });
      await waitFor(
        async () => {
          const [t] = await adminAfter.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
          return t!.partitions.every((p) => p.offset === String(PER_PARTITION));
        },
        { message: "the resumed group to commit the end offsets" },
      );
      await resumedConsumer.disconnect();
      assert.equal(
        resumed.length,
        expectedRest,
        "the resumed group got messages twice or from before its committed offsets",
      );
      for (const p of range(PARTITIONS)) {
        const offsets = offsetsOf(resumed, p);
        assert.deepEqual(
          offsets,
          range(PER_PARTITION - COMMIT_AT).map((i) => BigInt(COMMIT_AT + i)),
          `offsets resumed on partition ${p}`,
        );
        assert.deepEqual(
          resumed.filter((m) => m.partition === p).map((m) => m.value),
          range(PER_PARTITION - COMMIT_AT).map((i) => value(p, COMMIT_AT + i)),
        );
      }

      // Every acknowledged record, read by a new group from the beginning.
      const audit: ReceivedMessage[] = [];
      const auditConsumer = suite.track(kafka.consumer(quickConsumerConfig("durable-audit")));
      await collectFromBeginning(auditConsumer, TOPIC, audit);
      await waitFor(() => audit.length >= PARTITIONS * PER_PARTITION, {
        timeoutMs: 60_000,
        message: () =>
          `the audit group to read all ${PARTITIONS * PER_PARTITION} acknowledged records (got ${audit.length})`,
      });
      await auditConsumer.disconnect();
      for (const p of range(PARTITIONS)) {
        assert.deepEqual(
          audit.filter((m) => m.partition === p).map((m) => m.value),
          range(PER_PARTITION).map((i) => value(p, i)),
        );
      }
    });
  });
});

describe("kafkajs: a torn batch at the end of the log is cut off on restart", () => {
  const TOPIC = "torn";
  const suite = useAcceptanceBroker();

  it("when the last 7 bytes of the active segment are cut off while the broker is down, then the log ends at the last whole batch and new records continue from there", {
    timeout: 90_000,
  }, async () => {
    await withBrokerLog(suite.broker, async () => {
      let kafka = kafkaClient(suite.broker.address, "acceptance-torn");
      let admin: Admin = await suite.connect(kafka.admin());
      await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1 }], waitForLeaders: true });
      let producer: Producer = await suite.connect(kafka.producer());
      // Five sends of ten records: five batches, at offsets 0, 10, 20, 30, 40.
      for (let b = 0; b < 5; b++) {
        const [result] = await producer.send({
          topic: TOPIC,
          acks: -1,
          messages: range(10).map((i) => ({ key: `k${i % 3}`, value: `record ${b * 10 + i}` })),
        });
        assert.equal(result!.baseOffset, String(b * 10));
      }
      await disconnectQuietly(producer);
      await disconnectQuietly(admin);

      assert.equal(await suite.broker.stop(), 0, "the broker exits cleanly on SIGTERM");
      const partitionDir = join(suite.broker.dataDir, `${TOPIC}-0`);
      const segment = join(partitionDir, "00000000000000000000.log");
      assert.ok(
        existsSync(segment),
        `no ${segment}; the partition directory holds: ${existsSync(partitionDir) ? readdirSync(partitionDir).join(", ") : "(missing)"}`,
      );
      const size = statSync(segment).size;
      truncateSync(segment, size - 7);
      await suite.broker.restart();

      kafka = kafkaClient(suite.broker.address, "acceptance-torn-after");
      admin = await suite.connect(kafka.admin());
      const [offsets] = await admin.fetchTopicOffsets(TOPIC);
      assert.equal(offsets!.high, "40", "latest offset after recovery = base offset of the torn batch");
      assert.equal(offsets!.low, "0");

      const readAll = async (groupId: string, count: number): Promise<ReceivedMessage[]> => {
        const received: ReceivedMessage[] = [];
        const consumer = suite.track(kafka.consumer(quickConsumerConfig(groupId)));
        await collectFromBeginning(consumer, TOPIC, received);
        await waitFor(() => received.length >= count, { message: () => `${count} records (got ${received.length})` });
        await waitFor(
          async () => {
            const [t] = await admin.fetchOffsets({ groupId, topics: [TOPIC] });
            return t!.partitions[0]!.offset === String(count);
          },
          { message: `${groupId} to commit offset ${count}` },
        );
        await consumer.disconnect();
        return received;
      };

      const whole = await readAll("torn-readers", 40);
      assert.deepEqual(
        whole.map((m) => m.value),
        range(40).map((i) => `record ${i}`),
      );
      assert.deepEqual(
        whole.map((m) => m.offset),
        range(40).map((i) => BigInt(i)),
      );

      producer = await suite.connect(kafka.producer());
      const [result] = await producer.send({ topic: TOPIC, acks: -1, messages: [{ value: "after recovery" }] });
      assert.equal(result!.baseOffset, "40", "the next record takes the torn batch's offset");
      const again = await readAll("torn-readers-2", 41);
      assert.deepEqual(
        again.map((m) => m.value),
        [...range(40).map((i) => `record ${i}`), "after recovery"],
      );
    });
  });
});

describe("kafkajs: garbage on one connection only closes that connection", () => {
  const TOPIC = "steady";
  const suite = useAcceptanceBroker({ "socket.request.max.bytes": 10 * 1024 * 1024 });
  let producer: Producer | undefined;
  const received: ReceivedMessage[] = [];

  before(async () => {
    const kafka = kafkaClient(suite.broker.address, "acceptance-garbage");
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 2 }], waitForLeaders: true });
    await admin.disconnect();
    producer = await suite.connect(kafka.producer());
    await collectFromBeginning(suite.track(kafka.consumer(quickConsumerConfig("steady-group"))), TOPIC, received);
  });

  /** A raw connection of its own, closed after the suite. */
  const rawConnection = async (): Promise<WireClient> => {
    const raw = await WireClient.connect(suite.broker.address);
    suite.track({ disconnect: async () => raw.close() });
    return raw;
  };

  let produced = 0;
  const produceAndConsume = async (): Promise<void> => {
    const first = produced;
    produced += 20;
    await producer!.send({
      topic: TOPIC,
      acks: -1,
      messages: range(20).map((i) => ({ key: `k${i}`, value: `steady ${first + i}` })),
    });
    await waitFor(() => received.length >= produced, {
      message: () => `${produced} messages consumed (got ${received.length})`,
    });
    assert.deepEqual(
      received.map((m) => m.value).sort(),
      range(produced)
        .map((i) => `steady ${i}`)
        .sort(),
    );
  };

  const expectClosed = async (label: string, bytes: Buffer): Promise<void> => {
    const raw = await rawConnection();
    raw.writeRaw(bytes);
    await waitFor(() => raw.isClosed, {
      timeoutMs: 15_000,
      message: `the broker to close the connection that sent ${label}`,
    });
  };

  it("when a connection sends 64 bytes of garbage, then the broker closes it and a kafkajs client on another connection keeps producing and consuming", {
    timeout: 60_000,
  }, async () => {
    await withBrokerLog(suite.broker, async () => {
      await produceAndConsume();

      // 64 random bytes framed as one 60-byte request with an api key no broker knows.
      const framed = randomBytes(64);
      framed.writeInt32BE(60, 0);
      framed.writeInt16BE(0x7e57, 4);
      await expectClosed("a frame of random bytes with an unknown api key", framed);
      await produceAndConsume();

      // 64 bytes of 0xff: a negative size prefix.
      await expectClosed("64 bytes of 0xff", Buffer.alloc(64, 0xff));
      await produceAndConsume();

      // A well-formed Metadata v1 header whose body claims 2^31-16 topics and ends.
      const metadata = Buffer.alloc(19);
      metadata.writeInt32BE(15, 0);
      metadata.writeInt16BE(3, 4);
      metadata.writeInt16BE(1, 6);
      metadata.writeInt32BE(7, 8);
      metadata.writeInt16BE(1, 12);
      metadata.write("x", 14);
      metadata.writeInt32BE(0x7ffffff0, 15);
      await expectClosed("a Metadata request with a truncated body", metadata);
      await produceAndConsume();
    });
  });

  it("when a frame's size prefix says 2 GB (over socket.request.max.bytes), then the broker closes that connection without waiting for the body, and others are unaffected", {
    timeout: 60_000,
  }, async () => {
    await withBrokerLog(suite.broker, async () => {
      const huge = Buffer.alloc(24, 0x41);
      huge.writeInt32BE(0x7fffffff, 0);
      await expectClosed("a 2 GB size prefix", huge);
      await produceAndConsume();

      // A fresh raw connection still gets answers.
      const raw = await rawConnection();
      const versions = await raw.request(Apis.ApiVersions, 0, { clientSoftwareName: "", clientSoftwareVersion: "" });
      assert.equal(versions.errorCode, 0);
      assert.ok(
        versions.apiKeys.some((k) => k.apiKey === 0),
        "ApiVersions lists Produce",
      );
    });
  });
});
