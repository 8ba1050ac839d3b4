// The Raft node's surface (raft-node.ts) in simulated clusters: proposals and their commitment,
// the NotLeader and commit-timeout errors, the first batch of an epoch, leader-change
// announcements, and restarts from the persisted quorum state and log.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { leaderChangeOf } from "../../../broker/raft/raft-batches.ts";
import { CommitTimeoutError, NotLeaderError } from "../../../broker/raft/raft-node.ts";
import { settled, useCluster } from "./raft-cluster-fixture.ts";

describe("proposals", () => {
  it("when a new leader is elected, then its first batch is a LeaderChangeMessage naming it and its voters", async (t) => {
    const quorum = useCluster(t, { voters: [0, 1, 2] });
    quorum.startAll();
    const leader = await quorum.elected();
    const batch = quorum.logBytes(leader.nodeId);
    const message = leaderChangeOf(batch);
    assert.ok(message);
    assert.equal(message.leaderId, leader.nodeId);
    assert.deepEqual(
      message.voters.map((voter) => voter.voterId),
      [0, 1, 2],
    );
    assert.ok(message.grantingVoters.length >= 2);
    assert.equal(batch.readInt32BE(12), leader.epoch, "the batch carries the Raft epoch");
  });

  it("when two of three voters are down, then a proposal never commits and says so after the given time", async (t) => {
    const quorum = useCluster(t, { voters: [0, 1, 2] });
    quorum.startAll();
    const leader = await quorum.elected();
    await quorum.commit(["before"]);
    for (const id of [0, 1, 2]) if (id !== leader.nodeId) quorum.crash(id);
    const outcome = await settled(quorum, leader.propose([Buffer.from("orphan")], { timeoutMs: 1000 }));
    assert.ok(outcome.error instanceof CommitTimeoutError, String(outcome.error));
    assert.deepEqual(quorum.committedValues(leader.nodeId), ["before"]);
    // Nobody fetches, so the leader steps down; proposals then fail at once, naming no leader.
    await quorum.until(() => !leader.isLeader, "the leader resigning");
    const refused = await settled(quorum, leader.propose([Buffer.from("later")]));
    assert.ok(refused.error instanceof NotLeaderError);
  });

  it("when a follower is asked to propose, then it refuses with NotLeaderError naming the leader", async (t) => {
    const quorum = useCluster(t, { voters: [0, 1, 2] });
    quorum.startAll();
    const leader = await quorum.elected();
    await quorum.until(() => quorum.running.every((node) => node.leaderId === leader.nodeId), "all following");
    const follower = quorum.running.find((node) => node !== leader)!;
    const outcome = await settled(quorum, follower.propose([Buffer.from("x")]));
    assert.ok(outcome.error instanceof NotLeaderError);
    assert.equal(outcome.error.leaderId, leader.nodeId);
    assert.equal(outcome.error.epoch, leader.epoch);
  });
});

describe("restarts", () => {
  it("when every node restarts, then the committed entries replay in order and a leader of a later epoch carries on", async (t) => {
    const quorum = useCluster(t, { voters: [0, 1, 2] });
    quorum.startAll();
    const first = await quorum.elected();
    await quorum.commit(["a", "b"]);
    await quorum.commit(["c"]);
    await quorum.until(
      () => quorum.running.every((node) => node.highWatermark === first.logEndOffset),
      "all committed",
    );
    for (const id of [0, 1, 2]) quorum.crash(id);
    quorum.startAll();
    await quorum.until(() => [0, 1, 2].every((id) => quorum.committedValues(id).length === 3), "replay");
    for (const id of [0, 1, 2]) assert.deepEqual(quorum.committedValues(id), ["a", "b", "c"]);
    const second = await quorum.elected();
    assert.ok(second.epoch > first.epoch);
    await quorum.commit(["d"]);
    await quorum.until(() => [0, 1, 2].every((id) => quorum.committedValues(id).length === 4), "d everywhere");
  });

  it("when a voter restarts cut off from the others, then it still replays everything it knew committed", async (t) => {
    const quorum = useCluster(t, { voters: [0, 1, 2] });
    quorum.startAll();
    const leader = await quorum.elected();
    await quorum.commit(["a"]);
    await quorum.commit(["b", "c"]);
    await quorum.until(
      () => quorum.running.every((node) => node.highWatermark === leader.logEndOffset),
      "all committed",
    );
    const follower = quorum.running.find((node) => node !== leader)!.nodeId;
    await quorum.stop(follower);
    quorum.network.isolate(follower);
    quorum.start(follower);
    await quorum.until(() => quorum.committedValues(follower).length === 3, "the replay");
    assert.deepEqual(quorum.committedValues(follower), ["a", "b", "c"]);
    assert.equal(quorum.node(follower).leaderId, leader.nodeId, "it follows the leader it knew");
  });

  it("when a single voter restarts, then it replays its log and leads again in the next epoch", async (t) => {
    const quorum = useCluster(t, { voters: [0] });
    const node = quorum.start(0);
    await settled(quorum, node.propose([Buffer.from("a")]));
    await quorum.stop(0);
    const again = quorum.start(0);
    assert.equal(again.isLeader, true);
    assert.equal(again.epoch, 2);
    await quorum.until(() => quorum.committedValues(0).length === 1, "replay");
    assert.deepEqual(quorum.committedValues(0), ["a"]);
  });

  it("when a leader restarts, then it comes back resigned in its old epoch and never leads that epoch again", async (t) => {
    const quorum = useCluster(t, { voters: [0, 1, 2] });
    quorum.startAll();
    const first = await quorum.elected();
    const epoch = first.epoch;
    quorum.crash(first.nodeId);
    quorum.network.isolate(first.nodeId);
    const again = quorum.start(first.nodeId);
    assert.equal(again.role, "resigned");
    assert.equal(again.epoch, epoch);
    assert.equal(again.isLeader, false);
  });
});

describe("leader changes", () => {
  it("when leadership moves, then listeners hear of each leader, this node's own only once its epoch is committed and replayed", async (t) => {
    const quorum = useCluster(t, { voters: [0, 1, 2] });
    const told = new Map<number, string[]>();
    for (const id of [0, 1, 2]) {
      const node = quorum.start(id);
      const seen: string[] = [];
      told.set(id, seen);
      node.onLeaderChange((leader) => {
        // By the time a node hears it leads, its listener has every committed batch.
        if (leader.leaderId === id) seen.push(`me@${leader.epoch}:${quorum.committedValues(id).join(",")}`);
        else seen.push(`${leader.leaderId}@${leader.epoch}`);
      });
    }
    const first = await quorum.elected();
    await quorum.commit(["a"]);
    await quorum.until(() => told.get(first.nodeId)!.includes(`me@${first.epoch}:`), "the leader hearing it leads");
    quorum.crash(first.nodeId);
    const second = await quorum.elected();
    await quorum.until(
      () => told.get(second.nodeId)!.some((entry) => entry.startsWith(`me@${second.epoch}:`)),
      "the new leader hearing it leads",
    );
    assert.ok(told.get(second.nodeId)!.includes(`me@${second.epoch}:a`), String(told.get(second.nodeId)));
    assert.ok(told.get(second.nodeId)!.includes(`${first.nodeId}@${first.epoch}`));
  });
});
