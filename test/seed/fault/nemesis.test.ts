// The nemesis against a simulated cluster: three real processes stand for the brokers (so kill -9,
// SIGSTOP and SIGCONT are real), a launcher that starts a killed one again, and a view that derives
// what Metadata and DescribeQuorum would say from which processes run: the lowest running id is the
// controller, a partition is led by its first running replica, and the ISR is every running one.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { after, describe, it } from "node:test";
import type { PartitionView } from "../../../seed/fault/cluster-view.ts";
import { type FaultTarget, type NemesisView, notWholeBecause, runNemesis } from "../../../seed/fault/nemesis.ts";
import { isAlive, pause, processState, resume } from "../../../seed/fault/processes.ts";
import { seededRandom } from "../../../seed/load/workload.ts";

const brokerIds = [0, 1, 2];
const topic = "simulated";

describe("runNemesis", () => {
  const children: ChildProcess[] = [];
  after(() => {
    for (const child of children) child.kill("SIGKILL");
  });

  const simulatedCluster = () => {
    const start = (): number => {
      const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
      children.push(child);
      child.on("exit", () => {});
      return child.pid!;
    };
    const pids = brokerIds.map(start);
    const restarts: number[] = [];
    const running = (id: number) => isAlive(pids[id]!) && processState(pids[id]!) !== "T";
    const target: FaultTarget = {
      brokerIds,
      pid: (id) => pids[id]!,
      restarted: async (id, pid) => {
        assert.equal(pids[id], pid, "the pid killed is the broker's current one");
        restarts.push(id);
        pids[id] = start();
      },
    };
    const partitions = (): PartitionView[] =>
      brokerIds.map((partition) => {
        const replicas = brokerIds.map((_, i) => (partition + i) % brokerIds.length);
        const isr = replicas.filter(running);
        return { partition, leader: isr[0] ?? -1, replicas, isr };
      });
    const view: NemesisView = {
      brokerIds,
      activeController: async () => brokerIds.find(running) ?? null,
      partitions: async (name, askIds = brokerIds) => {
        assert.equal(name, topic);
        if (!askIds.some(running)) throw new Error("no broker answered");
        return partitions();
      },
      registeredBrokers: async () => brokerIds.filter(running),
    };
    return { target, view, pids, restarts };
  };

  it("when it runs the planned faults only, then it kills the controller, a leader and every broker, pauses one, and leaves the cluster whole", async () => {
    const { target, view, pids, restarts } = simulatedCluster();
    const lines: string[] = [];
    const faults = await runNemesis({
      target,
      view,
      topic,
      durationMs: 0,
      random: seededRandom(7),
      log: (line) => lines.push(line),
    });

    assert.deepEqual(faults.map((f) => f.kind).slice(0, 3), ["kill-controller", "kill-leader", "pause-broker"]);
    assert.equal(faults[0]!.brokerId, 0, "the lowest running id is the controller");
    const killed = new Set(faults.filter((f) => f.kind !== "pause-broker").map((f) => f.brokerId));
    assert.deepEqual([...killed].sort(), brokerIds, "every broker killed at least once");
    assert.deepEqual([...restarts].sort(), [...killed].sort(), "each kill waited for its restart");
    assert.ok(
      pids.every((pid) => processState(pid) !== "T"),
      "no broker left paused",
    );
    assert.equal(await notWholeBecause(view, topic), null);
    assert.ok(lines.some((line) => line.startsWith("SIGSTOP broker")));
    assert.ok(lines.some((line) => line.startsWith("SIGCONT broker")));
  });

  it("when it has time left after the plan, then it goes on with random faults until the time is up", async () => {
    const { target, view, pids } = simulatedCluster();
    // A clock that moves a second each time it is read: the plan's four faults read it a few
    // times each, so 20 s leave room for random ones after them, and then the time is up.
    let now = 0;
    const faults = await runNemesis({
      target,
      view,
      topic,
      durationMs: 20_000,
      random: seededRandom(3),
      clock: () => (now += 1000),
    });
    assert.ok(faults.length > 4, `${faults.length} faults: random ones after the plan's`);
    assert.ok(
      pids.every((pid) => processState(pid) !== "T"),
      "no broker left paused",
    );
  });

  it("when a broker was killed as often as a minute allows, then a kill of it becomes a pause", async () => {
    const { target, view } = simulatedCluster();
    // A clock that stands still: every kill falls within the same minute.
    const faults = await runNemesis({
      target,
      view,
      topic,
      durationMs: 0,
      random: seededRandom(5),
      clock: () => 0,
      maxKillsPerMinute: 1,
    });
    const kills = faults.filter((f) => f.kind !== "pause-broker").map((f) => f.brokerId);
    assert.deepEqual([...kills].sort(), [...new Set(kills)].sort(), "no broker killed twice");
    assert.ok(faults.some((f) => f.detail.endsWith("paused instead")) || kills.length === brokerIds.length);
  });

  it("when a broker does not answer, then the cluster is not whole and the reason says which", async () => {
    const { view, pids } = simulatedCluster();
    await pause(pids[1]!);
    try {
      assert.match((await notWholeBecause(view, topic)) ?? "", /only brokers \[0,2\] are registered/);
    } finally {
      resume(pids[1]!);
    }
  });
});
