// `npm run cluster` as a user runs it: N broker processes that form one KRaft cluster on free
// loopback ports, a broker killed with SIGKILL restarted on its own port, SIGTERM stopping them all.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Kafka, logLevel } from "kafkajs";
import { useClusterProcess } from "../helpers/cluster-process.ts";
import { runCommand } from "../helpers/command.ts";
import { waitFor } from "../helpers/wait.ts";

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function describeCluster(bootstrap: string[]) {
  const admin = new Kafka({ clientId: "cluster-test", brokers: bootstrap, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    return await admin.describeCluster();
  } finally {
    await admin.disconnect();
  }
}

describe("npm run cluster", () => {
  const startCluster = useClusterProcess();

  it("when 3 brokers start with --broker-logs, then each prints its ready line and its log lines, the bootstrap list follows, and Metadata lists all three", {
    timeout: 180_000,
  }, async () => {
    const cluster = await startCluster(3, {}, ["--broker-logs"]);
    assert.equal(cluster.bootstrap.length, 3);
    for (const id of [0, 1, 2]) {
      const broker = cluster.broker(id);
      assert.equal(`${broker.host}:${broker.port}`, cluster.bootstrap[id]);
      assert.ok(isAlive(broker.pid), `broker ${id}'s pid ${broker.pid} runs`);
      assert.match(
        cluster.output(),
        new RegExp(`^\\[broker-${id}\\] \\{.*"message":"registered with the controller"`, "m"),
      );
    }
    const described = await describeCluster(cluster.bootstrap);
    assert.deepEqual(described.brokers.map((b) => b.nodeId).sort(), [0, 1, 2]);
    assert.ok([0, 1, 2].includes(described.controller!), `controller ${described.controller} is one of the brokers`);

    // A broker killed hard comes back on its own port, and the cluster has three brokers again.
    const victim = cluster.broker(1);
    process.kill(victim.pid, "SIGKILL");
    const back = await cluster.restartOf(1, victim.pid);
    assert.equal(back.port, victim.port);
    assert.notEqual(back.pid, victim.pid);
    await waitFor(async () => (await describeCluster(cluster.bootstrap)).brokers.length === 3, {
      timeoutMs: 60_000,
      message: "three brokers after the restart",
    });

    const pids = [0, 1, 2].map((id) => cluster.broker(id).pid);
    assert.equal(await cluster.stop(), 0);
    for (const pid of pids) assert.equal(isAlive(pid), false, `broker pid ${pid} stopped with the launcher`);
  });

  it("when started without --broker-logs, then only the launcher's own lines are printed", {
    timeout: 180_000,
  }, async () => {
    const cluster = await startCluster(1);
    assert.ok(cluster.broker(0).pid > 0);
    assert.doesNotMatch(cluster.output(), /\[broker-0\]/);
  });

  it("when the usage is wrong, then one line says so and the exit code is 2", async () => {
    const result = await runCommand(process.execPath, ["--import", "tsx", "apps/cluster.ts", "--brokers", "zero"]);
    assert.equal(result.code, 2);
    assert.equal(result.stderr, 'cluster: --brokers must be an integer >= 1 (got "zero")\n');
  });
});
