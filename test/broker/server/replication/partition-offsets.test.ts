// The offsets a replica answers ListOffsets and OffsetForLeaderEpoch with, and the checks before.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { lastOffsetForLeaderEpoch, offsetSnapshot } from "../../../../broker/server/replication/partition-offsets.ts";
import { batchOfSize } from "../../storage/batch-builder.ts";
import { txnBatch } from "../transactional-batches.ts";
import { leaderAlone, records, replicatedPartition } from "./partition-state-fixture.ts";

describe("partition offsets", () => {
  it("when the leader is asked, then it answers its log start, high watermark, last stable offset and log end", (t) => {
    const { state } = leaderAlone(t);
    state.appendAsLeader(records(2), 1);
    state.appendAsLeader(txnBatch(7n, 0), 1);
    assert.deepEqual(offsetSnapshot(state, -1, true), {
      errorCode: ErrorCode.NONE,
      logStartOffset: 0n,
      highWatermark: 3n,
      lastStableOffset: 2n,
      logEndOffset: 3n,
    });
  });

  it("when a follower is asked for the leader's answer, then NOT_LEADER_OR_FOLLOWER; a stale epoch, FENCED_LEADER_EPOCH", (t) => {
    const { state } = replicatedPartition(t, { localBrokerId: 1 });
    state.makeFollower({ leader: 0, leaderEpoch: 2, partitionEpoch: 0, replicas: [0, 1] });
    assert.equal(offsetSnapshot(state, -1, true).errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    assert.equal(offsetSnapshot(state, -1, false).errorCode, ErrorCode.NONE);
    assert.equal(offsetSnapshot(state, 1, false).errorCode, ErrorCode.FENCED_LEADER_EPOCH);
    assert.equal(lastOffsetForLeaderEpoch(state, -1, 2, true).errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  });

  it("when asked for an epoch's end, then the next epoch's start; below every epoch, the epoch asked and where the first one starts (Kafka's answer)", (t) => {
    const { state, partition } = replicatedPartition(t, { localBrokerId: 1 });
    state.makeFollower({ leader: 0, leaderEpoch: 3, partitionEpoch: 0, replicas: [0, 1] });
    partition.appendAsFollower(
      Buffer.concat([
        batchOfSize(2, 10, { baseOffset: 0n, partitionLeaderEpoch: 2 }),
        batchOfSize(1, 10, { baseOffset: 2n, partitionLeaderEpoch: 3 }),
      ]),
    );
    assert.deepEqual(lastOffsetForLeaderEpoch(state, 3, 2, false), { errorCode: 0, leaderEpoch: 2, endOffset: 2n });
    assert.deepEqual(lastOffsetForLeaderEpoch(state, -1, 1, false), { errorCode: 0, leaderEpoch: 1, endOffset: 0n });
  });
});
