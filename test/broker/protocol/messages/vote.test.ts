import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { assertWireBytes, compactString, hex } from "./wire-bytes.ts";

const metadataTopic = compactString("__cluster_metadata");

describe("Vote v0 (flexible)", () => {
  it("when a candidate asks for a vote, then the request is compact strings and arrays with empty tag sections", () => {
    const decoded = assertWireBytes(
      Apis.Vote.requestSchema,
      0,
      {
        clusterId: "c1",
        topics: [
          {
            topicName: "__cluster_metadata",
            partitions: [{ partitionIndex: 0, candidateEpoch: 5, candidateId: 1, lastOffsetEpoch: 4, lastOffset: 42n }],
          },
        ],
      },
      hex(`
        03 6331
        02 ${metadataTopic}
          02 00000000 00000005 00000001 00000004 000000000000002a 00
          00
        00`),
    );
    assert.equal(decoded.topics[0]?.partitions[0]?.lastOffset, 42n);
  });

  it("when the cluster id is left null, then it is the compact null (0)", () => {
    assertWireBytes(Apis.Vote.requestSchema, 0, { clusterId: null, topics: [] }, hex("00 01 00"));
  });

  it("when a voter answers, then the response carries the vote and the leader it knows", () => {
    assertWireBytes(
      Apis.Vote.responseSchema,
      0,
      {
        errorCode: 0,
        topics: [
          {
            topicName: "__cluster_metadata",
            partitions: [{ partitionIndex: 0, errorCode: 0, leaderId: -1, leaderEpoch: 5, voteGranted: true }],
          },
        ],
      },
      hex(`
        0000
        02 ${metadataTopic}
          02 00000000 0000 ffffffff 00000005 01 00
          00
        00`),
    );
  });
});
