// What each role does when its time comes (role-poll.ts), seen through RaftNodes in a simulated
// cluster with a fake clock: voters stand for election when their timeouts pass and one leads; a
// single voter leads at once; followers of a crashed leader elect another; a leader that shuts
// down cleanly tells the others (EndQuorumEpoch) and they elect before any timeout; a leader no
// majority fetches from steps down.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { settled, useCluster } from "./raft-cluster-fixture.ts";

describe("elections", () => {
  it("when a single voter starts, then it leads at once and commits what it is given", async (t) => {
    const quorum = useCluster(t, { voters: [0] });
    const node = quorum.start(0);
    assert.equal(node.isLeader, true);
    assert.equal(node.epoch, 1);
    const outcome = await settled(quorum, node.propose([Buffer.from("a"), Buffer.from("b")]));
    assert.equal(outcome.value, 2n, "offset 0 is the LeaderChangeMessage, 1-2 the records");
    assert.deepEqual(quorum.committedValues(0), ["a", "b"]);
  });

  it("when three voters start, then exactly one leads and the others follow it in its epoch", async (t) => {
    const quorum = useCluster(t, { voters: [0, 1, 2] });
    quorum.startAll();
    const leader = await quorum.elected();
    await quorum.until(
      () => quorum.running.every((node) => node.leaderId === leader.nodeId && node.epoch === leader.epoch),
      "everyone following the leader",
    );
    assert.equal(quorum.running.filter((node) => node.isLeader).length, 1);
    for (const node of quorum.running) {
      if (node !== leader) assert.equal(node.role, "follower");
    }
  });

  it("when the leader crashes, then another voter leads in a higher epoch with every committed entry", async (t) => {
    const quorum = useCluster(t, { voters: [0, 1, 2] });
    quorum.startAll();
    const first = await quorum.elected();
    await quorum.commit(["one"]);
    await quorum.commit(["two", "three"]);
    quorum.crash(first.nodeId);
    const second = await quorum.elected();
    assert.notEqual(second.nodeId, first.nodeId);
    assert.ok(second.epoch > first.epoch);
    await quorum.commit(["four"]);
    for (const id of [0, 1, 2].filter((id) => id !== first.nodeId)) {
      await quorum.until(() => quorum.committedValues(id).length === 4, `node ${id} having all four`);
      assert.deepEqual(quorum.committedValues(id), ["one", "two", "three", "four"]);
    }
  });

  it("when the leader shuts down cleanly, then the others elect a new one before a fetch timeout passes", async (t) => {
    const quorum = useCluster(t, { voters: [0, 1, 2] });
    quorum.startAll();
    const first = await quorum.elected();
    await quorum.commit(["kept"]);
    const stoppedAt = quorum.scheduler.now();
    await quorum.stop(first.nodeId);
    const second = await quorum.elected();
    assert.notEqual(second.nodeId, first.nodeId);
    assert.ok(
      quorum.scheduler.now() - stoppedAt < quorum.config(0).fetchTimeoutMs,
      `elected ${quorum.scheduler.now() - stoppedAt} ms after the shutdown`,
    );
  });
});
