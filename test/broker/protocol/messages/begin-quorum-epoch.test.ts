import { describe, it } from "node:test";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { assertWireBytes, classicString, hex } from "./wire-bytes.ts";

const metadataTopic = classicString("__cluster_metadata");

describe("BeginQuorumEpoch v0 (not flexible)", () => {
  it("when a new leader announces its epoch, then the request uses classic strings and arrays", () => {
    assertWireBytes(
      Apis.BeginQuorumEpoch.requestSchema,
      0,
      {
        clusterId: "c1",
        topics: [{ topicName: "__cluster_metadata", partitions: [{ partitionIndex: 0, leaderId: 1, leaderEpoch: 3 }] }],
      },
      hex(`${classicString("c1")} 00000001 ${metadataTopic} 00000001 00000000 00000001 00000003`),
    );
  });

  it("when the cluster id is null, then it is the classic null string (-1)", () => {
    assertWireBytes(Apis.BeginQuorumEpoch.requestSchema, 0, { clusterId: null, topics: [] }, hex("ffff 00000000"));
  });

  it("when a voter acknowledges, then the response has the error codes and the leader it knows", () => {
    assertWireBytes(
      Apis.BeginQuorumEpoch.responseSchema,
      0,
      {
        errorCode: 0,
        topics: [
          {
            topicName: "__cluster_metadata",
            partitions: [{ partitionIndex: 0, errorCode: 0, leaderId: 1, leaderEpoch: 3 }],
          },
        ],
      },
      hex(`0000 00000001 ${metadataTopic} 00000001 00000000 0000 00000001 00000003`),
    );
  });
});
