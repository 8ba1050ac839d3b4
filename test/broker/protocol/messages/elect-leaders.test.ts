import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { assertWireBytes, classicString, compactString, hex } from "./wire-bytes.ts";

const request = { electionType: 0, topicPartitions: [{ topic: "t", partitions: [0, 2] }], timeoutMs: 1000 };
const response = {
  throttleTimeMs: 0,
  errorCode: 0,
  replicaElectionResults: [
    {
      topic: "t",
      partitionResult: [
        { partitionId: 0, errorCode: 0, errorMessage: null },
        { partitionId: 2, errorCode: 84, errorMessage: "x" },
      ],
    },
  ],
};

describe("ElectLeaders v0-2", () => {
  it("when a v0 request is written, then it has no election type (preferred is implied)", () => {
    const decoded = assertWireBytes(
      Apis.ElectLeaders.requestSchema,
      0,
      request,
      hex(`00000001 ${classicString("t")} 00000002 00000000 00000002 000003e8`),
    );
    assert.equal(decoded.electionType, 0);
  });

  it("when a v1 request is written, then the election type comes first", () => {
    assertWireBytes(
      Apis.ElectLeaders.requestSchema,
      1,
      { ...request, electionType: 1 },
      hex(`01 00000001 ${classicString("t")} 00000002 00000000 00000002 000003e8`),
    );
  });

  it("when a v2 request asks for every partition, then the topic list is the compact null", () => {
    assertWireBytes(
      Apis.ElectLeaders.requestSchema,
      2,
      { electionType: 0, topicPartitions: null, timeoutMs: 1000 },
      hex("00 00 000003e8 00"),
    );
    assertWireBytes(
      Apis.ElectLeaders.requestSchema,
      2,
      request,
      hex(`00 02 ${compactString("t")} 03 00000000 00000002 00 000003e8 00`),
    );
  });

  it("when results are answered at v0, then there is no top-level error code", () => {
    assertWireBytes(
      Apis.ElectLeaders.responseSchema,
      0,
      response,
      hex(`00000000 00000001 ${classicString("t")} 00000002 00000000 0000 ffff 00000002 0054 ${classicString("x")}`),
    );
  });

  it("when results are answered at v1 and v2, then the top-level error code follows the throttle time", () => {
    assertWireBytes(
      Apis.ElectLeaders.responseSchema,
      1,
      response,
      hex(
        `00000000 0000 00000001 ${classicString("t")} 00000002 00000000 0000 ffff 00000002 0054 ${classicString("x")}`,
      ),
    );
    assertWireBytes(
      Apis.ElectLeaders.responseSchema,
      2,
      response,
      hex(`00000000 0000 02 ${compactString("t")} 03 00000000 0000 00 00 00000002 0054 ${compactString("x")} 00 00 00`),
    );
  });
});
