import { describe, it } from "node:test";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { assertWireBytes, classicString, compactString, hex } from "./wire-bytes.ts";

const request = {
  replicaId: 2,
  topics: [{ topic: "t", partitions: [{ partition: 1, currentLeaderEpoch: 6, leaderEpoch: 5 }] }],
};
const response = {
  throttleTimeMs: 0,
  topics: [{ topic: "t", partitions: [{ errorCode: 0, partition: 1, leaderEpoch: 5, endOffset: 80n }] }],
};

describe("OffsetForLeaderEpoch v2-4", () => {
  it("when a v2 request is written, then it has no replica id and classic arrays and strings", () => {
    assertWireBytes(
      Apis.OffsetForLeaderEpoch.requestSchema,
      2,
      request,
      hex(`00000001 ${classicString("t")} 00000001 00000001 00000006 00000005`),
    );
  });

  it("when a v3 request is written, then the replica id comes first", () => {
    assertWireBytes(
      Apis.OffsetForLeaderEpoch.requestSchema,
      3,
      request,
      hex(`00000002 00000001 ${classicString("t")} 00000001 00000001 00000006 00000005`),
    );
  });

  it("when a v4 request is written, then it is flexible", () => {
    assertWireBytes(
      Apis.OffsetForLeaderEpoch.requestSchema,
      4,
      request,
      hex(`00000002 02 ${compactString("t")} 02 00000001 00000006 00000005 00 00 00`),
    );
  });

  it("when the end offset of an epoch is answered at v2 and v3, then the layout is the same", () => {
    for (const version of [2, 3]) {
      assertWireBytes(
        Apis.OffsetForLeaderEpoch.responseSchema,
        version,
        response,
        hex(`00000000 00000001 ${classicString("t")} 00000001 0000 00000001 00000005 0000000000000050`),
      );
    }
  });

  it("when the end offset of an epoch is answered at v4, then it is flexible", () => {
    assertWireBytes(
      Apis.OffsetForLeaderEpoch.responseSchema,
      4,
      response,
      hex(`00000000 02 ${compactString("t")} 02 0000 00000001 00000005 0000000000000050 00 00 00`),
    );
  });

  it("when a v2 request is decoded, then the replica id is the debugging consumer's -2", () => {
    const decoded = assertWireBytes(
      Apis.OffsetForLeaderEpoch.requestSchema,
      2,
      { replicaId: -2, topics: [] },
      hex("00000000"),
    );
    if (decoded.replicaId !== -2) throw new Error(`replica id ${decoded.replicaId}`);
  });
});
