import { describe, it } from "node:test";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { assertWireBytes, classicString, hex } from "./wire-bytes.ts";

describe("SaslHandshake v0–v1", () => {
  for (const version of [0, 1]) {
    it(`when a client names its mechanism at v${version}, then the request is one classic string`, () => {
      assertWireBytes(Apis.SaslHandshake.requestSchema, version, { mechanism: "PLAIN" }, hex("0005 504c41494e"));
    });

    it(`when the broker answers at v${version}, then an error code and the enabled mechanisms as a classic array`, () => {
      assertWireBytes(
        Apis.SaslHandshake.responseSchema,
        version,
        { errorCode: 33, mechanisms: ["PLAIN", "SCRAM-SHA-256"] },
        hex(`
          0021
          00000002 ${classicString("PLAIN")} ${classicString("SCRAM-SHA-256")}`),
      );
    });
  }
});
