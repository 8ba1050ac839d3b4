// A leader's view of its replicas: the high watermark a majority holds (only past the epoch's
// start), observers that do not count, acknowledgements, successors and the check-quorum timer.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LeaderState } from "../../../broker/raft/leader-state.ts";

function leader(options: { voters?: number[]; epochStartOffset?: bigint; now?: number } = {}): LeaderState {
  return new LeaderState({
    localId: 0,
    epoch: 3,
    epochStartOffset: options.epochStartOffset ?? 10n,
    voters: options.voters ?? [0, 1, 2],
    grantingVoters: [0, 1],
    fetchTimeoutMs: 2000,
    now: options.now ?? 0,
  });
}

describe("the high watermark", () => {
  it("when a majority holds an offset past the epoch start, then the high watermark moves there", () => {
    const state = leader();
    assert.equal(state.updateLocalEndOffset(15n, 0), false, "the leader alone is no majority");
    assert.equal(state.highWatermark, null);
    assert.equal(state.updateReplica(1, 13n, 15n, 1), true);
    assert.equal(state.highWatermark, 13n);
    assert.equal(state.updateReplica(2, 15n, 15n, 2), true);
    assert.equal(state.highWatermark, 15n);
  });

  it("when a majority holds only entries of earlier epochs, then nothing commits yet", () => {
    const state = leader({ epochStartOffset: 10n });
    state.updateLocalEndOffset(11n, 0);
    assert.equal(state.updateReplica(1, 10n, 11n, 1), false);
    assert.equal(state.highWatermark, null);
    assert.equal(state.updateReplica(2, 11n, 11n, 2), true);
    assert.equal(state.highWatermark, 11n);
  });

  it("when a follower reports a lower offset later, then the high watermark never goes back", () => {
    const state = leader();
    state.updateLocalEndOffset(20n, 0);
    state.updateReplica(1, 20n, 20n, 1);
    assert.equal(state.highWatermark, 20n);
    assert.equal(state.updateReplica(1, 12n, 20n, 2), false);
    assert.equal(state.highWatermark, 20n);
  });

  it("when observers fetch, then they are tracked but never count towards the majority", () => {
    const state = leader();
    state.updateLocalEndOffset(20n, 0);
    assert.equal(state.updateReplica(7, 20n, 20n, 1), false);
    assert.equal(state.highWatermark, null);
    assert.deepEqual(
      state.observerProgress().map((progress) => [progress.replicaId, progress.endOffset]),
      [[7, 20n]],
    );
  });

  it("when the quorum is this leader alone, then its own end offset commits", () => {
    const state = leader({ voters: [0] });
    assert.equal(state.updateLocalEndOffset(11n, 0), true);
    assert.equal(state.highWatermark, 11n);
    assert.equal(state.checkQuorumDeadline, Number.POSITIVE_INFINITY);
  });
});

describe("the voters' standing", () => {
  it("when voters fetch or acknowledge, then they leave the unacknowledged list", () => {
    const state = leader();
    assert.deepEqual(state.unacknowledgedVoters(), [1, 2]);
    state.updateReplica(1, 10n, 10n, 1);
    state.acknowledge(2);
    assert.deepEqual(state.unacknowledgedVoters(), []);
  });

  it("when successors are listed, then the most up-to-date voter comes first and the leader not at all", () => {
    const state = leader();
    state.updateReplica(2, 14n, 15n, 1);
    state.updateReplica(1, 12n, 15n, 1);
    assert.deepEqual(state.successorsByEndOffset(), [2, 1]);
  });

  it("when a majority keeps fetching, then the check-quorum deadline moves on; when it stops, it stays", () => {
    const state = leader({ now: 0 });
    assert.equal(state.checkQuorumDeadline, 3000, "1.5 fetch timeouts");
    state.updateReplica(1, 10n, 10n, 2500);
    assert.equal(state.checkQuorumDeadline, 5500);
    state.updateReplica(7, 10n, 10n, 4000);
    assert.equal(state.checkQuorumDeadline, 5500, "an observer does not count");
  });

  it("when a follower caught up at its previous fetch, then its caught-up time is that fetch's", () => {
    const state = leader();
    state.updateReplica(1, 5n, 10n, 100);
    state.updateReplica(1, 10n, 12n, 200);
    const progress = state.voterProgress().find((voter) => voter.replicaId === 1)!;
    assert.equal(progress.lastFetchTimestamp, 200);
    assert.equal(progress.lastCaughtUpTimestamp, 100);
    state.updateReplica(1, 12n, 12n, 300);
    assert.equal(state.voterProgress().find((voter) => voter.replicaId === 1)!.lastCaughtUpTimestamp, 300);
  });
});
