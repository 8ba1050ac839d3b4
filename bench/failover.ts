// Failover times on a running cluster, each over a number of kills (percentiles of them):
// - leader failover: kill -9 the leader of a partition (one that is not the active controller, so
//   that this times the data plane's failover alone), then time until a produce to that partition
//   is acknowledged (acks=all) — necessarily by a new leader;
// - controller failover: kill -9 the active controller (the DescribeQuorum leader), then time until
//   another voter says it leads, and until a topic is created (a metadata change committed).
// The launcher restarts a killed broker within a second; here the restarted process is paused the
// moment it exists and resumed once the time is taken, so that what is timed is the failover to
// the other brokers, as if the killed broker's machine were down (and not a race with its return).
// The cluster is let whole again before the next kill. Each kill is timed from just before the signal.
//
// Ownership: the measurements own their clients; the cluster is the caller's.
import { join } from "node:path";
import { Kafka } from "../broker/client/kafka.ts";
import { createLogger, logLevel } from "../broker/client/logger.ts";
import { BrokerConnection } from "../broker/client/network/broker-connection.ts";
import { Apis } from "../broker/protocol/apis.ts";
import { ErrorCode } from "../broker/protocol/errors.ts";
import type { ClusterView } from "../seed/fault/cluster-view.ts";
import type { FaultCluster } from "../seed/fault/fault-run.ts";
import { waitUntilWhole } from "../seed/fault/nemesis.ts";
import { crash, holdRestarted, resume } from "../seed/fault/processes.ts";
import { delay, waitUntil } from "../seed/fault/wait-until.ts";
import { percentile, round } from "./lib.ts";

export interface Percentiles {
  samples: number[];
  p50: number;
  p99: number;
  max: number;
}

export function percentiles(samplesMs: readonly number[]): Percentiles {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  return {
    samples: samplesMs.map((ms) => round(ms, 0)),
    p50: round(percentile(sorted, 50), 0),
    p99: round(percentile(sorted, 99), 0),
    max: round(sorted.at(-1) ?? 0, 0),
  };
}

/** Kills `brokerId` with its restart held back; `measure` runs meanwhile; then the broker returns and the cluster heals. */
async function killHeld<T>(
  cluster: FaultCluster,
  view: ClusterView,
  topic: string,
  brokerId: number,
  measure: (killedAt: number) => Promise<T>,
): Promise<T> {
  const pid = cluster.broker(brokerId).pid;
  const held = holdRestarted(join(cluster.dataDir, `broker-${brokerId}`), pid, 60_000);
  const killedAt = performance.now();
  await crash(pid);
  let result: T;
  try {
    result = await measure(killedAt);
  } finally {
    resume(await held);
  }
  await cluster.restartOf(brokerId, pid);
  await waitUntilWhole(view, topic);
  return result;
}

/**
 * Leader failover: `kills` times, the leader of a partition of `topic` that is not the active
 * controller killed; ms to the first acknowledged produce to that partition.
 */
export async function leaderFailoverTimes(
  cluster: FaultCluster,
  view: ClusterView,
  topic: string,
  kills: number,
  progress: (done: number, ms: number) => void,
): Promise<number[]> {
  const kafka = new Kafka({
    brokers: cluster.bootstrap,
    clientId: "bench-failover",
    logLevel: logLevel.NOTHING,
    connectionTimeout: 500,
    requestTimeout: 3000,
  });
  const producer = kafka.producer({
    allowAutoTopicCreation: false,
    retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 20, maxRetryTime: 100 },
  });
  await producer.connect();
  const times: number[] = [];
  try {
    for (let i = 0; i < kills; i++) {
      await waitUntilWhole(view, topic);
      // Leaderships move back to the preferred replicas (auto.leader.rebalance.enable), so each
      // round starts with the topic's leaders spread over the brokers.
      await waitUntil(async () => (await view.partitions(topic)).every((p) => p.leader === p.replicas[0]), {
        message: `${topic} led by its preferred replicas`,
      });
      const controller = await view.activeController();
      const led = (await view.partitions(topic)).filter((p) => p.leader !== controller);
      if (led.length === 0) throw new Error(`every partition of ${topic} is led by the controller ${controller}`);
      const { partition, leader } = led[i % led.length]!;
      const send = () =>
        producer.send({ topic, acks: -1, timeout: 3000, messages: [{ value: `failover-${i}`, partition }] });
      await send(); // the producer knows the current leader before the kill
      const ms = await killHeld(cluster, view, topic, leader, async (killedAt) => {
        await send();
        return performance.now() - killedAt;
      });
      times.push(ms);
      progress(i + 1, ms);
    }
  } finally {
    await producer.disconnect();
  }
  return times;
}

export interface ControllerFailover {
  /** ms from the kill to another voter saying it leads the quorum. */
  electedMs: number;
  /** ms from the kill to a CreateTopics answered without error. */
  topicCreatedMs: number;
}

/** Controller failover: `kills` times the active controller killed; ms to a new leader and to a created topic. */
export async function controllerFailoverTimes(
  cluster: FaultCluster,
  view: ClusterView,
  topic: string,
  kills: number,
  progress: (done: number, result: ControllerFailover) => void,
): Promise<ControllerFailover[]> {
  const results: ControllerFailover[] = [];
  for (let i = 0; i < kills; i++) {
    await waitUntilWhole(view, topic);
    let controller: number | null = null;
    await waitUntil(async () => (controller = await view.activeController()) !== null, { message: "a controller" });
    const killed = controller!;
    const live = cluster.bootstrap.map((_, id) => id).filter((id) => id !== killed);
    const result = await killHeld(cluster, view, topic, killed, async (killedAt) => {
      const elected = waitUntil(
        async () => {
          const seen = await view.quorumAsSeenBy(live[0]!);
          return seen.leaderId >= 0 && seen.leaderId !== killed && (await view.activeController()) === seen.leaderId;
        },
        { intervalMs: 10, message: "a new controller" },
      ).then(() => performance.now() - killedAt);
      const created = createTopicThrough(cluster.bootstrap[live[0]!]!, `controller-failover-${i}`).then(
        () => performance.now() - killedAt,
      );
      return { electedMs: await elected, topicCreatedMs: await created };
    });
    results.push(result);
    progress(i + 1, result);
  }
  return results;
}

/** CreateTopics through the broker at `address` (forwarded to the controller) until it succeeds. */
async function createTopicThrough(address: string, topic: string): Promise<void> {
  const [host, port] = address.split(":");
  const connection = new BrokerConnection({
    host: host!,
    port: Number(port),
    clientId: "bench-controller-failover",
    connectionTimeout: 1000,
    requestTimeout: 5000,
    logger: createLogger(logLevel.NOTHING),
  });
  try {
    for (;;) {
      try {
        const answer = await connection.request(Apis.CreateTopics, {
          topics: [{ name: topic, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
          timeoutMs: 2000,
          validateOnly: false,
        });
        const code = answer.topics[0]?.errorCode;
        if (code === ErrorCode.NONE || code === ErrorCode.TOPIC_ALREADY_EXISTS) return;
      } catch {
        connection.disconnect();
      }
      await delay(10);
    }
  } finally {
    connection.disconnect();
  }
}
