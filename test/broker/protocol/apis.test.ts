import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  API_LIST,
  ApiKeys,
  Apis,
  apiByKey,
  isFlexible,
  isSupportedVersion,
  requestHeaderVersion,
  responseHeaderVersion,
} from "../../../broker/protocol/apis.ts";
import { Reader, Writer } from "../../../broker/protocol/primitives.ts";
import type { MessageSchema } from "../../../broker/protocol/schema.ts";
import { decode, encode } from "../../../broker/protocol/schema.ts";
import { sampleMessage } from "./sample-values.ts";

const EXPECTED_RANGES: Record<number, [number, number]> = {
  0: [0, 7],
  1: [4, 13],
  2: [1, 5],
  3: [0, 12],
  8: [2, 9],
  9: [1, 9],
  10: [0, 4],
  11: [2, 5],
  12: [1, 3],
  13: [1, 5],
  14: [1, 3],
  15: [0, 5],
  16: [0, 5],
  17: [0, 1],
  18: [0, 3],
  19: [0, 4],
  20: [1, 3],
  21: [0, 2],
  22: [0, 4],
  23: [2, 4],
  24: [0, 3],
  25: [0, 3],
  26: [0, 3],
  27: [0, 1],
  28: [0, 3],
  32: [0, 2],
  33: [0, 2],
  35: [0, 4],
  36: [0, 2],
  37: [0, 1],
  42: [0, 2],
  43: [0, 2],
  44: [0, 1],
  45: [0, 0],
  46: [0, 0],
  52: [0, 0],
  53: [0, 0],
  54: [0, 0],
  55: [0, 1],
  56: [2, 2],
  60: [0, 0],
  62: [0, 0],
  63: [0, 0],
  67: [0, 0],
  68: [0, 1],
  69: [0, 0],
};

/** The flexible versions in our ranges: each API's spec flexibleVersions, restated. */
const FLEXIBLE_FROM: Record<number, number> = {
  1: 12,
  3: 9,
  8: 8,
  9: 6,
  10: 3,
  13: 4,
  15: 5,
  16: 3,
  18: 3,
  21: 2,
  22: 2,
  23: 4,
  24: 3,
  25: 3,
  26: 3,
  27: 1,
  28: 3,
  33: 2,
  35: 2,
  36: 2,
  42: 2,
  43: 2,
  44: 1,
  45: 0,
  46: 0,
  52: 0,
  53: 1,
  54: 1,
  55: 0,
  56: 0,
  60: 0,
  62: 0,
  63: 0,
  67: 0,
  68: 0,
  69: 0,
};

function assertRoundTrip(schema: MessageSchema<unknown>, version: number, value: unknown): void {
  const bytes = encode(schema, version, value, new Writer()).toBuffer();
  const reader = new Reader(bytes);
  const decoded = decode(schema, version, reader);
  assert.equal(reader.remaining, 0, `${schema.name} v${version} left bytes unread`);
  assert.deepEqual(decoded, value, `${schema.name} v${version} decoded differently`);
  const reencoded = encode(schema, version, decoded, new Writer()).toBuffer();
  assert.deepEqual(reencoded, bytes, `${schema.name} v${version} re-encoded differently`);
}

describe("API table", () => {
  it("when listing the APIs, then exactly the advertised set and ranges appear, by key", () => {
    const actual = Object.fromEntries(API_LIST.map((api) => [api.apiKey, [api.minVersion, api.maxVersion]]));
    assert.deepEqual(actual, EXPECTED_RANGES);
    assert.deepEqual(
      API_LIST.map((api) => api.apiKey),
      Object.keys(EXPECTED_RANGES).map(Number),
    );
    for (const api of API_LIST) {
      assert.equal(api.requestSchema.apiKey, api.apiKey);
      assert.equal(api.responseSchema.apiKey, api.apiKey);
      assert.equal(ApiKeys[api.name as keyof typeof ApiKeys], api.apiKey);
    }
  });

  it("when looking up by key, then known keys resolve and unknown ones do not", () => {
    assert.equal(apiByKey(0), Apis.Produce);
    assert.equal(apiByKey(60), Apis.DescribeCluster);
    assert.equal(apiByKey(61), undefined);
    assert.equal(isSupportedVersion(ApiKeys.Fetch, 13), true);
    assert.equal(isSupportedVersion(ApiKeys.Fetch, 14), false);
    assert.equal(isSupportedVersion(ApiKeys.Produce, 0), true);
    assert.equal(isSupportedVersion(ApiKeys.Produce, 8), false);
  });

  it("when a version is flexible by its spec, then requests use header v2 and responses header v1, ApiVersions' always v0", () => {
    for (const api of API_LIST) {
      for (let version = api.minVersion; version <= api.maxVersion; version++) {
        const flexibleFrom = FLEXIBLE_FROM[api.apiKey];
        const flexible = flexibleFrom !== undefined && version >= flexibleFrom;
        assert.equal(isFlexible(api.apiKey, version), flexible, `${api.name} v${version}`);
        assert.equal(requestHeaderVersion(api.apiKey, version), flexible ? 2 : 1);
        assert.equal(
          responseHeaderVersion(api.apiKey, version),
          flexible && api.apiKey !== ApiKeys.ApiVersions ? 1 : 0,
        );
      }
    }
    // Beyond our range the spec still decides, so a newer client's header parses.
    assert.equal(requestHeaderVersion(ApiKeys.ApiVersions, 4), 2);
    assert.equal(requestHeaderVersion(ApiKeys.Metadata, 13), 2);
    assert.equal(responseHeaderVersion(ApiKeys.Metadata, 13), 1);
    assert.equal(responseHeaderVersion(ApiKeys.ApiVersions, 4), 0);
    assert.equal(requestHeaderVersion(ApiKeys.BeginQuorumEpoch, 1), 2);
  });
});

describe("every API and version round trips", () => {
  for (const api of API_LIST) {
    for (let version = api.minVersion; version <= api.maxVersion; version++) {
      for (const [kind, schema] of [
        ["request", api.requestSchema],
        ["response", api.responseSchema],
      ] as const) {
        it(`when a populated ${api.name} v${version} ${kind} is encoded and decoded, then it is unchanged`, () => {
          assertRoundTrip(schema, version, sampleMessage(schema, version, { nulls: false }));
        });
        it(`when a ${api.name} v${version} ${kind} has nulls in its nullable fields, then it round trips`, () => {
          assertRoundTrip(schema, version, sampleMessage(schema, version, { nulls: true }));
        });
      }
    }
  }
});
