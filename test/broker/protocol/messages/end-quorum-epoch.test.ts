import { describe, it } from "node:test";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { assertWireBytes, classicString, hex } from "./wire-bytes.ts";

const metadataTopic = classicString("__cluster_metadata");

describe("EndQuorumEpoch v0 (not flexible)", () => {
  it("when a leader resigns, then the request names its preferred successors in order", () => {
    assertWireBytes(
      Apis.EndQuorumEpoch.requestSchema,
      0,
      {
        clusterId: null,
        topics: [
          {
            topicName: "__cluster_metadata",
            partitions: [{ partitionIndex: 0, leaderId: 0, leaderEpoch: 3, preferredSuccessors: [2, 1] }],
          },
        ],
      },
      hex(`ffff 00000001 ${metadataTopic} 00000001 00000000 00000000 00000003 00000002 00000002 00000001`),
    );
  });

  it("when a voter answers, then the response has the same layout as BeginQuorumEpoch's", () => {
    assertWireBytes(
      Apis.EndQuorumEpoch.responseSchema,
      0,
      {
        errorCode: 0,
        topics: [
          {
            topicName: "__cluster_metadata",
            partitions: [{ partitionIndex: 0, errorCode: 0, leaderId: -1, leaderEpoch: 3 }],
          },
        ],
      },
      hex(`0000 00000001 ${metadataTopic} 00000001 00000000 0000 ffffffff 00000003`),
    );
  });
});
