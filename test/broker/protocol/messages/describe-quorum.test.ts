import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { assertWireBytes, compactString, hex } from "./wire-bytes.ts";

const metadataTopic = compactString("__cluster_metadata");
const answer = {
  errorCode: 0,
  topics: [
    {
      topicName: "__cluster_metadata",
      partitions: [
        {
          partitionIndex: 0,
          errorCode: 0,
          leaderId: 0,
          leaderEpoch: 2,
          highWatermark: 10n,
          currentVoters: [{ replicaId: 0, logEndOffset: 11n, lastFetchTimestamp: 5n, lastCaughtUpTimestamp: 4n }],
          observers: [],
        },
      ],
    },
  ],
};

describe("DescribeQuorum v0-1 (flexible)", () => {
  it("when the quorum is asked about, then the request names the metadata partition", () => {
    for (const version of [0, 1]) {
      assertWireBytes(
        Apis.DescribeQuorum.requestSchema,
        version,
        { topics: [{ topicName: "__cluster_metadata", partitions: [{ partitionIndex: 0 }] }] },
        hex(`02 ${metadataTopic} 02 00000000 00 00 00`),
      );
    }
  });

  it("when v0 answers, then a replica state is its id and log end offset only", () => {
    const decoded = assertWireBytes(
      Apis.DescribeQuorum.responseSchema,
      0,
      answer,
      hex(`
        0000
        02 ${metadataTopic}
          02 00000000 0000 00000000 00000002 000000000000000a
            02 00000000 000000000000000b 00
            01
          00
          00
        00`),
    );
    assert.equal(decoded.topics[0]?.partitions[0]?.currentVoters[0]?.lastFetchTimestamp, -1n);
  });

  it("when v1 answers, then a replica state adds its last fetch and caught-up times", () => {
    assertWireBytes(
      Apis.DescribeQuorum.responseSchema,
      1,
      answer,
      hex(`
        0000
        02 ${metadataTopic}
          02 00000000 0000 00000000 00000002 000000000000000a
            02 00000000 000000000000000b 0000000000000005 0000000000000004 00
            01
          00
          00
        00`),
    );
  });
});
