// Acceptance: kafkajs transactions on a 3-broker cluster of real broker processes. The transaction's
// partitions are led by every broker, so the coordinator writes most markers with WriteTxnMarkers to
// the other leaders; read_committed consumers then see the committed transactions only, with the
// offsets sent in them. Then, in the middle of a transaction, the broker coordinating the
// transactional id is killed with SIGKILL: the coordinator that takes over loads the id (Ongoing,
// with its partitions) from its replica of `__transaction_state`, and the producer commits it there.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Consumer, Producer } from "kafkajs";
import { Apis } from "../../broker/protocol/apis.ts";
import { ErrorCode } from "../../broker/protocol/errors.ts";
import { useClusterProcess } from "../helpers/cluster-process.ts";
import { cleanupAll, disconnectQuietly, range, waitFor } from "../helpers/wait.ts";
import { requestOnce } from "../helpers/wire-client.ts";
import { kafkaClient, quickConsumerConfig, quickGroupBrokerConfig } from "./helpers.ts";

const clusterConfig = {
  ...quickGroupBrokerConfig,
  "offsets.topic.replication.factor": "3",
  "transaction.state.log.num.partitions": "3",
  "transaction.state.log.replication.factor": "3",
  "default.replication.factor": "3",
  "min.insync.replicas": "2",
  "auto.leader.rebalance.enable": "false",
};

const topic = "transactional";
const transactionalId = "cluster-tx";
/** Retries that outlast a dead broker's fencing (broker.session.timeout.ms) and the elections after it. */
const patientRetry = { retries: 30, initialRetryTime: 200, maxRetryTime: 2000 };

describe("transactions on a 3-broker cluster", () => {
  const startCluster = useClusterProcess();

  it("when a kafkajs producer commits and aborts across every broker's partitions, and its coordinator is killed in the middle of a transaction, then read_committed consumers get exactly the committed records and offsets", {
    timeout: 300_000,
  }, async () => {
    const cluster = await startCluster(3, clusterConfig);
    const kafka = kafkaClient(cluster.bootstrap.join(","), "cluster-transactions", {
      brokers: cluster.bootstrap,
      retry: patientRetry,
    });
    const admin = kafka.admin();
    let producer: Producer | undefined;
    let consumer: Consumer | undefined;
    try {
      await admin.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions: 6, replicationFactor: 3 }], waitForLeaders: true });
      producer = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1, retry: patientRetry });
      await producer.connect();
      const committed: string[] = [];
      const run = async (round: number, beforeEnd?: () => Promise<void>) => {
        const commit = round % 2 === 0;
        const values = range(12).map((k) => `${commit ? "commit" : "abort"}-${round}-${k}`);
        const transaction = await producer!.transaction();
        await transaction.send({ topic, messages: values.map((value, k) => ({ key: `key-${k}`, value })) });
        await transaction.sendOffsets({
          consumerGroupId: "cluster-tx-group",
          topics: [{ topic, partitions: [{ partition: 0, offset: String(round + 1) }] }],
        });
        await beforeEnd?.();
        if (commit) {
          await transaction.commit();
          committed.push(...values);
        } else {
          await transaction.abort();
        }
      };
      for (const round of [0, 1, 2, 3]) await run(round);

      // In the middle of the next transaction (records and offsets sent, not yet committed) the
      // coordinator of the transactional id dies; its replicas of __transaction_state have the id,
      // Ongoing with its partitions, so the producer's commit goes to the next coordinator.
      let killed: { nodeId: number; pid: number } | undefined;
      await run(4, async () => {
        const found = await requestOnce(cluster.bootstrap[0]!, Apis.FindCoordinator, 2, {
          key: transactionalId,
          keyType: 1,
        });
        assert.equal(found.errorCode, ErrorCode.NONE);
        killed = { nodeId: found.nodeId, pid: cluster.broker(found.nodeId).pid };
        process.kill(killed.pid, "SIGKILL");
        const alive = cluster.bootstrap.filter((_, nodeId) => nodeId !== found.nodeId)[0]!;
        // kafkajs sends EndTxn once, without retrying (our client retries a loading coordinator), so
        // the commit waits until the next coordinator has loaded the id: then a producer id that is
        // not the id's is refused with INVALID_PRODUCER_ID_MAPPING instead of COORDINATOR_LOAD_IN_PROGRESS.
        await waitFor(
          async () => {
            const now = await requestOnce(alive, Apis.FindCoordinator, 2, { key: transactionalId, keyType: 1 });
            if (now.errorCode !== ErrorCode.NONE || now.nodeId === found.nodeId) return false;
            const probe = await requestOnce(`${now.host}:${now.port}`, Apis.AddPartitionsToTxn, 1, {
              v3AndBelowTransactionalId: transactionalId,
              v3AndBelowProducerId: 999_999_999n,
              v3AndBelowProducerEpoch: 0,
              v3AndBelowTopics: [{ name: topic, partitions: [0] }],
            });
            const answer = probe.resultsByTopicV3AndBelow[0]?.resultsByPartition[0]?.partitionErrorCode;
            return answer === ErrorCode.INVALID_PRODUCER_ID_MAPPING;
          },
          { timeoutMs: 60_000, message: "another broker coordinates the transactional id, loaded" },
        );
      });
      await cluster.restartOf(killed!.nodeId, killed!.pid, 120_000);

      // The markers follow EndTxn's answer (the offsets count once theirs reaches the group's partition).
      let groupOffset: string | undefined;
      await waitFor(
        async () => {
          const offsets = await admin.fetchOffsets({ groupId: "cluster-tx-group", topics: [topic] });
          groupOffset = offsets[0]?.partitions.find((p) => p.partition === 0)?.offset;
          return groupOffset === "5";
        },
        { timeoutMs: 60_000, message: () => `the last committed transaction's offset 5 (got ${groupOffset})` },
      );

      const seen: string[] = [];
      consumer = kafka.consumer({ groupId: "cluster-tx-reader", ...quickConsumerConfig });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          seen.push(String(message.value));
        },
      });
      await waitFor(() => seen.length >= committed.length, {
        timeoutMs: 60_000,
        message: "the committed records read",
      });
      // 5 transactions of 12 records (keys key-0…11, the same partitions each time), and one marker per
      // partition they touched each: read_committed stops at none of them.
      let ends: { partition: number; high: string }[] = [];
      await waitFor(
        async () => {
          ends = await admin.fetchTopicOffsets(topic);
          const touched = ends.filter((p) => Number(p.high) > 0).length;
          return touched >= 2 && ends.reduce((sum, p) => sum + Number(p.high), 0) === 5 * 12 + 5 * touched;
        },
        { timeoutMs: 30_000, message: () => `every marker below the last stable offsets: ${JSON.stringify(ends)}` },
      );
      assert.deepEqual(seen.sort(), committed.sort());
    } finally {
      await cleanupAll(
        () => disconnectQuietly(consumer),
        () => disconnectQuietly(producer),
        () => disconnectQuietly(admin),
      );
    }
  });
});
