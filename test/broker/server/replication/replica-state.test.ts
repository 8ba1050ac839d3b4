import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FollowerReplica, UNKNOWN_OFFSET } from "../../../../broker/server/replication/replica-state.ts";

describe("FollowerReplica", () => {
  it("when a fetch reaches the leader's log end, then the follower is caught up as of that fetch", () => {
    const follower = new FollowerReplica(1);
    follower.updateFetchState(10n, 0n, 5_000, 10n);
    assert.deepEqual(follower.state, {
      logStartOffset: 0n,
      logEndOffset: 10n,
      lastFetchLeaderLogEndOffset: 10n,
      lastFetchTimeMs: 5_000,
      lastCaughtUpTimeMs: 5_000,
    });
  });

  it("when a fetch reaches only what the leader had at the previous fetch, then the follower is caught up as of the previous fetch", () => {
    const follower = new FollowerReplica(1);
    follower.updateFetchState(8n, 0n, 1_000, 10n);
    follower.updateFetchState(10n, 0n, 2_000, 12n);
    assert.equal(follower.state.lastCaughtUpTimeMs, 1_000);
    assert.equal(follower.state.lastFetchLeaderLogEndOffset, 12n);
  });

  it("when a fetch reaches neither, then the last caught-up time stays", () => {
    const follower = new FollowerReplica(1);
    follower.updateFetchState(10n, 0n, 1_000, 10n);
    follower.updateFetchState(10n, 0n, 2_000, 20n);
    follower.updateFetchState(15n, 0n, 3_000, 30n);
    assert.equal(follower.state.lastCaughtUpTimeMs, 1_000);
  });

  it("when at the leader's end or caught up within the lag time, then it counts as caught up; otherwise not", () => {
    const follower = new FollowerReplica(1);
    follower.updateFetchState(10n, 0n, 1_000, 10n);
    assert.equal(follower.isCaughtUp(10n, 1_000_000, 30_000), true, "at the leader's end, however long ago");
    assert.equal(follower.isCaughtUp(11n, 31_000, 30_000), true);
    assert.equal(follower.isCaughtUp(11n, 31_001, 30_000), false);
  });

  it("when the broker becomes leader, then an ISR member is caught up now, any other never, and its offsets are forgotten", () => {
    const inSync = new FollowerReplica(1);
    inSync.updateFetchState(10n, 2n, 1_000, 10n);
    inSync.reset(50_000, 12n, true, true);
    assert.equal(inSync.logEndOffset, UNKNOWN_OFFSET);
    assert.equal(inSync.state.lastCaughtUpTimeMs, 50_000);

    const outOfSync = new FollowerReplica(2);
    outOfSync.reset(50_000, 12n, true, false);
    assert.equal(outOfSync.state.lastCaughtUpTimeMs, 0);
  });

  it("when the same leader starts a new epoch, then the follower keeps its offsets and is measured from the epoch's start", () => {
    const follower = new FollowerReplica(1);
    follower.updateFetchState(10n, 2n, 1_000, 10n);
    follower.reset(50_000, 12n, false, true);
    assert.deepEqual(follower.state, {
      logStartOffset: 2n,
      logEndOffset: 10n,
      lastFetchLeaderLogEndOffset: 12n,
      lastFetchTimeMs: 50_000,
      lastCaughtUpTimeMs: 50_000,
    });
  });
});
