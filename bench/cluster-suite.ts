// The cluster suite: a 3-broker cluster of real processes (`npm run cluster`, each broker also a
// controller voter), min.insync.replicas=2, short failure detection (replica.lag.time.max.ms and
// broker.session.timeout.ms 3 s, heartbeats every 0.5 s), preferred leaders restored every second. Writes cluster.json with:
// - produce throughput, acks=all on replication factor 3 ÷ acks=1 on replication factor 1, same
//   cluster, same run (kafkajs, 6 partitions, 100-byte records, sends of 1,000, 8 in flight);
// - leader failover time, kill -9 of a partition leader (not the controller) to the first
//   acknowledged produce on the new leader, p50/p99 over 10 kills; controller failover time, kill -9 of the active controller to a new one elected and to
//   a topic created, p50/p99 over 10 kills (bench/failover.ts);
// - the fault test (seed/fault/) run for 5 minutes on a fresh cluster, with its anomaly counts.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kafka as KafkaJS, logLevel as kafkajsLogLevel } from "kafkajs";
import { ClusterView } from "../seed/fault/cluster-view.ts";
import { type FaultRunResult, runFaultTest } from "../seed/fault/fault-run.ts";
import { type ClusterProcess, fastFailoverConfig, startClusterProcess } from "../test/helpers/cluster-process.ts";
import { controllerFailoverTimes, leaderFailoverTimes, type Percentiles, percentiles } from "./failover.ts";
import {
  createProducer,
  int,
  log,
  printTable,
  type Rate,
  rate,
  secondsSince,
  sendLoop,
  short,
  step,
  writeResults,
} from "./lib.ts";

export interface ClusterSuiteOptions {
  quick: boolean;
  /** Records per throughput run. */
  records: number;
  leaderKills: number;
  controllerKills: number;
  /** How long the fault test's random faults go on. */
  faultSeconds: number;
}

export function clusterSuiteDefaults(quick: boolean): ClusterSuiteOptions {
  return quick
    ? { quick, records: 50_000, leaderKills: 3, controllerKills: 3, faultSeconds: 30 }
    : { quick, records: 200_000, leaderKills: 10, controllerKills: 10, faultSeconds: 300 };
}

const SUITE = "cluster";
const BROKERS = 3;
const CLUSTER_CONFIG = {
  "min.insync.replicas": "2",
  // Leaderships return to the preferred replicas a second after they can: failover rounds start spread.
  "leader.imbalance.check.interval.seconds": "1",
  "offsets.topic.num.partitions": "5",
  ...fastFailoverConfig,
};
const PARTITIONS = 6;
const RECORD_BYTES = 100;
const SEND_SIZE = 1000;
const IN_FLIGHT = 8;

/** A fresh cluster for `fn`, stopped and its data removed afterwards; its output tail printed if `fn` fails. */
async function withCluster<T>(fn: (cluster: ClusterProcess) => Promise<T>): Promise<T> {
  const dataDir = mkdtempSync(join(tmpdir(), "bench-cluster-"));
  const cluster = await startClusterProcess(BROKERS, CLUSTER_CONFIG, dataDir);
  log(SUITE, `cluster at ${cluster.bootstrap.join(",")} (data in ${dataDir})`);
  try {
    return await fn(cluster);
  } catch (error) {
    console.error(`--- cluster output (tail) ---\n${cluster.output().split("\n").slice(-30).join("\n")}`);
    throw error;
  } finally {
    await cluster.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function createTopic(bootstrap: string[], topic: string, partitions: number, replicationFactor: number) {
  const admin = new KafkaJS({ brokers: bootstrap, clientId: "bench-admin", logLevel: kafkajsLogLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [{ topic, numPartitions: partitions, replicationFactor }],
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
}

async function produceRate(bootstrap: string[], topic: string, acks: number, records: number): Promise<Rate> {
  const producer = createProducer("kafkajs", bootstrap[0]!);
  await producer.connect();
  try {
    const start = performance.now();
    await sendLoop(producer, {
      topic,
      batchSize: SEND_SIZE,
      recordBytes: RECORD_BYTES,
      inFlight: IN_FLIGHT,
      acks,
      records,
    });
    return rate(records, records * RECORD_BYTES, secondsSince(start));
  } finally {
    await producer.disconnect();
  }
}

interface ClusterResults {
  throughput: { rf1Acks1: Rate; rf3AcksAll: Rate; ratio: number };
  leaderFailoverMs: Percentiles;
  controllerElectedMs: Percentiles;
  controllerTopicCreatedMs: Percentiles;
  faultTest: FaultRunResult;
}

export async function runClusterSuite(options: ClusterSuiteOptions): Promise<void> {
  const { records } = options;
  const partial: Partial<ClusterResults> = {};
  await withCluster(async (cluster) => {
    const { bootstrap } = cluster;
    await createTopic(bootstrap, "bench-rf1", PARTITIONS, 1);
    await createTopic(bootstrap, "bench-rf3", PARTITIONS, 3);
    const rf1Acks1 = await step(
      SUITE,
      `produce acks=1, RF 1, ${int(records)} records`,
      () => produceRate(bootstrap, "bench-rf1", 1, records),
      (r) => `${short(r.recordsPerSec)} rec/s`,
    );
    const rf3AcksAll = await step(
      SUITE,
      `produce acks=all, RF 3, ${int(records)} records`,
      () => produceRate(bootstrap, "bench-rf3", -1, records),
      (r) => `${short(r.recordsPerSec)} rec/s`,
    );
    partial.throughput = { rf1Acks1, rf3AcksAll, ratio: rf3AcksAll.recordsPerSec / rf1Acks1.recordsPerSec };

    const view = new ClusterView(bootstrap);
    try {
      // Three partitions, led by the three brokers: one of them is always led by a non-controller.
      await createTopic(bootstrap, "bench-failover", 3, 3);
      const leaderTimes = await leaderFailoverTimes(cluster, view, "bench-failover", options.leaderKills, (done, ms) =>
        log(SUITE, `leader kill ${done}/${options.leaderKills}: first acknowledged produce after ${ms.toFixed(0)} ms`),
      );
      partial.leaderFailoverMs = percentiles(leaderTimes);
      const controllerTimes = await controllerFailoverTimes(
        cluster,
        view,
        "bench-failover",
        options.controllerKills,
        (done, r) =>
          log(
            SUITE,
            `controller kill ${done}/${options.controllerKills}: new controller after ${r.electedMs.toFixed(0)} ms, topic created after ${r.topicCreatedMs.toFixed(0)} ms`,
          ),
      );
      partial.controllerElectedMs = percentiles(controllerTimes.map((r) => r.electedMs));
      partial.controllerTopicCreatedMs = percentiles(controllerTimes.map((r) => r.topicCreatedMs));
    } finally {
      view.close();
    }
  });

  await withCluster(async (cluster) => {
    log(SUITE, `fault test: ${options.faultSeconds} s of faults under keyed idempotent acks=all load`);
    const started = performance.now();
    partial.faultTest = await runFaultTest({
      cluster,
      durationMs: options.faultSeconds * 1000,
      log: (line) => log(SUITE, `[${secondsSince(started).toFixed(0)} s] ${line}`),
    });
  });

  const results = partial as ClusterResults;
  const file = writeResults("cluster.json", {
    quick: options.quick,
    brokers: BROKERS,
    brokerConfig: CLUSTER_CONFIG,
    throughputSetup: {
      client: "kafkajs",
      partitions: PARTITIONS,
      recordBytes: RECORD_BYTES,
      sendSize: SEND_SIZE,
      inFlight: IN_FLIGHT,
      records,
    },
    note: "Failover is timed from just before kill -9; the killed broker's restart is held back until the time is taken. A leader killed is never the active controller. Leader failover is bounded below by broker.session.timeout.ms (the controller fences the dead broker, then elects); the controller's by controller.quorum.fetch.timeout.ms (the voters notice the leader is gone, then vote).",
    ...results,
  });
  printSummary(results);
  console.log(`written to ${file}\n`);
}

function printSummary(results: ClusterResults): void {
  const { throughput, faultTest } = results;
  console.log();
  printTable(
    ["measure", "value"],
    [
      ["produce acks=1 RF 1 (rec/s)", int(throughput.rf1Acks1.recordsPerSec)],
      ["produce acks=all RF 3 (rec/s)", int(throughput.rf3AcksAll.recordsPerSec)],
      ["acks=all RF 3 ÷ acks=1 RF 1", `${(throughput.ratio * 100).toFixed(0)} %`],
      ["leader failover p50 / p99 (ms)", `${results.leaderFailoverMs.p50} / ${results.leaderFailoverMs.p99}`],
      ["controller elected p50 / p99 (ms)", `${results.controllerElectedMs.p50} / ${results.controllerElectedMs.p99}`],
      [
        "controller topic created p50 / p99 (ms)",
        `${results.controllerTopicCreatedMs.p50} / ${results.controllerTopicCreatedMs.p99}`,
      ],
      ["fault test: faults", String(faultTest.faults.length)],
      ["fault test: acknowledged", int(faultTest.report.acknowledged)],
      [
        "fault test: lost / duplicated / reordered / inconsistent",
        `${faultTest.report.lost} / ${faultTest.report.duplicated} / ${faultTest.report.reordered} / ${faultTest.report.inconsistentOffsets}`,
      ],
    ],
  );
}
