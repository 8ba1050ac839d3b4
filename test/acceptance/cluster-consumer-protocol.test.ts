// Acceptance: a KIP-848 consumer group (our client, groupProtocol "consumer") follows its coordinator
// on a 3-broker cluster of real broker processes. The broker coordinating the group is killed with
// SIGKILL while the group consumes; the leadership of the group's `__consumer_offsets` partition
// moves, the new coordinator knows the committed offsets (members are not persisted, so they get
// UNKNOWN_MEMBER_ID and join again from epoch 0), and the group resumes: every record processed,
// no offset of a partition jumped over, and the group's commits reach the end of every partition.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Consumer } from "../../broker/client/consumer/types.ts";
import { Kafka, logLevel } from "../../broker/client/index.ts";
import { ErrorCode } from "../../broker/protocol/errors.ts";
import { useClusterProcess } from "../helpers/cluster-process.ts";
import { cleanupAll, range, sleep, waitFor } from "../helpers/wait.ts";
import { coordinatorNamedBy } from "../helpers/wire-client.ts";
import { quickGroupBrokerConfig } from "./helpers.ts";

const clusterConfig = {
  ...quickGroupBrokerConfig,
  "offsets.topic.replication.factor": "3",
  "default.replication.factor": "3",
  "min.insync.replicas": "2",
  "auto.leader.rebalance.enable": "false",
  // The dead coordinator is fenced, and its leaderships move, after 3 s rather than 9 s.
  "broker.session.timeout.ms": "3000",
  "broker.heartbeat.interval.ms": "500",
  "group.consumer.heartbeat.interval.ms": "500",
};

const topic = "kip848-failover";
const groupId = "kip848-group";
const recordCount = 300;
const patientRetry = { retries: 30, initialRetryTime: 200, maxRetryTime: 2000 };

describe("a KIP-848 consumer group on a 3-broker cluster", () => {
  const startCluster = useClusterProcess();

  it("when the broker coordinating the group is killed while it consumes, then the group rejoins the new coordinator and resumes from its committed offsets: every record processed, none skipped", {
    timeout: 300_000,
  }, async () => {
    const cluster = await startCluster(3, clusterConfig);
    const kafka = new Kafka({
      clientId: "kip848-failover",
      brokers: cluster.bootstrap,
      logLevel: logLevel.NOTHING,
      retry: patientRetry,
    });
    const admin = kafka.admin();
    const producer = kafka.producer({ idempotent: true });
    let consumer: Consumer | undefined;
    try {
      await admin.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 3 }], waitForLeaders: true });
      await producer.connect();
      for (let next = 0; next < recordCount; next += 20) {
        const messages = range(20).map((k) => ({ key: `key-${(next + k) % 6}`, value: String(next + k) }));
        await producer.send({ topic, acks: -1, messages });
      }

      const processedValues = new Set<number>();
      const nextOffset = new Map<number, bigint>();
      const skips: string[] = [];
      let processed = 0;
      let lost = 0;
      consumer = kafka.consumer({
        groupId,
        groupProtocol: "consumer",
        rebalanceTimeout: 10_000,
        maxWaitTimeInMs: 200,
        retry: { ...patientRetry, restartOnFailure: async () => true },
      });
      consumer.on(consumer.events.PARTITIONS_REVOKED, ({ payload }) => {
        if (payload.reason === "lost") lost += 1;
      });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ partition, message }) => {
          const offset = BigInt(message.offset);
          const expected = nextOffset.get(partition) ?? 0n;
          if (offset > expected) skips.push(`partition ${partition}: ${offset} processed, ${expected} never`);
          if (offset + 1n > expected) nextOffset.set(partition, offset + 1n);
          processedValues.add(Number(message.value!.toString()));
          processed += 1;
          // Slow work, so that the group is still at it when its coordinator dies.
          await sleep(20);
        },
      });

      await waitFor(() => processed >= 60, { timeoutMs: 120_000, message: () => `60 processed (${processed})` });
      const before = await coordinatorNamedBy(cluster.bootstrap[0]!, groupId);
      assert.equal(before.errorCode, ErrorCode.NONE);
      const killed = cluster.broker(before.nodeId);
      process.kill(killed.pid, "SIGKILL");

      const survivor = cluster.bootstrap[[0, 1, 2].find((id) => id !== before.nodeId)!]!;
      let named = { errorCode: -1, nodeId: -1 };
      await waitFor(
        async () => {
          named = await coordinatorNamedBy(survivor, groupId);
          return named.errorCode === ErrorCode.NONE && named.nodeId !== before.nodeId;
        },
        { timeoutMs: 120_000, message: () => `another coordinator (named ${named.nodeId}, error ${named.errorCode})` },
      );
      await waitFor(() => processedValues.size === recordCount, {
        timeoutMs: 180_000,
        message: () => `every record processed (${processedValues.size} of ${recordCount})`,
      });
      assert.deepEqual(skips, [], "no offset was jumped over");
      assert.ok(lost > 0, "the member learned that the new coordinator did not know it, and joined again");

      const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, p.high]));
      await waitFor(
        async () => {
          const [fetched] = await admin.fetchOffsets({ groupId, topics: [topic] });
          return (fetched?.partitions ?? []).every(({ partition, offset }) => offset === ends.get(partition));
        },
        { timeoutMs: 60_000, message: "the group committed up to the end of every partition" },
      );
    } finally {
      await cleanupAll(
        () => consumer?.disconnect(),
        () => producer.disconnect(),
        () => admin.disconnect(),
      );
    }
  });
});
