// Acceptance: kafkajs's admin.deleteTopicRecords on a 3-broker cluster of real broker processes —
// the leader moves its log start offset, and the followers move theirs from its fetch answers.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Apis } from "../../broker/protocol/apis.ts";
import { ErrorCode } from "../../broker/protocol/errors.ts";
import { useClusterProcess } from "../helpers/cluster-process.ts";
import { range, waitFor } from "../helpers/wait.ts";
import { requestOnce } from "../helpers/wire-client.ts";
import { kafkaClient, quickGroupBrokerConfig } from "./helpers.ts";

const TOPIC = "replicated-trim";
/** Kafka's DEBUGGING_REPLICA_ID: ListOffsets answered by any replica, leader or not. */
const DEBUGGING_REPLICA_ID = -2;

describe("deleteTopicRecords on a 3-broker cluster", () => {
  const startCluster = useClusterProcess();

  it("when kafkajs deletes records on a partition at RF 3, then the leader and both followers start at the new offset", {
    timeout: 180_000,
  }, async () => {
    const cluster = await startCluster(3, quickGroupBrokerConfig);
    const kafka = kafkaClient(cluster.bootstrap[0]!, "cluster-delete-records");
    const admin = kafka.admin();
    const producer = kafka.producer();
    await admin.connect();
    await producer.connect();
    try {
      await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1, replicationFactor: 3 }] });
      await waitFor(async () => {
        const [partition] = (await admin.fetchTopicMetadata({ topics: [TOPIC] })).topics[0]!.partitions;
        return partition?.isr.length === 3;
      });
      await producer.send({ topic: TOPIC, acks: -1, messages: range(10).map((i) => ({ value: `v-${i}` })) });

      await admin.deleteTopicRecords({ topic: TOPIC, partitions: [{ partition: 0, offset: "4" }] });
      assert.deepEqual(await admin.fetchTopicOffsets(TOPIC), [{ partition: 0, offset: "10", high: "10", low: "4" }]);

      const logStartOn = async (address: string) => {
        const answer = await requestOnce(address, Apis.ListOffsets, 3, {
          replicaId: DEBUGGING_REPLICA_ID,
          isolationLevel: 0,
          topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, timestamp: -2n }] }],
        });
        const partition = answer.topics[0]!.partitions[0]!;
        return partition.errorCode === ErrorCode.NONE ? partition.offset : null;
      };
      await waitFor(async () => (await Promise.all(cluster.bootstrap.map(logStartOn))).every((start) => start === 4n), {
        message: "every replica starts at offset 4",
      });
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
  });
});
