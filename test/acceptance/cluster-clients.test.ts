// Acceptance: kafkajs and kcat against a 3-broker KRaft cluster of real broker processes — they see
// three brokers, a 6-partition topic at replication factor 3 with its leaders on all three, and
// produce (idempotent, acks=all) and consume through it, in a consumer group.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { useClusterProcess } from "../helpers/cluster-process.ts";
import { runKcat } from "../helpers/kcat.ts";
import { KCAT, needs } from "../helpers/system-tools.ts";
import { waitFor } from "../helpers/wait.ts";
import { kafkaClient, quickConsumerConfig, quickGroupBrokerConfig } from "./helpers.ts";

const clusterConfig = {
  ...quickGroupBrokerConfig,
  "default.replication.factor": 3,
  "offsets.topic.replication.factor": 3,
  "min.insync.replicas": 2,
};

describe("clients on a 3-broker cluster", () => {
  const startCluster = useClusterProcess();
  let cluster: Awaited<ReturnType<ReturnType<typeof useClusterProcess>>> | undefined;
  const theCluster = async () => {
    cluster ??= await startCluster(3, clusterConfig);
    return cluster;
  };

  it("when kafkajs creates a 6-partition topic at RF 3, then the leaders are spread over all three brokers and every ISR is whole", {
    timeout: 180_000,
  }, async () => {
    const { bootstrap } = await theCluster();
    const admin = kafkaClient(bootstrap[0]!, "cluster-admin").admin();
    await admin.connect();
    try {
      assert.equal(
        await admin.createTopics({ topics: [{ topic: "spread", numPartitions: 6, replicationFactor: 3 }] }),
        true,
      );
      const described = await admin.describeCluster();
      assert.deepEqual(described.brokers.map((b) => b.nodeId).sort(), [0, 1, 2]);
      let partitions: { partitionId: number; leader: number; replicas: number[]; isr: number[] }[] = [];
      await waitFor(async () => {
        partitions = (await admin.fetchTopicMetadata({ topics: ["spread"] })).topics[0]!.partitions;
        return partitions.length === 6 && partitions.every((p) => p.isr.length === 3);
      });
      assert.deepEqual([...new Set(partitions.map((p) => p.leader))].sort(), [0, 1, 2]);
      for (const p of partitions) {
        assert.deepEqual([...p.replicas].sort(), [0, 1, 2], `partition ${p.partitionId} has a replica on each broker`);
        assert.equal(p.leader, p.replicas[0], `partition ${p.partitionId} is led by its preferred replica`);
      }
    } finally {
      await admin.disconnect();
    }
  });

  it("when an idempotent kafkajs producer sends keyed records with acks=all, then a group of two reads each once, in order per key", {
    timeout: 180_000,
  }, async () => {
    const { bootstrap } = await theCluster();
    const kafka = kafkaClient(bootstrap.join(","), "cluster-clients", { brokers: bootstrap });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic: "keyed", numPartitions: 6, replicationFactor: 3 }],
      waitForLeaders: true,
    });
    await admin.disconnect();
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const keys = 12;
    const perKey = 50;
    for (let round = 0; round < perKey; round++) {
      await producer.send({
        topic: "keyed",
        acks: -1,
        messages: Array.from({ length: keys }, (_, k) => ({ key: `key-${k}`, value: String(round) })),
      });
    }
    await producer.disconnect();

    const seen = new Map<string, number[]>();
    let total = 0;
    const consumers = [0, 1].map(() => kafka.consumer(quickConsumerConfig("cluster-readers")));
    try {
      for (const consumer of consumers) {
        await consumer.connect();
        await consumer.subscribe({ topic: "keyed", fromBeginning: true });
        await consumer.run({
          eachMessage: async ({ message }) => {
            const key = message.key!.toString();
            seen.set(key, [...(seen.get(key) ?? []), Number(message.value!.toString())]);
            total++;
          },
        });
      }
      await waitFor(() => total >= keys * perKey, { timeoutMs: 90_000, message: () => `${total} records read` });
    } finally {
      for (const consumer of consumers) await consumer.disconnect();
    }
    assert.equal(total, keys * perKey);
    for (const [key, values] of seen) {
      assert.deepEqual(
        values,
        Array.from({ length: perKey }, (_, i) => i),
        `${key} in order, each once`,
      );
    }
  });

  it(
    "when kcat asks for metadata, produces and consumes, then it sees three brokers and reads back what it wrote",
    ...needs(KCAT, { timeout: 180_000 }, async () => {
      const { bootstrap } = await theCluster();
      const list = await runKcat(["-b", bootstrap[1]!, "-L", "-J"]);
      assert.equal(list.code, 0, list.stderr);
      const metadata = JSON.parse(list.stdout) as { brokers: { id: number }[] };
      assert.deepEqual(metadata.brokers.map((b) => b.id).sort(), [0, 1, 2]);

      const lines = Array.from({ length: 30 }, (_, i) => `k${i % 5}:v${i}`).join("\n");
      const produced = await runKcat(
        ["-b", bootstrap.join(","), "-P", "-t", "spread", "-K", ":", "-X", "acks=all", "-X", "enable.idempotence=true"],
        { input: `${lines}\n` },
      );
      assert.equal(produced.code, 0, produced.stderr);
      const consumed = await runKcat([
        "-b",
        bootstrap[2]!,
        "-C",
        "-t",
        "spread",
        "-o",
        "beginning",
        "-e",
        "-f",
        "%k:%s\n",
      ]);
      assert.equal(consumed.code, 0, consumed.stderr);
      assert.deepEqual(consumed.stdout.trim().split("\n").sort(), lines.split("\n").sort());
    }),
  );
});
