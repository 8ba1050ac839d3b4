// How a replica answers the others (request-answers.ts), seen through RaftNodes in a simulated
// cluster: the vote rules (once per epoch, across a restart too; only to an up-to-date log; older
// epochs fenced; malformed requests refused), the leader's Fetch and DescribeQuorum answers, and
// what every request from a voter gets before its own rules: its shape checked, a closed node's refusal.
import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import { ErrorCode } from "../../../broker/protocol/errors.ts";
import { METADATA_TOPIC } from "../../../broker/raft/raft-log.ts";
import {
  beginQuorumEpochRequest,
  endQuorumEpochRequest,
  fetchRequest,
  voteRequest,
} from "../../../broker/raft/raft-messages.ts";
import type { RaftNode } from "../../../broker/raft/raft-node.ts";
import { type RaftTestCluster, useCluster } from "./raft-cluster-fixture.ts";

describe("votes", () => {
  /** A voter among [0, 1, 2] that is not running elections: only its request handlers are used. */
  function lonelyVoter(t: TestContext): { quorum: RaftTestCluster; node: RaftNode } {
    const quorum = useCluster(t, { voters: [0, 1, 2] });
    quorum.network.isolate(0);
    const node = quorum.start(0);
    return { quorum, node };
  }

  const granted = (node: RaftNode, candidate: number, epoch: number, lastOffset = 0n, lastEpoch = 0) => {
    const partition = node.handleVote(voteRequest(candidate, epoch, { offset: lastOffset, epoch: lastEpoch }))
      .topics[0]!.partitions[0]!;
    return partition.voteGranted;
  };

  it("when two candidates ask in the same epoch, then only the first gets the vote, and asking again still gets it", (t) => {
    const { node } = lonelyVoter(t);
    assert.equal(granted(node, 1, 5), true);
    assert.equal(granted(node, 2, 5), false);
    assert.equal(granted(node, 1, 5), true);
    assert.equal(node.epoch, 5);
  });

  it("when the voter restarts after voting, then it still refuses the other candidate in that epoch", (t) => {
    const { quorum, node } = lonelyVoter(t);
    assert.equal(granted(node, 1, 5), true);
    quorum.crash(0);
    const again = quorum.start(0);
    assert.equal(again.epoch, 5);
    assert.equal(granted(again, 2, 5), false);
    assert.equal(granted(again, 1, 5), true);
  });

  it("when the candidate's log is behind the voter's, then the vote is refused; as far along, it is granted", async (t) => {
    const quorum = useCluster(t, { voters: [0, 1, 2] });
    quorum.startAll();
    const leader = await quorum.elected();
    await quorum.commit(["a"]);
    await quorum.until(() => quorum.running.every((node) => node.logEndOffset === 2n), "every log at offset 2");
    const voter = quorum.running.find((node) => node !== leader)!;
    const epoch = leader.epoch;
    assert.equal(granted(voter, 7, epoch + 5, 1n, epoch), false, "shorter in the same last epoch");
    assert.equal(granted(voter, 7, epoch + 6, 5n, epoch - 1), false, "longer but of an older last epoch");
    assert.equal(granted(voter, 7, epoch + 7, 2n, epoch), true, "as long, in the same last epoch");
  });

  it("when a vote comes for an older epoch, then it is refused with FENCED_LEADER_EPOCH and the voter's epoch", (t) => {
    const { node } = lonelyVoter(t);
    granted(node, 1, 5);
    const answer = node.handleVote(voteRequest(2, 4, { offset: 0n, epoch: 0 })).topics[0]!.partitions[0]!;
    assert.equal(answer.errorCode, ErrorCode.FENCED_LEADER_EPOCH);
    assert.equal(answer.leaderEpoch, 5);
    assert.equal(answer.voteGranted, false);
  });

  it("when a vote request claims a last epoch not below its own, then it is INVALID_REQUEST", (t) => {
    const { node } = lonelyVoter(t);
    const answer = node.handleVote(voteRequest(1, 3, { offset: 0n, epoch: 3 })).topics[0]!.partitions[0]!;
    assert.equal(answer.errorCode, ErrorCode.INVALID_REQUEST);
  });
});

describe("the leader's answers", () => {
  it("when a follower fetches in an older epoch, then the leader answers FENCED_LEADER_EPOCH with itself as leader", async (t) => {
    const quorum = useCluster(t, { voters: [0] });
    const node = quorum.start(0);
    const response = await node.handleFetch(
      fetchRequest({ replicaId: 5, epoch: 0, fetchOffset: 0n, lastFetchedEpoch: 0, maxWaitMs: 0, maxBytes: 1000 }),
    );
    const partition = response.responses[0]!.partitions[0]!;
    assert.equal(response.responses[0]!.topic, METADATA_TOPIC);
    assert.equal(partition.errorCode, ErrorCode.FENCED_LEADER_EPOCH);
    assert.deepEqual(partition.currentLeader, { leaderId: 0, leaderEpoch: 1 });
  });

  it("when DescribeQuorum is asked, then the leader tells each voter's progress and a follower names the leader", async (t) => {
    const quorum = useCluster(t, { voters: [0, 1, 2], observers: [3] });
    quorum.startAll();
    const leader = await quorum.elected();
    await quorum.commit(["a"]);
    await quorum.until(
      () => quorum.running.every((node) => node.logEndOffset === leader.logEndOffset),
      "every log equal",
    );
    await quorum.scheduler.advance(1000);
    const answer = leader.describe().topics[0]!.partitions[0]!;
    assert.equal(answer.errorCode, ErrorCode.NONE);
    assert.equal(answer.leaderId, leader.nodeId);
    assert.equal(answer.highWatermark, leader.logEndOffset);
    assert.deepEqual(
      answer.currentVoters.map((voter) => [voter.replicaId, voter.logEndOffset]).sort(),
      [0, 1, 2].map((id) => [id, leader.logEndOffset]),
    );
    assert.deepEqual(
      answer.observers.map((observer) => observer.replicaId),
      [3],
    );
    const follower = quorum.running.find((node) => node !== leader && node.nodeId !== 3)!;
    const refused = follower.describe().topics[0]!.partitions[0]!;
    assert.equal(refused.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    assert.equal(refused.leaderId, leader.nodeId);
  });
});

describe("before a request's own rules", () => {
  const requests = () => ({
    vote: voteRequest(1, 5, { offset: 0n, epoch: 0 }),
    begin: beginQuorumEpochRequest(1, 5),
    end: endQuorumEpochRequest(1, 5, [0]),
  });
  const answerAll = (node: RaftNode, { vote, begin, end }: ReturnType<typeof requests>) =>
    [node.handleVote(vote), node.handleBeginQuorumEpoch(begin), node.handleEndQuorumEpoch(end)].map((answer) => ({
      errorCode: answer.errorCode,
      partitions: answer.topics.length,
    }));

  it("when a Vote, BeginQuorumEpoch or EndQuorumEpoch names another topic, then it is INVALID_REQUEST as a whole and changes nothing", (t) => {
    const quorum = useCluster(t, { voters: [0, 1, 2] });
    quorum.network.isolate(0);
    const node = quorum.start(0);
    const named = requests();
    for (const request of [named.vote, named.begin, named.end]) request.topics[0]!.topicName = "points.events";
    const refused = { errorCode: ErrorCode.INVALID_REQUEST, partitions: 0 };
    assert.deepEqual(answerAll(node, named), [refused, refused, refused]);
    assert.equal(node.epoch, 0);
  });

  it("when the node is closed, then every request from a voter is answered BROKER_NOT_AVAILABLE as a whole", async (t) => {
    const quorum = useCluster(t, { voters: [0, 1, 2] });
    quorum.network.isolate(0);
    const node = quorum.start(0);
    await quorum.stop(0);
    const refused = { errorCode: ErrorCode.BROKER_NOT_AVAILABLE, partitions: 0 };
    assert.deepEqual(answerAll(node, requests()), [refused, refused, refused]);
  });
});
