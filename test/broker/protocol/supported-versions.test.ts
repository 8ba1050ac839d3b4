import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as messages from "../../../broker/protocol/messages/index.ts";
import type { MessageSchema } from "../../../broker/protocol/schema.ts";
import { SUPPORTED_APIS } from "../../../broker/protocol/supported-versions.ts";

const schemas = messages as unknown as Record<string, MessageSchema>;

describe("supported API versions", () => {
  it("when the APIs are listed, then each key comes once, in ascending order, with a non-empty range", () => {
    const keys = SUPPORTED_APIS.map((api) => api.apiKey);
    assert.deepEqual(
      keys,
      [...new Set(keys)].sort((a, b) => a - b),
    );
    for (const api of SUPPORTED_APIS) assert.ok(api.minVersion <= api.maxVersion, `${api.name} range is empty`);
    for (const api of SUPPORTED_APIS) {
      const clientMax = api.clientMaxVersion ?? api.maxVersion;
      assert.ok(
        api.minVersion <= clientMax && clientMax <= api.maxVersion,
        `${api.name}: our client's versions are not in the range`,
      );
    }
  });

  it("when the messages were generated, then both schemas of each API cover exactly its range", () => {
    for (const api of SUPPORTED_APIS) {
      for (const schema of [schemas[`${api.name}RequestSchema`], schemas[`${api.name}ResponseSchema`]]) {
        assert.ok(schema, `no generated schema for ${api.name}: run npm run gen:protocol`);
        assert.equal(schema.apiKey, api.apiKey);
        assert.equal(
          schema.validVersions,
          `${api.minVersion}-${api.maxVersion}`,
          `${schema.name}: run npm run gen:protocol`,
        );
      }
    }
  });

  it("when librdkafka decides whether to compress, then Produce v0 is in the range (records stay magic 2)", () => {
    const produce = SUPPORTED_APIS.find((api) => api.name === "Produce");
    assert.equal(produce?.minVersion, 0);
  });
});
