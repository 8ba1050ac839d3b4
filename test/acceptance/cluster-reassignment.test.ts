// Acceptance: partition reassignment (KIP-455) on a 3-broker cluster of real processes, driven by
// kafkajs's admin. The cluster's brokers are 0, 1 and 2, so the move is the issue's [1, 2] → [2, 3]
// shifted down by one: a partition on brokers 0 (its leader) and 1 moves to 1 and 2 while a
// producer keeps sending with acks=all. The new replica on broker 2 fetches from the leader, joins
// the ISR, and the controller completes the move: replicas [1, 2], the leader moves off broker 0,
// and broker 0 deletes its copy of the log. Every acknowledged record is read back afterwards.
// Then, on the same cluster: a broker that is not the active controller forwards the requests, and a
// reassignment back onto broker 0, paused so that its new replica cannot catch up, is cancelled.
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { after, describe, it } from "node:test";
import type { Admin, ListPartitionReassignmentsResponse, Producer } from "kafkajs";
import { createLogger, logLevel } from "../../broker/client/logger.ts";
import { BrokerConnection } from "../../broker/client/network/broker-connection.ts";
import { Apis } from "../../broker/protocol/apis.ts";
import { ErrorCode } from "../../broker/protocol/errors.ts";
import { ClusterView, type PartitionView } from "../../seed/fault/cluster-view.ts";
import { pause, resume } from "../../seed/fault/processes.ts";
import { readToEnd } from "../../seed/fault/read-back.ts";
import { type ClusterProcess, useClusterProcess } from "../helpers/cluster-process.ts";
import { disconnectQuietly, waitFor } from "../helpers/wait.ts";
import { kafkaClient } from "./helpers.ts";

const topic = "moving";
const from = [0, 1];
const to = [1, 2];

const sorted = (ids: readonly number[]) => [...ids].sort((a, b) => a - b);

interface Ongoing {
  name: string;
  partitions: { partition: number; replicas: number[]; addingReplicas: number[]; removingReplicas: number[] }[];
}

/** kafkajs 2.2.4's listPartitionReassignments gives the names its decoder reads, not its typings' (topic, partitionIndex). */
const ongoingOf = (listed: ListPartitionReassignmentsResponse): Ongoing[] => listed.topics as unknown as Ongoing[];

/** Sends one record at a time with acks=all until stopped; notes the values acknowledged. */
class SteadyProducer {
  readonly acknowledged: string[] = [];
  readonly failures: string[] = [];
  #sent = 0;
  #stopped = false;
  #running: Promise<void> | undefined;

  constructor(private readonly producer: Producer) {}

  start(): void {
    this.#running = (async () => {
      while (!this.#stopped) {
        const value = `record-${this.#sent++}`;
        try {
          await this.producer.send({ topic, acks: -1, timeout: 10_000, messages: [{ value, partition: 0 }] });
          this.acknowledged.push(value);
        } catch (error) {
          // Not acknowledged: it may or may not be stored, and is not counted either way.
          this.failures.push(error instanceof Error ? error.message : String(error));
        }
      }
    })();
  }

  /** Resolves once `count` more records than now are acknowledged. */
  async more(count: number, what: string): Promise<void> {
    const target = this.acknowledged.length + count;
    await waitFor(() => this.acknowledged.length >= target, {
      timeoutMs: 60_000,
      message: () => `${count} more acknowledged records ${what} (failures: ${this.failures.slice(-3).join("; ")})`,
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#running;
  }
}

describe("partition reassignment on a 3-broker cluster", () => {
  const startCluster = useClusterProcess();
  let view: ClusterView | undefined;
  let admin: Admin | undefined;
  let producer: Producer | undefined;
  let steady: SteadyProducer | undefined;
  const connections: BrokerConnection[] = [];
  let cluster: ClusterProcess | undefined;
  after(async () => {
    await steady?.stop();
    await disconnectQuietly(producer);
    await disconnectQuietly(admin);
    for (const connection of connections) connection.disconnect();
    view?.close();
  });

  /** A connection of our client to broker `id`, for the requests kafkajs does not send to any broker. */
  const connectionTo = (id: number) => {
    const [host, port] = cluster!.bootstrap[id]!.split(":");
    const connection = new BrokerConnection({
      host: host!,
      port: Number(port),
      clientId: "reassignment-test",
      connectionTimeout: 3000,
      // A request forwarded while the controller quorum elects a new leader waits for it.
      requestTimeout: 60_000,
      logger: createLogger(logLevel.NOTHING),
    });
    connections.push(connection);
    return connection;
  };
  let seen: PartitionView | undefined;
  const partitionWhen = async (condition: (p: PartitionView) => boolean, what: string) => {
    await waitFor(
      async () => {
        [seen] = await view!.partitions(topic);
        return seen !== undefined && condition(seen);
      },
      { timeoutMs: 60_000, message: () => `${what} (now ${JSON.stringify(seen)})` },
    );
    return seen!;
  };

  it("when a partition on [0, 1] is reassigned to [1, 2] while a producer sends with acks=all, then it moves, every acknowledged record is readable, and broker 0 deletes its log", {
    timeout: 240_000,
  }, async () => {
    cluster = await startCluster(3, { "min.insync.replicas": "2", "offsets.topic.num.partitions": "5" });
    view = new ClusterView(cluster.bootstrap);
    const kafka = kafkaClient(cluster.bootstrap[0]!, "reassignment-test", {
      brokers: cluster.bootstrap,
      retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 1000 },
    });
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic, replicaAssignment: [{ partition: 0, replicas: from }] }],
      waitForLeaders: true,
    });
    const logDir = (brokerId: number) => join(cluster!.dataDir, `broker-${brokerId}`, `${topic}-0`);
    await partitionWhen((p) => sorted(p.isr).join() === from.join() && p.leader === 0, "the ISR [0, 1] led by 0");
    await waitFor(() => existsSync(logDir(0)), {
      timeoutMs: 30_000,
      message: () => `broker 0 holds ${logDir(0)} before the move (it has ${readdirSync(dirname(logDir(0)))})`,
    });

    producer = kafka.producer();
    await producer.connect();
    steady = new SteadyProducer(producer);
    steady.start();
    await steady.more(20, "before the reassignment");

    await admin.alterPartitionReassignments({
      topics: [{ topic, partitionAssignment: [{ partition: 0, replicas: to }] }],
    });
    const listed = await admin.listPartitionReassignments({ topics: [{ topic, partitions: [0] }] });
    const ongoing = ongoingOf(listed)
      .find((t) => t.name === topic)
      ?.partitions.find((p) => p.partition === 0);
    if (ongoing) {
      // Still moving: the replicas are the target followed by the one being removed.
      assert.deepEqual(ongoing.replicas, [...to, 0]);
      assert.deepEqual(ongoing.addingReplicas, [2]);
      assert.deepEqual(ongoing.removingReplicas, [0]);
    }

    const moved = await partitionWhen(
      (p) => sorted(p.replicas).join() === to.join() && sorted(p.isr).join() === to.join(),
      "the replicas and the ISR [1, 2]",
    );
    assert.ok(to.includes(moved.leader), `the leader ${moved.leader} is a target replica`);
    await waitFor(
      async () => ongoingOf(await admin!.listPartitionReassignments({})).every((t) => t.partitions.length === 0),
      { timeoutMs: 30_000, message: "no reassignment listed once it is complete" },
    );
    // Every broker applies the metadata on its own: the one kafkajs asks may be a moment behind.
    let described: number[] = [];
    await waitFor(
      async () => {
        const [metadata] = (await admin!.fetchTopicMetadata({ topics: [topic] })).topics;
        described = sorted(metadata!.partitions[0]!.replicas);
        return described.join() === to.join();
      },
      { timeoutMs: 30_000, message: () => `kafkajs's metadata shows the replicas [1, 2] (now ${described})` },
    );

    // The broker checks the target before anything moves.
    await assert.rejects(
      admin.alterPartitionReassignments({
        topics: [{ topic, partitionAssignment: [{ partition: 0, replicas: [] as number[] }] }],
      }),
      "an empty replica list is refused",
    );

    await steady.more(20, "after the reassignment");
    await steady.stop();
    await waitFor(() => !existsSync(logDir(0)), {
      timeoutMs: 30_000,
      message: `broker 0 deletes ${logDir(0)}`,
    });
    assert.ok(existsSync(logDir(2)), `broker 2 holds ${logDir(2)}`);

    const values = new Set((await readToEnd(cluster.bootstrap, topic)).map((o) => o.value));
    const lost = steady.acknowledged.filter((v) => !values.has(v));
    assert.deepEqual(lost, [], `every one of the ${steady.acknowledged.length} acknowledged records is read back`);
  });

  it("when ListPartitionReassignments goes to a broker that is not the active controller, then it is forwarded and answered", {
    timeout: 60_000,
  }, async () => {
    assert.ok(view && cluster, "the cluster of the test before");
    const controller = await view.activeController();
    assert.notEqual(controller, null, "an active controller");
    const other = [0, 1, 2].find((id) => id !== controller)!;
    const response = await connectionTo(other).request(Apis.ListPartitionReassignments, {
      timeoutMs: 5000,
      topics: null,
    });
    assert.equal(response.errorCode, ErrorCode.NONE);
    assert.deepEqual(response.topics, []);
  });

  it("when a reassignment whose new replica cannot catch up (its broker paused) is cancelled, then the partition reverts to its replicas, and cancelling again answers NO_REASSIGNMENT_IN_PROGRESS", {
    timeout: 180_000,
  }, async () => {
    assert.ok(view && cluster, "the cluster of the test before");
    await partitionWhen((p) => sorted(p.replicas).join() === to.join(), "the partition on [1, 2]");
    // kafkajs refuses a null replica list, so the cancellation goes through our client, to broker 2
    // (which forwards it unless it is the active controller).
    const broker2 = connectionTo(2);
    const reassign = (replicas: number[] | null) =>
      broker2.request(Apis.AlterPartitionReassignments, {
        timeoutMs: 45_000,
        topics: [{ name: topic, partitions: [{ partitionIndex: 0, replicas }] }],
      });
    const pid = cluster.broker(0).pid;
    await pause(pid);
    try {
      const started = await reassign([0, 1, 2]);
      assert.equal(started.errorCode, ErrorCode.NONE, started.errorMessage ?? "");
      assert.equal(started.responses[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
      const listed = await broker2.request(Apis.ListPartitionReassignments, { timeoutMs: 45_000, topics: null });
      assert.deepEqual(listed.topics, [
        {
          name: topic,
          partitions: [{ partitionIndex: 0, replicas: [0, 1, 2], addingReplicas: [0], removingReplicas: [] }],
        },
      ]);

      const cancelled = await reassign(null);
      assert.equal(cancelled.responses[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
      const reverted = await partitionWhen((p) => p.replicas.join() === to.join(), "the replicas [1, 2] again");
      assert.deepEqual(sorted(reverted.isr), to);
      const listedAfter = await broker2.request(Apis.ListPartitionReassignments, { timeoutMs: 45_000, topics: null });
      assert.deepEqual(listedAfter.topics, []);
      const again = await reassign(null);
      assert.equal(again.responses[0]!.partitions[0]!.errorCode, ErrorCode.NO_REASSIGNMENT_IN_PROGRESS);
    } finally {
      resume(pid);
    }
  });
});
