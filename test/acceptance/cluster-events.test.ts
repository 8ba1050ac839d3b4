// Acceptance: the cluster events a broker records from the metadata it applies, on a cluster of real
// broker processes (`npm run cluster` with admin listeners). A partition's leader killed with
// kill -9 is fenced once its session runs out; another broker's event history then shows the
// fencing, the leader that moved and the ISR that shrank, each with "broker N fenced" as its cause,
// and under the same dedup keys as the controller's own history.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { ClusterEvent } from "../../broker/server/admin/cluster-events.ts";
import { ClusterView } from "../../seed/fault/cluster-view.ts";
import { crash } from "../../seed/fault/processes.ts";
import { fastFailoverConfig } from "../helpers/cluster-process.ts";
import { type RunningCommand, startCommand } from "../helpers/command.ts";
import { useScratchDirs } from "../helpers/scratch-dirs.ts";
import { disconnectQuietly, waitFor } from "../helpers/wait.ts";
import { kafkaClient } from "./helpers.ts";

const topic = "events";

async function history(admin: string): Promise<ClusterEvent[]> {
  const response = await fetch(`${admin}/v1/events/history`);
  assert.equal(response.status, 200);
  return (await response.json()) as ClusterEvent[];
}

describe("cluster events on a 3-broker cluster", () => {
  const scratch = useScratchDirs("cluster-events-");
  let cluster: RunningCommand | undefined;
  let view: ClusterView | undefined;
  after(async () => {
    view?.close();
    if (cluster && cluster.child.exitCode === null && cluster.child.signalCode === null) {
      cluster.child.kill("SIGTERM");
      const timer = setTimeout(() => cluster?.child.kill("SIGKILL"), 20_000);
      await cluster.exited;
      clearTimeout(timer);
    }
  });

  it("when a partition's leader is killed with kill -9, then another broker records its fencing, the leader change and the ISR shrink, caused by it", {
    timeout: 180_000,
  }, async () => {
    const configs = { ...fastFailoverConfig, "offsets.topic.num.partitions": "3" };
    cluster = startCommand(process.execPath, [
      "--import",
      "tsx",
      "apps/cluster.ts",
      "--brokers",
      "3",
      "--base-port",
      "0",
      "--admin-port",
      "0",
      "--no-restart",
      "--data-dir",
      scratch(),
      ...Object.entries(configs).flatMap(([key, value]) => ["--config", `${key}=${value}`]),
    ]);
    const started = cluster;
    await waitFor(() => /^broker 2 admin: /m.test(started.stdout()) || started.child.exitCode !== null, {
      timeoutMs: 120_000,
      message: () => `cluster ready with admin listeners; output:\n${started.output()}`,
    });
    const bootstrap = /^cluster ready: (\S+)$/m.exec(started.stdout())![1]!.split(",");
    const pids = new Map(
      [...started.stdout().matchAll(/^broker (\d+) listening on \S+ pid (\d+)$/gm)].map((m) => [
        Number(m[1]),
        Number(m[2]),
      ]),
    );
    const admins = new Map(
      [...started.stdout().matchAll(/^broker (\d+) admin: (\S+)$/gm)].map((m) => [Number(m[1]), m[2]!]),
    );

    view = new ClusterView(bootstrap);
    let controller: number | null = null;
    await waitFor(async () => (controller = await view!.activeController()) !== null, {
      message: "an active controller",
    });
    // The victim is not the controller, so the controller that fences it stays put.
    const victim = [0, 1, 2].find((id) => id !== controller)!;
    const witness = [0, 1, 2].find((id) => id !== controller && id !== victim)!;
    const kafka = kafkaClient(bootstrap[witness]!, "cluster-events-test", { brokers: bootstrap });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({
        topics: [{ topic, replicaAssignment: [{ partition: 0, replicas: [victim, witness, controller!] }] }],
        waitForLeaders: true,
      });
    } finally {
      await disconnectQuietly(admin);
    }
    await waitFor(async () => (await view!.partitions(topic))[0]?.isr.length === 3, { message: "the whole ISR" });

    await crash(pids.get(victim)!);

    const about = (events: ClusterEvent[]) => ({
      fenced: events.findLast((e) => e.kind === "broker-fenced" && e.subjectBroker === victim),
      leaderChanged: events.findLast((e) => e.kind === "leader-changed" && e.topic === topic && e.partition === 0),
      isrShrank: events.findLast((e) => e.kind === "isr-shrank" && e.topic === topic && e.partition === 0),
    });
    let seen = about([]);
    await waitFor(
      async () => {
        seen = about(await history(admins.get(witness)!));
        return seen.fenced !== undefined && seen.leaderChanged?.leader !== victim && seen.isrShrank !== undefined;
      },
      {
        timeoutMs: 60_000,
        message: () => `the victim's fencing in broker ${witness}'s events: ${JSON.stringify(seen)}`,
      },
    );
    const { fenced, leaderChanged, isrShrank } = seen;
    assert.equal(fenced!.broker, witness);
    assert.equal(fenced!.cause, `broker ${victim} sent no heartbeat within broker.session.timeout.ms`);
    assert.equal(leaderChanged!.cause, `broker ${victim} fenced`);
    assert.ok([witness, controller].includes(leaderChanged!.leader!), `new leader ${leaderChanged!.leader}`);
    assert.equal(isrShrank!.cause, `broker ${victim} fenced`);
    assert.deepEqual([...isrShrank!.isr!].sort(), [witness, controller!].sort());

    const controllers = about(await history(admins.get(controller!)!));
    assert.deepEqual(
      [controllers.fenced?.dedupKey, controllers.leaderChanged?.dedupKey, controllers.isrShrank?.dedupKey],
      [fenced!.dedupKey, leaderChanged!.dedupKey, isrShrank!.dedupKey],
      "the same facts under the same keys on both brokers",
    );
  });
});
