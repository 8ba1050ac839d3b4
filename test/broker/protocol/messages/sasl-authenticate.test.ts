import { describe, it } from "node:test";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { assertWireBytes, classicString, compactString, hex } from "./wire-bytes.ts";

const token = Buffer.from("n,,n=u,r=abc");

describe("SaslAuthenticate v0–v2", () => {
  for (const version of [0, 1]) {
    it(`when a client sends a mechanism's message at v${version}, then it is int32-length bytes`, () => {
      assertWireBytes(
        Apis.SaslAuthenticate.requestSchema,
        version,
        { authBytes: token },
        hex(`0000000c ${token.toString("hex")}`),
      );
    });
  }

  it("when a client sends at v2 (flexible), then the bytes are compact and followed by an empty tag section", () => {
    assertWireBytes(
      Apis.SaslAuthenticate.requestSchema,
      2,
      { authBytes: token },
      hex(`0d ${token.toString("hex")} 00`),
    );
  });

  it("when the broker refuses at v0, then an error code, the message and empty bytes, without a session lifetime", () => {
    assertWireBytes(
      Apis.SaslAuthenticate.responseSchema,
      0,
      { errorCode: 58, errorMessage: "bad", authBytes: Buffer.alloc(0) },
      hex(`003a ${classicString("bad")} 00000000`),
    );
  });

  it("when the broker answers at v1, then a null message, its bytes and the session lifetime", () => {
    assertWireBytes(
      Apis.SaslAuthenticate.responseSchema,
      1,
      { errorCode: 0, errorMessage: null, authBytes: Buffer.from("v=x"), sessionLifetimeMs: 0n },
      hex("0000 ffff 00000003 763d78 0000000000000000"),
    );
  });

  it("when the broker answers at v2 (flexible), then compact string and bytes, the lifetime and an empty tag section", () => {
    assertWireBytes(
      Apis.SaslAuthenticate.responseSchema,
      2,
      { errorCode: 58, errorMessage: "no", authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n },
      hex(`003a ${compactString("no")} 01 0000000000000000 00`),
    );
  });
});
