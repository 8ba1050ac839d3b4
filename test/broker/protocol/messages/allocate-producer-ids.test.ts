import { describe, it } from "node:test";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { assertWireBytes, hex } from "./wire-bytes.ts";

describe("AllocateProducerIds v0 (flexible)", () => {
  it("when a broker asks for a block, then it sends its id and epoch", () => {
    assertWireBytes(
      Apis.AllocateProducerIds.requestSchema,
      0,
      { brokerId: 1, brokerEpoch: 3n },
      hex("00000001 0000000000000003 00"),
    );
  });

  it("when the controller answers, then the block is its first id and length", () => {
    assertWireBytes(
      Apis.AllocateProducerIds.responseSchema,
      0,
      { throttleTimeMs: 0, errorCode: 0, producerIdStart: 1000n, producerIdLen: 1000 },
      hex("00000000 0000 00000000000003e8 000003e8 00"),
    );
  });
});
