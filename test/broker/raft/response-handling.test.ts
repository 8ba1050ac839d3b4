// What a replica does with the answers it gets (response-handling.ts), seen through RaftNodes in a
// simulated cluster: a candidate with a shorter log collects refusals and never leads; a follower
// told of a DivergingEpoch truncates its uncommitted tail and ends up byte-identical to the
// leader; an observer learns who leads from any voter's answer and follows it across a failover.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CommitTimeoutError, NotLeaderError } from "../../../broker/raft/raft-node.ts";
import { settled, useCluster } from "./raft-cluster-fixture.ts";

describe("answers to a candidate", () => {
  it("when a voter with a shorter log stands for election, then it loses and the up-to-date voter leads", async (t) => {
    const quorum = useCluster(t, { voters: [0, 1, 2] });
    quorum.startAll();
    await quorum.until(() => quorum.node(0).isLeader || quorum.leader() !== null, "a first leader");
    const first = await quorum.elected();
    const [up, behind] = [0, 1, 2].filter((id) => id !== first.nodeId) as [number, number];
    quorum.network.isolate(behind);
    await quorum.commit(["x", "y"]);
    // The isolated voter keeps standing for election in ever higher epochs, alone.
    await quorum.scheduler.advance(10_000);
    assert.ok(quorum.node(behind).epoch > first.epoch);
    quorum.crash(first.nodeId);
    quorum.network.heal();
    const leaders = new Set<number>();
    await quorum.until(() => {
      for (const node of quorum.running) if (node.isLeader) leaders.add(node.nodeId);
      const leader = quorum.leader();
      return leader !== null && leader.highWatermark === leader.logEndOffset && leader.highWatermark > 0n;
    }, "a new leader");
    assert.deepEqual([...leaders], [up]);
    await quorum.until(() => quorum.committedValues(behind).length === 2, "the behind voter catching up");
    assert.deepEqual(quorum.committedValues(behind), ["x", "y"]);
  });
});

describe("answers to a follower's fetch", () => {
  it("when a follower holds an uncommitted divergent tail, then it truncates it and ends up byte-identical to the leader", async (t) => {
    const quorum = useCluster(t, { voters: [0, 1, 2] });
    quorum.startAll();
    const old = await quorum.elected();
    await quorum.commit(["committed"]);
    // Cut off, the old leader appends entries nobody else will ever have.
    quorum.network.isolate(old.nodeId);
    const lost = [old.propose([Buffer.from("lost-1")]), old.propose([Buffer.from("lost-2"), Buffer.from("lost-3")])];
    for (const proposal of lost) proposal.catch(() => {});
    const oldEnd = old.logEndOffset;
    await quorum.until(
      () => quorum.running.some((node) => node.isLeader && node.epoch > old.epoch),
      "a leader among the other two",
    );
    const fresh = quorum.leader()!;
    await quorum.commit(["new-1"]);
    await quorum.commit(["new-2"]);
    quorum.network.heal();
    await quorum.until(
      () =>
        quorum.node(old.nodeId).leaderId === fresh.nodeId &&
        quorum.running.every((node) => node.highWatermark === fresh.logEndOffset),
      "the old leader following and caught up",
    );
    for (const proposal of lost) {
      const outcome = await settled(quorum, proposal);
      assert.ok(outcome.error instanceof NotLeaderError || outcome.error instanceof CommitTimeoutError);
    }
    assert.ok(oldEnd > 2n);
    const leaderBytes = quorum.logBytes(fresh.nodeId);
    for (const id of [0, 1, 2]) assert.deepEqual(quorum.logBytes(id), leaderBytes, `node ${id}'s log`);
    assert.deepEqual(quorum.committedValues(old.nodeId), ["committed", "new-1", "new-2"]);
  });

  it("when a non-voter fetches, then it gets the committed log but never votes nor leads", async (t) => {
    const quorum = useCluster(t, { voters: [0, 1, 2], observers: [3] });
    quorum.startAll();
    await quorum.commit(["a"]);
    await quorum.commit(["b"]);
    await quorum.until(() => quorum.committedValues(3).length === 2, "the observer catching up");
    assert.deepEqual(quorum.committedValues(3), ["a", "b"]);
    const leader = quorum.leader()!;
    quorum.crash(leader.nodeId);
    await quorum.elected();
    await quorum.commit(["c"]);
    await quorum.until(() => quorum.committedValues(3).length === 3, "the observer following the new leader");
    assert.equal(quorum.node(3).isLeader, false);
    assert.notEqual(quorum.node(3).role, "candidate");
  });
});
