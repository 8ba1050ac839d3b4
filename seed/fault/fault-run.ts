// One run of the fault test against a running cluster (Jepsen's queue workload, Kafka's replication
// system test): create a replicated topic, start the keyed idempotent acks=all load from both
// clients and a live reader, let the nemesis kill, pause and restart brokers for `durationMs`, see
// the load go on after the last fault, stop it, wait until the replicas agree, read everything back
// and check. The test (test/acceptance/cluster-faults.test.ts) runs it for seconds and asserts the
// four anomaly counts are zero; the benchmark (bench/cluster-suite.ts) runs it for minutes and
// reports the counts.
//
// Ownership: a run owns its load, readers and nemesis, and stops them all before it returns or
// throws; the cluster belongs to the caller.
import { Kafka as KafkaJS, logLevel as kafkajsLogLevel } from "kafkajs";
import { seededRandom } from "../load/workload.ts";
import { type CheckReport, checkHistory, type Observation } from "./checker.ts";
import { ClusterView } from "./cluster-view.ts";
import { KeyedLoad, type LoadClient, type LoadHistory, loadClients } from "./keyed-load.ts";
import { type FaultRecord, runNemesis, waitUntilWhole } from "./nemesis.ts";
import { LiveReader, readToEnd } from "./read-back.ts";
import { replicaDir, replicaLogBytes, replicaRecords } from "./replica-logs.ts";
import { waitUntil } from "./wait-until.ts";

/** What a run needs of the cluster (test/helpers/cluster-process.ts's ClusterProcess has it). */
export interface FaultCluster {
  /** `host:port` by broker id. */
  bootstrap: string[];
  /** Broker <id>'s logs are under `<dataDir>/broker-<id>`. */
  dataDir: string;
  broker(nodeId: number): { pid: number };
  restartOf(nodeId: number, pid: number): Promise<unknown>;
}

export interface FaultRunOptions {
  cluster: FaultCluster;
  /** How long random faults keep coming after the planned ones. */
  durationMs: number;
  topic?: string;
  /** Default 6, at replication factor 3 (the cluster should run with min.insync.replicas=2). */
  partitions?: number;
  keysPerClient?: number;
  clients?: readonly LoadClient[];
  seed?: number;
  log?: (line: string) => void;
}

export interface FaultRunResult {
  report: CheckReport;
  faults: FaultRecord[];
  /** Partitions whose replicas' segment bytes still differ once the cluster is quiet (should be none). */
  divergentReplicas: string[];
  load: Omit<LoadHistory, "acked" | "unacknowledged"> & { seconds: number; ackedByClient: Record<string, number> };
  liveReads: number;
}

const REPLICATION_FACTOR = 3;

export async function runFaultTest(options: FaultRunOptions): Promise<FaultRunResult> {
  const {
    cluster,
    topic = "fault-test",
    partitions = 6,
    keysPerClient = 8,
    clients = loadClients,
    seed = 1,
    log = () => {},
  } = options;
  const brokerIds = cluster.bootstrap.map((_, id) => id);
  await createTopic(cluster.bootstrap, topic, partitions);
  const view = new ClusterView(cluster.bootstrap);
  const load = new KeyedLoad({ bootstrap: cluster.bootstrap, topic, clients, keysPerClient });
  const live = new LiveReader(cluster.bootstrap, topic, partitions);
  let history: LoadHistory | null = null;
  let liveObservations: Observation[] = [];
  let faults: FaultRecord[];
  const started = performance.now();
  try {
    await waitUntilWhole(view, topic);
    load.start();
    await live.start();
    const everyClientAcked = async (atLeast: Record<string, number>) =>
      waitUntil(() => clients.every((c) => load.ackedBy(c) >= atLeast[c]!), {
        timeoutMs: 120_000,
        message: () => `acknowledged sends from every client (${clients.map((c) => `${c} ${load.ackedBy(c)}`)})`,
      });
    await everyClientAcked(Object.fromEntries(clients.map((c) => [c, 20])));
    log(`load running: ${load.ackedCount} records acknowledged; faults begin`);
    faults = await runNemesis({
      target: {
        brokerIds,
        pid: (id) => cluster.broker(id).pid,
        restarted: (id, pid) => cluster.restartOf(id, pid),
      },
      view,
      topic,
      durationMs: options.durationMs,
      random: seededRandom(seed),
      log,
    });
    // The load must go on once the faults are over, from both clients.
    await everyClientAcked(Object.fromEntries(clients.map((c) => [c, load.ackedBy(c) + 20])));
  } finally {
    history = await load.stop();
    liveObservations = await live.stop().catch(() => []);
  }
  const seconds = (performance.now() - started) / 1000;
  log(`load stopped: ${history.acked.length} acknowledged, ${history.unacknowledged.length} not; reading back`);

  try {
    await waitUntilWhole(view, topic);
  } finally {
    view.close();
  }
  const divergentReplicas = await waitForReplicasToAgree(cluster.dataDir, brokerIds, topic, partitions);
  const final = await readToEnd(cluster.bootstrap, topic);
  const replicas: Observation[] = [];
  for (let partition = 0; partition < partitions; partition++)
    for (const id of brokerIds)
      for (const record of replicaRecords(replicaDir(cluster.dataDir, id, topic, partition)))
        replicas.push({ source: `replica-${id}`, partition, offset: record.offset, value: record.value });
  const report = checkHistory({
    acked: history.acked,
    unacknowledged: history.unacknowledged,
    final,
    others: [...liveObservations, ...replicas],
  });
  const ackedByClient = Object.fromEntries(clients.map((c) => [c, history.acked.filter((r) => r.client === c).length]));
  return {
    report,
    faults,
    divergentReplicas,
    load: { seconds, ackedByClient, errors: history.errors, producersReplaced: history.producersReplaced },
    liveReads: liveObservations.length,
  };
}

async function createTopic(bootstrap: readonly string[], topic: string, partitions: number): Promise<void> {
  const admin = new KafkaJS({
    brokers: [...bootstrap],
    clientId: "fault-admin",
    logLevel: kafkajsLogLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [{ topic, numPartitions: partitions, replicationFactor: REPLICATION_FACTOR }],
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
}

/**
 * Waits (up to a minute) until every partition's replicas hold the same bytes, as they must once
 * the load has stopped and the ISRs are whole; returns the partitions where they still differ.
 */
async function waitForReplicasToAgree(
  dataDir: string,
  brokerIds: readonly number[],
  topic: string,
  partitions: number,
): Promise<string[]> {
  const differing = (): string[] => {
    const found: string[] = [];
    for (let partition = 0; partition < partitions; partition++) {
      const logs = brokerIds.map((id) => replicaLogBytes(replicaDir(dataDir, id, topic, partition)));
      if (logs.some((bytes) => !bytes.equals(logs[0]!)))
        found.push(
          `${topic}-${partition} (${logs.map((bytes, id) => `broker ${id}: ${bytes.length} bytes`).join(", ")})`,
        );
    }
    return found;
  };
  try {
    await waitUntil(() => differing().length === 0, { timeoutMs: 60_000, intervalMs: 250 });
  } catch {
    // reported below
  }
  return differing();
}
