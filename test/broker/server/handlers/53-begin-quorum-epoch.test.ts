import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { beginQuorumEpochRequest } from "../../../../broker/raft/raft-messages.ts";
import { routedQuorumOfOne } from "./raft-handler-fixture.ts";

describe("BeginQuorumEpoch", () => {
  it("when an old epoch's leader announces itself, then it is told FENCED_LEADER_EPOCH and the current leader", async (t) => {
    const { broker, node } = await routedQuorumOfOne(t);
    const response = await broker.request(Apis.BeginQuorumEpoch, 0, beginQuorumEpochRequest(2, 0));
    assert.deepEqual(response?.topics[0]?.partitions[0], {
      partitionIndex: 0,
      errorCode: ErrorCode.FENCED_LEADER_EPOCH,
      leaderId: 0,
      leaderEpoch: 1,
    });
    assert.equal(node.isLeader, true);
  });
});
