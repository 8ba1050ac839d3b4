import { describe, it } from "node:test";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { assertWireBytes, compactString, hex } from "./wire-bytes.ts";

describe("DescribeCluster v0 (flexible)", () => {
  it("when a client asks, then the request is one flag and an empty tag section", () => {
    assertWireBytes(Apis.DescribeCluster.requestSchema, 0, { includeClusterAuthorizedOperations: false }, hex("00 00"));
  });

  it("when the cluster is described, then brokers carry an int32 port and a nullable rack", () => {
    assertWireBytes(
      Apis.DescribeCluster.responseSchema,
      0,
      {
        throttleTimeMs: 0,
        errorCode: 0,
        errorMessage: null,
        clusterId: "c1",
        controllerId: 1,
        brokers: [{ brokerId: 1, host: "h", port: 9092, rack: null }],
        clusterAuthorizedOperations: -2147483648,
      },
      hex(
        `00000000 0000 00 ${compactString("c1")} 00000001 02 00000001 ${compactString("h")} 00002384 00 00 80000000 00`,
      ),
    );
  });
});
