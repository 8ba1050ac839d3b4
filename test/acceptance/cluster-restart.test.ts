// Acceptance: a partition leader killed with SIGKILL and restarted before its session runs out, on a
// 3-broker cluster of real broker processes. The controller still counts the old process as alive
// (it heard its heartbeats), so it refuses the new incarnation's registration until that session
// expires, then moves the leadership. The restarted process has, meanwhile, replayed metadata that
// names it leader at its old epoch; if it acted on it, it would acknowledge records that the
// partition's next leader never gets. So: everything it is sent in that window is refused, and after
// the move every record acknowledged before the kill is still there.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { Apis } from "../../broker/protocol/apis.ts";
import { ErrorCode, errorCodeName } from "../../broker/protocol/errors.ts";
import { encodeRecordBatch } from "../../broker/protocol/record-batch/encoder.ts";
import { ClusterView } from "../../seed/fault/cluster-view.ts";
import { crash } from "../../seed/fault/processes.ts";
import { readToEnd } from "../../seed/fault/read-back.ts";
import { useClusterProcess } from "../helpers/cluster-process.ts";
import { produceRequest } from "../helpers/requests.ts";
import { disconnectQuietly, range, waitFor } from "../helpers/wait.ts";
import { WireClient } from "../helpers/wire-client.ts";
import { kafkaClient } from "./helpers.ts";

const clusterConfig = {
  "min.insync.replicas": "2",
  "offsets.topic.num.partitions": "3",
  // Long enough that the restarted process is surely up while its predecessor's session lasts.
  "broker.session.timeout.ms": "20000",
  "broker.heartbeat.interval.ms": "500",
  // The moved leadership stays moved, so the restarted broker is a follower once it is back.
  "auto.leader.rebalance.enable": "false",
};

const topic = "restarted-leader";

/** One acks=1 record to `address`; the partition's error code, or null when nothing listens there. */
async function produceOnce(address: string, value: string): Promise<number | null> {
  let client: WireClient;
  try {
    client = await WireClient.connect(address);
  } catch {
    return null;
  }
  try {
    const records = encodeRecordBatch({ records: [{ key: null, value: Buffer.from(value) }] });
    const response = await client.request(
      Apis.Produce,
      7,
      produceRequest(topic, [{ index: 0, records }], { acks: 1, timeoutMs: 2000 }),
    );
    return response.responses[0]!.partitionResponses[0]!.errorCode;
  } catch {
    return null;
  } finally {
    client.close();
  }
}

describe("a partition leader restarted before its session expires", () => {
  const startCluster = useClusterProcess();
  let view: ClusterView | undefined;
  after(() => view?.close());

  it("when the killed leader is back while the controller still holds its old session, then it acknowledges nothing until its leadership has moved, and no acknowledged record is lost", {
    timeout: 240_000,
  }, async () => {
    const cluster = await startCluster(3, clusterConfig);
    view = new ClusterView(cluster.bootstrap);
    const controller = await view.activeController();
    assert.notEqual(controller, null);
    // The leader must not be the controller: a controller that restarts takes the old session with it.
    const leader = [0, 1, 2].find((id) => id !== controller)!;
    const survivors = [0, 1, 2].filter((id) => id !== leader);

    const kafka = kafkaClient(cluster.bootstrap.join(","), "restart-test", { brokers: cluster.bootstrap });
    const admin = kafka.admin();
    const producer = kafka.producer({ idempotent: true });
    try {
      await admin.connect();
      await admin.createTopics({
        topics: [{ topic, replicaAssignment: [{ partition: 0, replicas: [leader, ...survivors] }] }],
        waitForLeaders: true,
      });
      await producer.connect();
      const acknowledged = range(20).map((i) => `before-${i}`);
      await producer.send({ topic, acks: -1, messages: acknowledged.map((value) => ({ value })) });
    } finally {
      await disconnectQuietly(producer);
      await disconnectQuietly(admin);
    }

    const killed = cluster.broker(leader);
    await crash(killed.pid);

    // Until the survivors see the leadership move, the restarted process is asked to take records.
    const address = `${killed.host}:${killed.port}`;
    const answers: number[] = [];
    let attempt = 0;
    const moved = async () => {
      const partitions = await view!.partitions(topic, survivors);
      return partitions.length === 1 && partitions[0]!.leader !== leader && partitions[0]!.leader !== -1;
    };
    await waitFor(
      async () => {
        if (await moved()) return true;
        const answer = await produceOnce(address, `window-${attempt++}`);
        if (answer !== null) answers.push(answer);
        return false;
      },
      { timeoutMs: 120_000, intervalMs: 100, message: () => `the leadership moved (${answers.length} answers)` },
    );
    assert.ok(answers.length > 0, "the restarted broker answered while its old session was still live");
    const accepted = answers.filter((code) => code === ErrorCode.NONE).length;
    assert.equal(
      accepted,
      0,
      `acknowledged ${accepted} of ${answers.length} (${[...new Set(answers)].map(errorCodeName).join(", ")})`,
    );

    // Back as a follower: the ISR is whole again and every record acknowledged before the kill is there.
    await cluster.restartOf(leader, killed.pid, 120_000);
    await waitFor(async () => (await view!.partitions(topic))[0]?.isr.length === 3, {
      timeoutMs: 120_000,
      message: "the ISR whole again",
    });
    const values = (await readToEnd(cluster.bootstrap, topic)).map((o) => o.value);
    for (let i = 0; i < 20; i += 1) assert.ok(values.includes(`before-${i}`), `before-${i} is still there`);
  });
});
