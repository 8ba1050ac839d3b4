// How a replica changes role (role-transitions.ts), seen through RaftNodes in a simulated cluster:
// what a request says about the epoch and its leader is followed (a higher epoch joined, a
// second leader claimed for one epoch ignored), a single voter leads at once and opens its epoch
// with one entry, and a leadership that ends takes its pending proposals with it.
import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import { beginQuorumEpochRequest, voteRequest } from "../../../broker/raft/raft-messages.ts";
import { NotLeaderError, type RaftNode } from "../../../broker/raft/raft-node.ts";
import { type RaftTestCluster, settled, useCluster } from "./raft-cluster-fixture.ts";

/** Voter 0 of [0, 1, 2], cut off from the others: only what is handed to it moves it. */
function lonelyVoter(t: TestContext): { quorum: RaftTestCluster; node: RaftNode } {
  const quorum = useCluster(t, { voters: [0, 1, 2] });
  quorum.network.isolate(0);
  return { quorum, node: quorum.start(0) };
}

describe("following what requests say", () => {
  it("when a leader announces itself in a higher epoch, then the voter follows it in that epoch", (t) => {
    const { node } = lonelyVoter(t);
    node.handleBeginQuorumEpoch(beginQuorumEpochRequest(1, 5));
    assert.deepEqual([node.role, node.leaderId, node.epoch], ["follower", 1, 5]);
  });

  it("when a vote comes in a higher epoch, then the voter joins that epoch knowing no leader, then votes", (t) => {
    const { node } = lonelyVoter(t);
    node.handleBeginQuorumEpoch(beginQuorumEpochRequest(1, 5));
    node.handleVote(voteRequest(2, 7, { offset: 0n, epoch: 0 }));
    assert.deepEqual([node.role, node.leaderId, node.epoch], ["voted", null, 7]);
  });

  it("when a second leader is claimed for the epoch it follows, then the voter keeps the first", (t) => {
    const { node } = lonelyVoter(t);
    node.handleBeginQuorumEpoch(beginQuorumEpochRequest(1, 5));
    node.handleBeginQuorumEpoch(beginQuorumEpochRequest(2, 5));
    assert.deepEqual([node.role, node.leaderId, node.epoch], ["follower", 1, 5]);
  });
});

describe("leading", () => {
  it("when a single voter restarts, then it stands, leads at once in the next epoch and opens it with one entry", async (t) => {
    const quorum = useCluster(t, { voters: [0] });
    quorum.start(0);
    await quorum.commit(["a"]);
    const before = quorum.node(0);
    const [epoch, end] = [before.epoch, before.logEndOffset];
    await quorum.stop(0);
    const node = quorum.start(0);
    assert.deepEqual([node.role, node.epoch], ["leader", epoch + 1]);
    assert.equal(node.logEndOffset, end + 1n, "the LeaderChangeMessage opening the epoch");
    await quorum.until(() => node.highWatermark === node.logEndOffset, "the opening entry committed");
  });

  it("when a leader loses its leadership, then its pending proposal fails with NotLeaderError", async (t) => {
    const quorum = useCluster(t, { voters: [0, 1, 2] });
    quorum.startAll();
    const old = await quorum.elected();
    quorum.network.isolate(old.nodeId);
    const pending = settled(quorum, old.propose([Buffer.from("stranded")]));
    await quorum.until(
      () => quorum.running.some((node) => node.isLeader && node.epoch > old.epoch),
      "a leader among the other two",
    );
    quorum.network.heal();
    const outcome = await pending;
    assert.ok(outcome.error instanceof NotLeaderError, String(outcome.error));
    assert.match(outcome.error.message, /leadership lost before the proposal committed/);
    assert.equal(old.isLeader, false);
  });
});
