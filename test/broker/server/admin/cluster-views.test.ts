import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Producer } from "kafkajs";
import type { HostedPartition, QuorumInfo } from "../../../../broker/server/admin/admin-types.ts";
import { useBroker, withBrokerLog } from "../../../helpers/broker-process.ts";
import { waitFor } from "../../../helpers/wait.ts";
import { cleanupAll, kafkajsClient } from "../../client/helpers.ts";
import { getJson } from "./admin-fixture.ts";

describe("the admin listener's partitions and quorum", () => {
  const cleanups: Array<() => unknown> = [];
  // Registered before the broker's own after hook, so members leave while the broker still runs.
  after(() => cleanupAll(...cleanups));
  const broker = useBroker({ adminPort: 0, config: { "offsets.topic.num.partitions": 3 } });
  const topic = "views-topic";
  let producer: Producer;

  before(async () => {
    const kafka = kafkajsClient(broker.address, "cluster-views-test");
    const kafkaAdmin = kafka.admin();
    await kafkaAdmin.connect();
    cleanups.push(() => kafkaAdmin.disconnect());
    await kafkaAdmin.createTopics({
      topics: [{ topic, numPartitions: 2, configEntries: [{ name: "retention.ms", value: "3600000" }] }],
      waitForLeaders: true,
    });
    producer = kafka.producer();
    await producer.connect();
    cleanups.push(() => producer.disconnect());
  });

  const partitionView = async (index: number): Promise<HostedPartition | undefined> => {
    const { body } = await getJson<HostedPartition[]>(`${broker.adminUrl}/v1/partitions`);
    return body.find((p) => p.topic === topic && p.partition === index);
  };

  it("when records are produced to a partition, then its log end offset and high watermark move by as many, and its bytes grow", async () => {
    await withBrokerLog(broker, async () => {
      const before = await partitionView(1);
      assert.ok(before, "the partition is listed");
      assert.deepEqual(
        { ...before, bytes: 0 },
        {
          topic,
          partition: 1,
          role: "leader",
          leader: 0,
          leaderEpoch: before.leaderEpoch,
          replicas: [0],
          isr: [0],
          logStartOffset: "0",
          logEndOffset: "0",
          highWatermark: "0",
          segments: 1,
          bytes: 0,
          configs: {
            "retention.ms": "3600000",
            "retention.bytes": "-1",
            "cleanup.policy": "delete",
            "segment.bytes": String(1024 * 1024 * 1024),
          },
          followers: [],
        },
      );

      await producer.send({
        topic,
        acks: -1,
        messages: Array.from({ length: 5 }, (_, i) => ({ partition: 1, value: `record ${i}` })),
      });
      const after = await partitionView(1);
      assert.equal(after?.logEndOffset, "5");
      assert.equal(after?.highWatermark, "5");
      assert.ok(after!.bytes > before.bytes);
      assert.equal((await partitionView(0))?.logEndOffset, "0", "the other partition did not move");
    });
  });

  it("when /v1/partitions is asked, then every replica hosted here is listed, __consumer_offsets too, by topic and partition", async () => {
    const { body } = await getJson<HostedPartition[]>(`${broker.adminUrl}/v1/partitions`);
    assert.deepEqual(
      body.map((p) => `${p.topic}-${p.partition}`),
      ["__consumer_offsets-0", "__consumer_offsets-1", "__consumer_offsets-2", `${topic}-0`, `${topic}-1`],
    );
  });

  it("when /v1/quorum is asked, then the lone broker leads the quorum, its only voter, caught up, and is registered unfenced", async () => {
    await waitFor(async () => (await getJson<QuorumInfo>(`${broker.adminUrl}/v1/quorum`)).body.leaderId === 0);
    const { body } = await getJson<QuorumInfo>(`${broker.adminUrl}/v1/quorum`);
    assert.equal(body.leaderId, 0);
    assert.ok(body.leaderEpoch >= 1);
    assert.ok(BigInt(body.highWatermark) > 0n);
    assert.deepEqual(
      body.voters.map(({ id, lagRecords }) => ({ id, lagRecords })),
      [{ id: 0, lagRecords: "0" }],
    );
    assert.deepEqual(
      body.brokers.map(({ id, host, port, fenced }) => ({ id, address: `${host}:${port}`, fenced })),
      [{ id: 0, address: broker.address, fenced: false }],
    );
  });
});
