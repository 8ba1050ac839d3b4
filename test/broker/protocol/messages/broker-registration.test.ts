import { describe, it } from "node:test";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { assertWireBytes, compactString, hex } from "./wire-bytes.ts";

describe("BrokerRegistration v0 (flexible)", () => {
  it("when a broker registers, then its listeners carry a uint16 port and features their version range", () => {
    assertWireBytes(
      Apis.BrokerRegistration.requestSchema,
      0,
      {
        brokerId: 2,
        clusterId: "c1",
        incarnationId: hex("00112233445566778899aabbccddeeff"),
        listeners: [{ name: "PLAINTEXT", host: "h", port: 60000, securityProtocol: 0 }],
        features: [{ name: "metadata.version", minSupportedVersion: 1, maxSupportedVersion: 7 }],
        rack: null,
      },
      hex(`
        00000002 ${compactString("c1")} 00112233445566778899aabbccddeeff
        02 ${compactString("PLAINTEXT")} ${compactString("h")} ea60 0000 00
        02 ${compactString("metadata.version")} 0001 0007 00
        00
        00`),
    );
  });

  it("when the controller answers, then it gives the broker epoch", () => {
    assertWireBytes(
      Apis.BrokerRegistration.responseSchema,
      0,
      { throttleTimeMs: 0, errorCode: 0, brokerEpoch: 12n },
      hex("00000000 0000 000000000000000c 00"),
    );
  });
});
