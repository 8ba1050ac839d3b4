// Acceptance: the group coordinator moves with the leadership of `__consumer_offsets` on a 3-broker
// cluster of real broker processes. A kafkajs group works through a topic; the broker that
// coordinates the group is killed with SIGKILL in the middle; the group finds the new coordinator
// (the new leader of its offsets partition, which loaded the committed offsets from its replica),
// joins it and resumes from its committed offsets: every record is processed, none is skipped, the
// committed offsets never go back, and the restarted old coordinator no longer answers for it.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Consumer, Producer } from "kafkajs";
import { Apis } from "../../broker/protocol/apis.ts";
import { ErrorCode } from "../../broker/protocol/errors.ts";
import { useClusterProcess } from "../helpers/cluster-process.ts";
import { cleanupAll, disconnectQuietly, range, sleep, waitFor } from "../helpers/wait.ts";
import { coordinatorNamedBy, requestOnce } from "../helpers/wire-client.ts";
import { kafkaClient, quickConsumerConfig, quickGroupBrokerConfig } from "./helpers.ts";

const clusterConfig = {
  ...quickGroupBrokerConfig,
  "offsets.topic.replication.factor": "3",
  "default.replication.factor": "3",
  "min.insync.replicas": "2",
  // Moved leaderships stay where they went, so the old coordinator stays an old one.
  "auto.leader.rebalance.enable": "false",
};

const topic = "coordinated";
const groupId = "failover-group";
const recordCount = 600;
/** Retries that outlast a dead broker's fencing (broker.session.timeout.ms) and the elections after it. */
const patientRetry = { retries: 30, initialRetryTime: 200, maxRetryTime: 2000 };

/** Whether `offsets`, in the order seen, never go back; the offending pairs otherwise. */
function regressions(offsets: readonly bigint[]): string[] {
  return offsets.flatMap((offset, index) =>
    index > 0 && offset < offsets[index - 1]! ? [`${offsets[index - 1]} then ${offset}`] : [],
  );
}

describe("group coordinator failover on a 3-broker cluster", () => {
  const startCluster = useClusterProcess();

  it("when the broker coordinating a kafkajs group is killed while the group consumes, then the group resumes on the new coordinator from its committed offsets: every record processed, none skipped, commits monotone", {
    timeout: 420_000,
  }, async () => {
    const cluster = await startCluster(3, clusterConfig);
    const kafka = kafkaClient(cluster.bootstrap.join(","), "coordinator-failover", {
      brokers: cluster.bootstrap,
      retry: patientRetry,
    });
    const admin = kafka.admin();
    let producer: Producer | undefined;
    let consumer: Consumer | undefined;
    let sampling: Promise<void> | undefined;
    let done = false;
    try {
      await admin.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 3 }], waitForLeaders: true });
      producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry: patientRetry });
      await producer.connect();
      for (let next = 0; next < recordCount; next += 20) {
        const messages = range(20).map((k) => ({ key: `key-${(next + k) % 6}`, value: String(next + k) }));
        await producer.send({ topic, acks: -1, messages });
      }
      const endOffsets = new Map(
        (await admin.fetchTopicOffsets(topic)).map(({ partition, high }) => [partition, BigInt(high)]),
      );
      assert.equal(
        [...endOffsets.values()].reduce((sum, end) => sum + end, 0n),
        BigInt(recordCount),
      );

      // What the consumer processed, and whether it ever jumped over an offset of a partition.
      const processedValues = new Set<number>();
      const nextOffset = new Map<number, bigint>();
      const skips: string[] = [];
      let processed = 0;
      // Commits kafkajs had acknowledged, and what the coordinators reported, per partition in order.
      const acknowledgedCommits = new Map<number, bigint[]>();
      const sampledCommits = new Map<number, bigint[]>();
      const remember = (commits: Map<number, bigint[]>, partition: number, offset: bigint) =>
        commits.set(partition, [...(commits.get(partition) ?? []), offset]);
      let joins = 0;

      consumer = kafka.consumer(
        quickConsumerConfig(groupId, { retry: { ...patientRetry, restartOnFailure: async () => true } }),
      );
      consumer.on(consumer.events.GROUP_JOIN, () => {
        joins += 1;
      });
      consumer.on(consumer.events.COMMIT_OFFSETS, ({ payload }) => {
        for (const committed of payload.topics)
          for (const { partition, offset } of committed.partitions)
            remember(acknowledgedCommits, Number(partition), BigInt(offset));
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
          await sleep(15);
        },
      });

      // What the coordinator of the moment reports as committed, sampled until the end.
      sampling = (async () => {
        while (!done) {
          try {
            const [fetched] = await admin.fetchOffsets({ groupId, topics: [topic] });
            for (const { partition, offset } of fetched?.partitions ?? [])
              if (offset !== "-1") remember(sampledCommits, partition, BigInt(offset));
          } catch {
            // no coordinator right now: the next sample will tell
          }
          await sleep(100);
        }
      })();

      await waitFor(() => processed >= 100 && acknowledgedCommits.size > 0, {
        timeoutMs: 120_000,
        message: () => `the group consumed and committed (processed ${processed})`,
      });
      const found = await coordinatorNamedBy(cluster.bootstrap[0]!, groupId);
      assert.equal(found.errorCode, ErrorCode.NONE);
      const oldCoordinator = found.nodeId;
      const killedPid = cluster.broker(oldCoordinator).pid;
      const joinsBeforeKill = joins;
      process.kill(killedPid, "SIGKILL");
      assert.ok(processedValues.size < recordCount, "the group was still consuming when its coordinator died");

      // Another broker coordinates the group now, and the group has joined it.
      const survivor = cluster.broker([0, 1, 2].find((id) => id !== oldCoordinator)!);
      let named = { errorCode: -1, nodeId: -1 };
      await waitFor(
        async () => {
          named = await coordinatorNamedBy(`${survivor.host}:${survivor.port}`, groupId);
          return named.errorCode === ErrorCode.NONE && named.nodeId !== oldCoordinator && joins > joinsBeforeKill;
        },
        {
          timeoutMs: 120_000,
          message: () =>
            `a new coordinator (named ${named.nodeId}, error ${named.errorCode}) and a new join (${joins})`,
        },
      );

      // Every record was processed, and the group committed all of them on the new coordinator.
      await waitFor(() => processedValues.size === recordCount, {
        timeoutMs: 180_000,
        message: () => {
          const missing = range(recordCount).filter((value) => !processedValues.has(value));
          return `every record processed (${processedValues.size} of ${recordCount}; missing ${missing.slice(0, 20)})`;
        },
      });
      await waitFor(
        async () => {
          const [fetched] = await admin.fetchOffsets({ groupId, topics: [topic] });
          const committed = fetched?.partitions ?? [];
          return committed.length === 3 && committed.every((c) => BigInt(c.offset) === endOffsets.get(c.partition));
        },
        { timeoutMs: 60_000, message: "the group committed up to the end of every partition" },
      );
      const finalCoordinator = await coordinatorNamedBy(`${survivor.host}:${survivor.port}`, groupId);
      assert.notEqual(finalCoordinator.nodeId, oldCoordinator);

      // The old coordinator, restarted by the cluster, neither claims the group nor answers for it.
      const restarted = await cluster.restartOf(oldCoordinator, killedPid, 120_000);
      const restartedAddress = `${restarted.host}:${restarted.port}`;
      let lastAnswer = "";
      await waitFor(
        async () => {
          const namedThere = await coordinatorNamedBy(restartedAddress, groupId);
          const fetched = await requestOnce(restartedAddress, Apis.OffsetFetch, 5, { groupId, topics: null });
          lastAnswer = `names ${namedThere.nodeId} (error ${namedThere.errorCode}), OffsetFetch error ${fetched.errorCode}`;
          return (
            namedThere.errorCode === ErrorCode.NONE &&
            namedThere.nodeId !== oldCoordinator &&
            fetched.errorCode === ErrorCode.NOT_COORDINATOR
          );
        },
        { timeoutMs: 120_000, message: () => `the restarted broker ${oldCoordinator} defers (${lastAnswer})` },
      );

      done = true;
      await sampling;
      assert.deepEqual(skips, [], "no record was skipped");
      assert.ok(sampledCommits.size > 0, "the coordinators were sampled");
      for (const [partition, offsets] of acknowledgedCommits)
        assert.deepEqual(regressions(offsets), [], `commits acknowledged for partition ${partition} never go back`);
      for (const [partition, offsets] of sampledCommits)
        assert.deepEqual(regressions(offsets), [], `commits reported for partition ${partition} never go back`);
    } finally {
      done = true;
      await cleanupAll(
        () => sampling,
        () => disconnectQuietly(consumer),
        () => disconnectQuietly(producer),
        () => disconnectQuietly(admin),
      );
    }
  });
});
