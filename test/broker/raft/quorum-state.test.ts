// The election state: the `quorum-state` file (Kafka's layout, written atomically), the role a
// replica starts in after a restart, and the rules of each transition.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import {
  type ElectionState,
  formatElectionState,
  IllegalTransitionError,
  parseElectionState,
  QUORUM_STATE_FILE,
  QuorumState,
  QuorumStateFileError,
  QuorumStateStore,
} from "../../../broker/raft/quorum-state.ts";
import { nodeFileSystem } from "../../../broker/storage/file-system.ts";
import { FaultyFileSystem, InjectedFault, tempDir } from "../storage/faulty-file-system.ts";

const timeouts = { electionTimeoutMs: 1000, fetchTimeoutMs: 2000 };

function quorumIn(
  dir: string,
  options: { localId?: number; voters?: number[]; logEpoch?: number; random?: number; fs?: FaultyFileSystem } = {},
): QuorumState {
  return new QuorumState({
    store: new QuorumStateStore(options.fs ?? nodeFileSystem, dir),
    localId: options.localId ?? 0,
    voters: options.voters ?? [0, 1, 2],
    timeouts,
    now: () => 10_000,
    random: () => options.random ?? 0.5,
    log: { endOffset: 0n, lastEpoch: options.logEpoch ?? 0 },
  });
}

function stored(dir: string, state: ElectionState): void {
  new QuorumStateStore(nodeFileSystem, dir).write(state);
}

describe("the quorum-state file", () => {
  it("when an election state is written, then the file holds Kafka's QuorumStateData v0 JSON on one line", (t) => {
    const dir = tempDir(t);
    stored(dir, { epoch: 7, leaderId: 2, votedId: null, voters: [0, 1, 2] });
    assert.equal(
      readFileSync(join(dir, QUORUM_STATE_FILE), "utf8"),
      '{"clusterId":"","leaderId":2,"leaderEpoch":7,"votedId":-1,"appliedOffset":0,"currentVoters":[{"voterId":0},{"voterId":1},{"voterId":2}],"data_version":0}\n',
    );
    assert.deepEqual(new QuorumStateStore(nodeFileSystem, dir).read(), {
      epoch: 7,
      leaderId: 2,
      votedId: null,
      voters: [0, 1, 2],
    });
  });

  it("when Kafka's own file is read, then its fields come back, -1 meaning none", () => {
    const text =
      '{"clusterId":"","leaderId":-1,"leaderEpoch":3,"votedId":1,"appliedOffset":0,"currentVoters":[{"voterId":1}],"data_version":0}';
    assert.deepEqual(parseElectionState(text), { epoch: 3, leaderId: null, votedId: 1, voters: [1] });
    assert.equal(formatElectionState(parseElectionState(text)), text);
  });

  it("when the file is damaged, then reading it fails with the path named", (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, QUORUM_STATE_FILE), "{not json");
    assert.throws(() => new QuorumStateStore(nodeFileSystem, dir).read(), QuorumStateFileError);
    assert.throws(
      () => parseElectionState('{"leaderId":1,"leaderEpoch":1,"votedId":-1,"data_version":7}'),
      /data_version 7/,
    );
  });

  it("when there is no file, then there is no stored state", (t) => {
    assert.equal(new QuorumStateStore(nodeFileSystem, tempDir(t)).read(), null);
  });

  it("when the rename of a new state fails, then the old file stays and the transition is not taken", (t) => {
    const dir = tempDir(t);
    const fs = new FaultyFileSystem();
    const quorum = quorumIn(dir, { fs });
    quorum.transitionToVoted(4, 1);
    fs.failRenamesWith = new InjectedFault("rename fails");
    assert.throws(() => quorum.transitionToUnattached(5), InjectedFault);
    assert.equal(quorum.role, "voted");
    assert.equal(quorum.epoch, 4);
    assert.deepEqual(new QuorumStateStore(nodeFileSystem, dir).read(), {
      epoch: 4,
      leaderId: null,
      votedId: 1,
      voters: [0, 1, 2],
    });
    assert.ok(
      fs.syncs.some((path) => path.endsWith(`${QUORUM_STATE_FILE}.tmp`)),
      "the temp file is fsynced first",
    );
  });
});

describe("the role after a restart", () => {
  const cases: [string, ElectionState, string][] = [
    ["it led the epoch", { epoch: 4, leaderId: 0, votedId: null, voters: [] }, "resigned"],
    ["it voted for itself", { epoch: 4, leaderId: null, votedId: 0, voters: [] }, "candidate"],
    ["it voted for another", { epoch: 4, leaderId: null, votedId: 2, voters: [] }, "voted"],
    ["another node leads", { epoch: 4, leaderId: 1, votedId: null, voters: [] }, "follower"],
    ["only the epoch", { epoch: 4, leaderId: null, votedId: null, voters: [] }, "unattached"],
  ];
  for (const [what, state, role] of cases) {
    it(`when the file says ${what}, then the node starts ${role} in that epoch`, (t) => {
      const dir = tempDir(t);
      stored(dir, state);
      const quorum = quorumIn(dir);
      assert.equal(quorum.role, role);
      assert.equal(quorum.epoch, 4);
    });
  }

  it("when the log has a later epoch than the file, then it starts unattached in the log's epoch", (t) => {
    const dir = tempDir(t);
    stored(dir, { epoch: 2, leaderId: 1, votedId: null, voters: [] });
    const quorum = quorumIn(dir, { logEpoch: 5 });
    assert.equal(quorum.role, "unattached");
    assert.equal(quorum.epoch, 5);
  });

  it("when the voter's file is new, then it starts unattached in epoch 0 and writes the file", (t) => {
    const dir = tempDir(t);
    const quorum = quorumIn(dir);
    assert.equal(quorum.role, "unattached");
    assert.equal(quorum.epoch, 0);
    assert.ok(new QuorumStateStore(nodeFileSystem, dir).read());
  });
});

describe("transitions", () => {
  function fresh(t: TestContext, options: Parameters<typeof quorumIn>[1] = {}): QuorumState {
    return quorumIn(tempDir(t), options);
  }

  it("when a candidacy starts, then the epoch goes up by one, the node votes for itself and that is on disk", (t) => {
    const dir = tempDir(t);
    const quorum = quorumIn(dir);
    quorum.transitionToCandidate();
    assert.equal(quorum.epoch, 1);
    assert.equal(quorum.role, "candidate");
    assert.deepEqual(new QuorumStateStore(nodeFileSystem, dir).read()?.votedId, 0);
  });

  it("when a candidate has a majority, then it may lead; without one, it may not", (t) => {
    const quorum = fresh(t);
    quorum.transitionToCandidate();
    assert.throws(() => quorum.transitionToLeader(), IllegalTransitionError);
    quorum.recordVote(2, true);
    const leader = quorum.transitionToLeader();
    assert.deepEqual(leader.grantingVoters, [0, 2]);
    assert.equal(quorum.leaderId, 0);
  });

  it("when votes are refused by a majority, then the candidacy is lost", (t) => {
    const quorum = fresh(t);
    quorum.transitionToCandidate();
    const candidacy = quorum.recordVote(1, false);
    assert.equal(quorum.isVoteRejected(candidacy), false);
    quorum.recordVote(2, false);
    assert.equal(quorum.isVoteRejected(candidacy), true);
  });

  it("when a vote is asked, then it goes once per epoch, never with a leader known, and only to an up-to-date log", (t) => {
    const quorum = fresh(t);
    assert.equal(quorum.canGrantVote(1, false), false);
    assert.equal(quorum.canGrantVote(1, true), true);
    quorum.transitionToVoted(0, 1);
    assert.equal(quorum.canGrantVote(1, true), true);
    assert.equal(quorum.canGrantVote(2, true), false);
    assert.throws(() => quorum.transitionToVoted(0, 2), IllegalTransitionError);
    quorum.transitionToFollower(0, 1);
    assert.equal(quorum.canGrantVote(1, true), false);
  });

  it("when a transition breaks a rule, then it throws IllegalTransitionError and nothing changes", (t) => {
    const quorum = fresh(t);
    quorum.transitionToUnattached(3);
    assert.throws(() => quorum.transitionToUnattached(3), IllegalTransitionError, "same epoch");
    assert.throws(() => quorum.transitionToFollower(2, 1), IllegalTransitionError, "past epoch");
    assert.throws(() => quorum.transitionToFollower(3, 0), IllegalTransitionError, "follower of itself");
    assert.throws(() => quorum.transitionToVoted(3, 0), IllegalTransitionError, "vote for itself");
    assert.throws(() => quorum.transitionToResigned([]), IllegalTransitionError, "resign when not leading");
    quorum.transitionToFollower(3, 1);
    assert.throws(() => quorum.transitionToFollower(3, 2), IllegalTransitionError, "another leader in the epoch");
    assert.equal(quorum.role, "follower");
    assert.equal(quorum.epoch, 3);
  });

  it("when a leader resigns, then the file still names it leader of the epoch", (t) => {
    const dir = tempDir(t);
    const quorum = quorumIn(dir, { voters: [0] });
    quorum.transitionToCandidate();
    quorum.transitionToLeader();
    quorum.transitionToResigned([]);
    assert.equal(quorum.role, "resigned");
    assert.deepEqual(new QuorumStateStore(nodeFileSystem, dir).read()?.leaderId, 0);
  });

  it("when the node is not a voter, then it never votes nor stands, and waits for no election", (t) => {
    const quorum = fresh(t, { localId: 5 });
    assert.equal(quorum.isVoter, false);
    assert.equal((quorum.state as { electionDeadline: number }).electionDeadline, Number.POSITIVE_INFINITY);
    assert.throws(() => quorum.transitionToCandidate(), IllegalTransitionError);
    assert.throws(() => quorum.transitionToVoted(1, 1), IllegalTransitionError);
    quorum.transitionToFollower(1, 1);
    assert.equal(quorum.leaderId, 1);
  });

  it("when an election timeout is drawn, then it lies in [timeout, 2 × timeout)", (t) => {
    assert.equal(fresh(t, { random: 0 }).randomElectionTimeoutMs(), 1000);
    assert.equal(fresh(t, { random: 0.999 }).randomElectionTimeoutMs(), 1999);
  });
});
