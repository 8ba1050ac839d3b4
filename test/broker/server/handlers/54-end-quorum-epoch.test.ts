import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { endQuorumEpochRequest } from "../../../../broker/raft/raft-messages.ts";
import { routedQuorumOfOne } from "./raft-handler-fixture.ts";

describe("EndQuorumEpoch", () => {
  it("when a leader of an older epoch resigns, then it is told FENCED_LEADER_EPOCH and nothing changes", async (t) => {
    const { broker, node } = await routedQuorumOfOne(t);
    const response = await broker.request(Apis.EndQuorumEpoch, 0, endQuorumEpochRequest(2, 0, [0]));
    assert.deepEqual(response?.topics[0]?.partitions[0], {
      partitionIndex: 0,
      errorCode: ErrorCode.FENCED_LEADER_EPOCH,
      leaderId: 0,
      leaderEpoch: 1,
    });
    assert.equal(node.isLeader, true);
  });
});
