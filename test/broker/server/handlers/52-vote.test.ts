import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { voteRequest } from "../../../../broker/raft/raft-messages.ts";
import { routedQuorumOfOne } from "./raft-handler-fixture.ts";

describe("Vote", () => {
  it("when a candidate asks in an epoch older than the leader's, then it is refused with the leader and epoch", async (t) => {
    const { broker } = await routedQuorumOfOne(t);
    const response = await broker.request(Apis.Vote, 0, voteRequest(1, 0, { offset: 0n, epoch: 0 }));
    assert.equal(response?.errorCode, ErrorCode.NONE);
    assert.deepEqual(response?.topics[0]?.partitions[0], {
      partitionIndex: 0,
      errorCode: ErrorCode.FENCED_LEADER_EPOCH,
      leaderId: 0,
      leaderEpoch: 1,
      voteGranted: false,
    });
  });

  it("when the request names another topic, then it is INVALID_REQUEST as a whole", async (t) => {
    const { broker } = await routedQuorumOfOne(t);
    const request = voteRequest(1, 5, { offset: 0n, epoch: 0 });
    request.topics[0]!.topicName = "points.events";
    const response = await broker.request(Apis.Vote, 0, request);
    assert.equal(response?.errorCode, ErrorCode.INVALID_REQUEST);
  });
});
