import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { API_LIST } from "../../../../broker/protocol/apis.ts";
import { handlersByKey } from "../../../../broker/server/handlers/index.ts";

describe("the handler table", () => {
  it("when it is built, then every advertised API has exactly one handler, filed under that API's key", () => {
    assert.deepEqual(
      [...handlersByKey.keys()].sort((a, b) => a - b),
      API_LIST.map((api) => api.apiKey),
    );
    for (const [key, handler] of handlersByKey) {
      assert.equal(handler.api.apiKey, key);
      assert.equal(
        handler.api,
        API_LIST.find((api) => api.apiKey === key),
      );
    }
  });
});
