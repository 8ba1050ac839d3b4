import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { API_LIST } from "../../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { handlersByKey, servedApis, supportedApiVersions } from "../../../../broker/server/handlers/index.ts";

describe("the handler table", () => {
  it("when it is built, then each handler is filed under its API's key and serves that API of the protocol table", () => {
    for (const [key, handler] of handlersByKey) {
      assert.equal(handler.api.apiKey, key);
      assert.equal(
        handler.api,
        API_LIST.find((api) => api.apiKey === key),
      );
    }
  });

  it("when the served APIs are listed, then they are exactly the handled ones, in key order", () => {
    assert.deepEqual(
      servedApis.map((api) => api.apiKey),
      [...handlersByKey.keys()].sort((a, b) => a - b),
    );
  });

  it("when ApiVersions is answered, then it lists the served APIs and ranges with the given error code", () => {
    const answer = supportedApiVersions(ErrorCode.UNSUPPORTED_VERSION);
    assert.equal(answer.errorCode, ErrorCode.UNSUPPORTED_VERSION);
    assert.deepEqual(
      answer.apiKeys.map((k) => [k.apiKey, k.minVersion, k.maxVersion]),
      servedApis.map((api) => [api.apiKey, api.minVersion, api.maxVersion]),
    );
    assert.equal(supportedApiVersions().errorCode, ErrorCode.NONE);
  });
});
