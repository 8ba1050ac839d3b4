import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { routedQuorumOfOne } from "./raft-handler-fixture.ts";

const describeMetadataLog = { topics: [{ topicName: "__cluster_metadata", partitions: [{ partitionIndex: 0 }] }] };

describe("DescribeQuorum", () => {
  it("when the leader is asked, then it tells its epoch, high watermark and each voter's log end", async (t) => {
    const { broker, node } = await routedQuorumOfOne(t);
    await node.propose([Buffer.from("record")]);
    const response = await broker.request(Apis.DescribeQuorum, 1, describeMetadataLog);
    const partition = response?.topics[0]?.partitions[0];
    assert.equal(response?.errorCode, ErrorCode.NONE);
    assert.equal(partition?.errorCode, ErrorCode.NONE);
    assert.equal(partition?.leaderId, 0);
    assert.equal(partition?.leaderEpoch, 1);
    assert.equal(partition?.highWatermark, 2n);
    assert.deepEqual(
      partition?.currentVoters.map((voter) => [voter.replicaId, voter.logEndOffset]),
      [[0, 2n]],
    );
    assert.deepEqual(partition?.observers, []);
  });

  it("when the request names another partition, then it is INVALID_REQUEST", async (t) => {
    const { broker } = await routedQuorumOfOne(t);
    const response = await broker.request(Apis.DescribeQuorum, 1, {
      topics: [{ topicName: "__cluster_metadata", partitions: [{ partitionIndex: 1 }] }],
    });
    assert.equal(response?.errorCode, ErrorCode.INVALID_REQUEST);
  });
});
