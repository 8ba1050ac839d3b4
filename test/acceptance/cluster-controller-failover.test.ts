// Acceptance: the KRaft controller quorum of a 3-broker cluster of real processes fails over. The
// active controller (the DescribeQuorum leader) killed with kill -9, another voter is elected and
// topics can be created again; with 2 of the 3 voters paused (SIGSTOP) the quorum has no majority:
// CreateTopics is answered with a clear error instead of hanging, while the partitions the live
// broker leads keep serving produce and consume as far as their ISR allows.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { Apis } from "../../broker/protocol/apis.ts";
import { ErrorCode, errorCodeName } from "../../broker/protocol/errors.ts";
import { ClusterView } from "../../seed/fault/cluster-view.ts";
import { waitUntilWhole } from "../../seed/fault/nemesis.ts";
import { crash, pause, resume } from "../../seed/fault/processes.ts";
import { readToEnd } from "../../seed/fault/read-back.ts";
import { type ClusterProcess, fastFailoverConfig, useClusterProcess } from "../helpers/cluster-process.ts";
import { createTopicsRequest } from "../helpers/requests.ts";
import { disconnectQuietly, waitFor } from "../helpers/wait.ts";
import { WireClient } from "../helpers/wire-client.ts";
import { kafkaClient } from "./helpers.ts";

const clusterConfig = {
  "min.insync.replicas": "2",
  "default.replication.factor": "3",
  "offsets.topic.num.partitions": "5",
  ...fastFailoverConfig,
};

describe("controller failover on a 3-broker cluster", () => {
  const startCluster = useClusterProcess();
  let cluster: ClusterProcess | undefined;
  let view: ClusterView | undefined;
  const theCluster = async () => {
    cluster ??= await startCluster(3, clusterConfig);
    view ??= new ClusterView(cluster.bootstrap);
    return { cluster, view };
  };
  after(() => view?.close());

  const activeController = async (view: ClusterView): Promise<number> => {
    let controller: number | null = null;
    await waitFor(async () => (controller = await view.activeController()) !== null, {
      timeoutMs: 60_000,
      message: "an active controller",
    });
    return controller!;
  };

  const createTopic = async (bootstrap: string[], topic: string, replicationFactor: number) => {
    const admin = kafkaClient(bootstrap[0]!, "failover-admin", { brokers: bootstrap }).admin();
    await admin.connect();
    try {
      return await admin.createTopics({
        topics: [{ topic, numPartitions: 3, replicationFactor }],
        waitForLeaders: true,
      });
    } finally {
      await disconnectQuietly(admin);
    }
  };

  it("when the active controller is killed with kill -9, then another voter is elected and a topic can be created", {
    timeout: 240_000,
  }, async () => {
    const { cluster, view } = await theCluster();
    const killed = await activeController(view);
    const before = await view.quorumAsSeenBy(killed);
    const pid = cluster.broker(killed).pid;
    await crash(pid);

    const others = [0, 1, 2].filter((id) => id !== killed);
    let seen = before;
    await waitFor(
      async () => {
        seen = await view.quorumAsSeenBy(others[0]!);
        return seen.leaderId >= 0 && seen.leaderId !== killed && seen.epoch > before.epoch;
      },
      { timeoutMs: 60_000, message: () => `a new leader as voter ${others[0]} sees it (now ${JSON.stringify(seen)})` },
    );
    assert.ok(others.includes(seen.leaderId), `the new controller ${seen.leaderId} is one of the live voters`);
    // Asked again, a voter says it leads; on a loaded machine the quorum may have moved on meanwhile
    // (another election, or the killed broker back and elected), so any voter but at a later epoch.
    const leading = await activeController(view);
    const now = await view.quorumAsSeenBy(leading);
    assert.ok(now.epoch >= seen.epoch, `the leader ${leading} at epoch ${now.epoch}, not before ${seen.epoch}`);

    const live = others.map((id) => cluster.bootstrap[id]!);
    assert.equal(await createTopic(live, "after-controller-failover", 2), true);
    // The launcher restarts the killed broker meanwhile; once back it follows the new controller.
    await cluster.restartOf(killed, pid);
    await waitUntilWhole(view, "after-controller-failover");
    assert.equal((await view.partitions("after-controller-failover")).length, 3);
  });

  it("when 2 of the 3 voters are paused, then CreateTopics gets a clear error while the live broker's partitions serve as their ISR allows", {
    timeout: 240_000,
  }, async () => {
    const { cluster, view } = await theCluster();
    const survivor = await activeController(view);
    const paused = [0, 1, 2].filter((id) => id !== survivor);
    const survivorAddress = cluster.bootstrap[survivor]!;
    // One topic all on the survivor (its ISR is the survivor alone), one at replication factor 3.
    const kafka = kafkaClient(survivorAddress, "quorum-loss", { brokers: [survivorAddress] });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        { topic: "on-survivor", replicaAssignment: [{ partition: 0, replicas: [survivor] }] },
        { topic: "replicated", replicaAssignment: [{ partition: 0, replicas: [survivor, ...paused] }] },
      ],
      waitForLeaders: true,
    });
    await disconnectQuietly(admin);
    await waitUntilWhole(view, "replicated");
    const producer = kafka.producer();
    await producer.connect();
    const produce = (topic: string, acks: number, values: string[]) =>
      producer.send({ topic, acks, timeout: 3000, messages: values.map((value) => ({ value, partition: 0 })) });
    await produce("on-survivor", -1, ["before-1", "before-2"]);
    await produce("replicated", -1, ["before-1", "before-2"]);

    const pids = paused.map((id) => cluster.broker(id).pid);
    try {
      for (const pid of pids) await pause(pid);

      // Asked first while the survivor still leads the quorum (its controller cannot commit), then
      // once it has given up leading (the request is forwarded, and no controller answers): each is
      // answered within the request's own timeout (or the controller's), not left to hang.
      const wire = await WireClient.connect(survivorAddress);
      try {
        const createRefused = async (name: string) => {
          const answer = await wire.request(
            Apis.CreateTopics,
            4,
            createTopicsRequest([{ name, numPartitions: 1 }], 3000),
          );
          const code = answer.topics[0]!.errorCode;
          assert.ok(
            code === ErrorCode.REQUEST_TIMED_OUT || code === ErrorCode.NOT_CONTROLLER,
            `CreateTopics of ${name} without a quorum answered ${errorCodeName(code)}`,
          );
        };
        await createRefused("refused-by-the-leader");
        await waitFor(async () => !(await view.quorumAsSeenBy(survivor)).isLeader, {
          timeoutMs: 60_000,
          message: `broker ${survivor} no longer leads the quorum`,
        });
        await createRefused("refused-without-a-leader");
        assert.equal(wire.isClosed, false, "the broker answered instead of dropping the connection");
      } finally {
        wire.close();
      }

      // The survivor's own partition takes acks=all (its ISR is itself) and is read back whole.
      await produce("on-survivor", -1, ["during-1", "during-2"]);
      const onSurvivor = await readToEnd([survivorAddress], "on-survivor", { timeoutMs: 60_000 });
      assert.deepEqual(
        onSurvivor.map((o) => o.value),
        ["before-1", "before-2", "during-1", "during-2"],
      );
      // The replicated partition it leads takes acks=1; what was committed before stays readable.
      await produce("replicated", 1, ["during-acks-1"]);
      const replicated = await readToEnd([survivorAddress], "replicated", { timeoutMs: 60_000 });
      assert.deepEqual(
        replicated.map((o) => o.value),
        ["before-1", "before-2"],
        "the acks=1 record stays above the high watermark while the followers are away",
      );
    } finally {
      for (const pid of pids) resume(pid);
      await disconnectQuietly(producer);
    }

    await waitUntilWhole(view, "replicated");
    assert.equal(await createTopic(cluster.bootstrap, "after-quorum-is-back", 3), true);
  });
});
