import { describe, it } from "node:test";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { assertWireBytes, hex } from "./wire-bytes.ts";

describe("BrokerHeartbeat v0 (flexible)", () => {
  it("when a broker heartbeats, then its id, epoch and metadata offset are fixed-width, the wishes one byte each", () => {
    assertWireBytes(
      Apis.BrokerHeartbeat.requestSchema,
      0,
      { brokerId: 2, brokerEpoch: 17n, currentMetadataOffset: 300n, wantFence: false, wantShutDown: true },
      hex("00000002 0000000000000011 000000000000012c 00 01 00"),
    );
  });

  it("when the controller answers, then throttle, error and the three flags follow in order", () => {
    assertWireBytes(
      Apis.BrokerHeartbeat.responseSchema,
      0,
      { throttleTimeMs: 0, errorCode: 0, isCaughtUp: true, isFenced: false, shouldShutDown: false },
      hex("00000000 0000 01 00 00 00"),
    );
  });

  it("when the answer leaves the defaulted flags out, then not caught up and fenced are written", () => {
    assertWireBytes(
      Apis.BrokerHeartbeat.responseSchema,
      0,
      { throttleTimeMs: 0, errorCode: 0, shouldShutDown: false },
      hex("00000000 0000 00 01 00 00"),
    );
  });
});
