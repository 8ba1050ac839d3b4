// How the commit point moves and who hears of it (commits.ts), seen through RaftNodes in a
// simulated cluster: a majority commits, a cut-off follower's commit point waits and then catches
// up, a late listener gets the whole committed log once, and a new leader is announced once to
// each replica, to itself only once its epoch is committed.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CommittedBatch } from "../../../broker/raft/raft-batches.ts";
import type { LeaderAndEpoch } from "../../../broker/raft/raft-messages.ts";
import { settled, useCluster } from "./raft-cluster-fixture.ts";

describe("the commit point", () => {
  it("when a follower is cut off, then the others commit without it, and it catches up once healed", async (t) => {
    const quorum = useCluster(t, { voters: [0, 1, 2] });
    quorum.startAll();
    await quorum.commit(["a"]);
    const leader = quorum.leader()!;
    const cut = quorum.running.find((node) => node !== leader)!;
    await quorum.until(() => cut.highWatermark === leader.highWatermark, "the follower holding a");
    const before = cut.highWatermark;
    quorum.network.isolate(cut.nodeId);
    const offset = await quorum.commit(["b"]);
    assert.equal(leader.highWatermark, offset + 1n);
    assert.equal(cut.highWatermark, before, "nothing it has not got is committed for it");
    quorum.network.heal();
    await quorum.until(() => cut.highWatermark === leader.highWatermark, "the follower catching up");
    assert.deepEqual(quorum.committedValues(cut.nodeId), ["a", "b"]);
  });

  it("when a proposal commits, then it resolves with its last offset and every replica's commit point passes it", async (t) => {
    const quorum = useCluster(t, { voters: [0, 1, 2] });
    quorum.startAll();
    const leader = await quorum.elected();
    const outcome = await settled(quorum, leader.propose([Buffer.from("x"), Buffer.from("y")]));
    assert.equal(outcome.value, leader.logEndOffset - 1n);
    await quorum.until(
      () => quorum.running.every((node) => node.highWatermark === leader.logEndOffset),
      "every commit point at the end",
    );
  });
});

describe("who hears of it", () => {
  it("when a listener subscribes late, then it gets the whole committed log once, in order, then what follows", async (t) => {
    const quorum = useCluster(t, { voters: [0] });
    const node = quorum.start(0);
    await quorum.commit(["a", "b"]);
    await quorum.commit(["c"]);
    const heard: CommittedBatch[] = [];
    node.onCommitted((batch) => heard.push(batch));
    await quorum.until(() => heard.length === 2, "the replay");
    await quorum.commit(["d"]);
    await quorum.until(() => heard.length === 3, "the next batch");
    assert.deepEqual(
      heard.map((batch) => batch.records.map(String)),
      [["a", "b"], ["c"], ["d"]],
    );
  });

  it("when a leader is elected, then each replica is told once, the leader itself only once its epoch's first entry is committed", async (t) => {
    const quorum = useCluster(t, { voters: [0, 1, 2] });
    const heard = new Map<number, { told: LeaderAndEpoch; committed: bigint; end: bigint }[]>();
    for (const node of quorum.startAll()) {
      const seen: { told: LeaderAndEpoch; committed: bigint; end: bigint }[] = [];
      heard.set(node.nodeId, seen);
      node.onLeaderChange((told) => seen.push({ told, committed: node.highWatermark, end: node.logEndOffset }));
    }
    const leader = await quorum.elected();
    const toldOfLeader = (id: number) =>
      heard.get(id)!.filter(({ told }) => told.leaderId === leader.nodeId && told.epoch === leader.epoch);
    await quorum.until(() => [0, 1, 2].every((id) => toldOfLeader(id).length > 0), "every replica told");
    for (const id of [0, 1, 2]) assert.equal(toldOfLeader(id).length, 1, `node ${id} told once`);
    const [own] = toldOfLeader(leader.nodeId);
    assert.equal(own!.committed, own!.end, "its LeaderChangeMessage committed when it is told");
  });
});
