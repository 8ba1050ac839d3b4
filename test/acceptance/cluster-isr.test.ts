// Acceptance: the ISR of a replicated partition on a cluster of real broker processes, as Metadata
// shows it. Four brokers, so that two replicas can be down while the controller quorum (brokers 0,
// 1 and 2) keeps its majority and can commit the ISR changes: the partition's replicas are 0 (its
// leader), 2 and 3. A follower paused with SIGSTOP while records arrive falls behind for
// replica.lag.time.max.ms and leaves the ISR; resumed, it catches up and rejoins. With both
// followers paused the ISR is the leader alone, below min.insync.replicas=2: acks=all is refused
// with NOT_ENOUGH_REPLICAS and acks=1 is stored. Killed and restarted, the followers rejoin too.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { Producer } from "kafkajs";
import { ClusterView, type PartitionView } from "../../seed/fault/cluster-view.ts";
import { crash, pause, resume } from "../../seed/fault/processes.ts";
import { readToEnd } from "../../seed/fault/read-back.ts";
import { type ClusterProcess, useClusterProcess } from "../helpers/cluster-process.ts";
import { disconnectQuietly, waitFor } from "../helpers/wait.ts";
import { errorChain, kafkaClient } from "./helpers.ts";

const clusterConfig = {
  "min.insync.replicas": "2",
  "offsets.topic.num.partitions": "5",
  "replica.lag.time.max.ms": "3000",
  // Longer than the lag limit, so the leader's lag check, not fencing, takes a paused follower out.
  "broker.session.timeout.ms": "6000",
  "broker.heartbeat.interval.ms": "500",
};

const topic = "isr";
const leader = 0;
const followers = [2, 3];

describe("the ISR on a 4-broker cluster", () => {
  const startCluster = useClusterProcess();
  let cluster: ClusterProcess | undefined;
  let view: ClusterView | undefined;
  let producer: Producer | undefined;
  let sent = 0;
  after(async () => {
    await disconnectQuietly(producer);
    view?.close();
  });

  const setUp = async () => {
    if (cluster && view && producer) return { cluster, view, producer };
    cluster = await startCluster(4, clusterConfig);
    view = new ClusterView(cluster.bootstrap);
    const kafka = kafkaClient(cluster.bootstrap[leader]!, "isr-test", {
      brokers: cluster.bootstrap,
      retry: { retries: 0 },
    });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic, replicaAssignment: [{ partition: 0, replicas: [leader, ...followers] }] }],
      waitForLeaders: true,
    });
    await disconnectQuietly(admin);
    producer = kafka.producer();
    await producer.connect();
    return { cluster, view, producer };
  };

  /** The partition as the leader's Metadata shows it, once `condition` holds for it. */
  const partitionWhen = async (view: ClusterView, condition: (p: PartitionView) => boolean, what: string) => {
    let seen: PartitionView | undefined;
    await waitFor(
      async () => {
        [seen] = await view.partitions(topic, [leader]);
        return seen !== undefined && condition(seen);
      },
      { timeoutMs: 60_000, message: () => `${what} (now ${JSON.stringify(seen)})` },
    );
    return seen!;
  };
  const sameMembers = (isr: readonly number[], expected: readonly number[]) =>
    isr.length === expected.length && expected.every((id) => isr.includes(id));

  const send = (producer: Producer, acks: number) =>
    producer.send({ topic, acks, timeout: 3000, messages: [{ value: `record-${sent++}`, partition: 0 }] });

  it("when a follower is paused past replica.lag.time.max.ms while records arrive, then it leaves the ISR, and rejoins once resumed", {
    timeout: 180_000,
  }, async () => {
    const { cluster, view, producer } = await setUp();
    await partitionWhen(view, (p) => sameMembers(p.isr, [leader, ...followers]), "the whole ISR at the start");
    await send(producer, -1);

    const pid = cluster.broker(3).pid;
    await pause(pid);
    try {
      // acks=1: the leader takes records the paused follower cannot fetch, so it falls behind.
      await send(producer, 1);
      const shrunk = await partitionWhen(view, (p) => !p.isr.includes(3), "broker 3 out of the ISR");
      assert.deepEqual([...shrunk.isr].sort(), [0, 2]);
      assert.equal(shrunk.leader, leader);
      await send(producer, -1); // two in sync: acks=all still works
    } finally {
      resume(pid);
    }
    const expanded = await partitionWhen(view, (p) => p.isr.includes(3), "broker 3 back in the ISR");
    assert.deepEqual([...expanded.isr].sort(), [0, 2, 3]);
  });

  it("when two of the three replicas are down with min.insync.replicas=2, then acks=all gets NOT_ENOUGH_REPLICAS and acks=1 is stored; resumed, the ISR is whole again", {
    timeout: 180_000,
  }, async () => {
    const { cluster, view, producer } = await setUp();
    await partitionWhen(view, (p) => sameMembers(p.isr, [leader, ...followers]), "the whole ISR at the start");

    const pids = followers.map((id) => cluster.broker(id).pid);
    try {
      for (const pid of pids) await pause(pid);
      await send(producer, 1);
      const alone = await partitionWhen(view, (p) => sameMembers(p.isr, [leader]), "the leader alone in the ISR");
      assert.equal(alone.leader, leader);

      const refused = await send(producer, -1).then(
        () => assert.fail("acks=all was accepted with the ISR below min.insync.replicas"),
        (error: unknown) => error,
      );
      assert.ok(
        errorChain(refused).types.includes("NOT_ENOUGH_REPLICAS"),
        `acks=all refused with NOT_ENOUGH_REPLICAS (got ${JSON.stringify(errorChain(refused))})`,
      );
      const [stored] = await send(producer, 1);
      assert.equal(stored!.errorCode, 0, "acks=1 is stored by the leader alone");
    } finally {
      for (const pid of pids) resume(pid);
    }
    await partitionWhen(view, (p) => sameMembers(p.isr, [leader, ...followers]), "the whole ISR once they are back");
    await send(producer, -1);
  });

  it("when both followers are killed with kill -9 and restarted, then the ISR is whole again and no record is lost", {
    timeout: 180_000,
  }, async () => {
    const { cluster, view, producer } = await setUp();
    await partitionWhen(view, (p) => sameMembers(p.isr, [leader, ...followers]), "the whole ISR at the start");
    const before = followers.map((id) => ({ id, pid: cluster.broker(id).pid }));
    for (const { pid } of before) await crash(pid);
    for (const { id, pid } of before) await cluster.restartOf(id, pid);
    await partitionWhen(view, (p) => sameMembers(p.isr, [leader, ...followers]), "the whole ISR after the restarts");
    await send(producer, -1);

    const values = (await readToEnd(cluster.bootstrap, topic)).map((o) => o.value);
    assert.deepEqual(
      values,
      Array.from({ length: sent }, (_, i) => `record-${i}`).filter((v) => values.includes(v)),
      "in the order sent",
    );
    assert.equal(values.length, sent - 1, "every record stored but the refused acks=all one");
  });
});
