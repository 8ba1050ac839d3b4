// Properties of the schema codec over every request schema and version in broker/protocol/messages:
// valid encodings round-trip byte for byte, and mutated encodings (bit flips, integer fields such
// as lengths and counts rewritten to extreme values, truncations) either decode or throw
// ProtocolDecodeError — never another error — and what they decode to stays within the frame's
// size (array items and bytes), so a bad frame cannot make the broker allocate beyond it.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { API_LIST, type ApiDefinition, apiByKey } from "../../../broker/protocol/apis.ts";
import { encodeRequest, peekApiKeyAndVersion, readRequestHeader } from "../../../broker/protocol/headers.ts";
import { ProtocolDecodeError, Reader } from "../../../broker/protocol/primitives.ts";
import { decode, encode, versionInRange } from "../../../broker/protocol/schema.ts";
import { seededRandom } from "../../../seed/load/workload.ts";
import { integerFieldsOf } from "../../helpers/fuzz/frame-fields.ts";
import { mutateFrame } from "../../helpers/fuzz/frame-mutations.ts";
import { messageArbitrary } from "./schema-arbitraries.ts";

/** Fixed, so a run is repeatable; a failure prints the case to replay. */
const SEED = 20_240_610;

const requestVersions: Array<{ api: ApiDefinition; version: number }> = API_LIST.flatMap((api) =>
  Array.from({ length: 64 }, (_, version) => version)
    .filter((version) => versionInRange(api.requestSchema.validVersions, version))
    .map((version) => ({ api, version })),
);

const requestCase = fc
  .constantFrom(...requestVersions)
  .chain(({ api, version }) => messageArbitrary(api.requestSchema, version).map((value) => ({ api, version, value })));

/** What the broker's router does with a frame up to the handler: the decoded request, or why not. */
function decodeAsTheBrokerWould(frame: Buffer): { request: unknown } | "dropped" | "refused" {
  if (frame.length < 8) return "dropped";
  const { apiKey, apiVersion } = peekApiKeyAndVersion(frame);
  const api = apiByKey(apiKey);
  if (!api || !versionInRange(api.requestSchema.validVersions, apiVersion)) return "dropped";
  try {
    const { bodyReader } = readRequestHeader(frame);
    return { request: decode(api.requestSchema, apiVersion, bodyReader) };
  } catch (error) {
    if (error instanceof ProtocolDecodeError) return "refused";
    throw error;
  }
}

/** Array items and bytes (strings, byte fields) in a decoded value. */
function sizeOf(value: unknown, total = { items: 0, bytes: 0 }): { items: number; bytes: number } {
  if (Buffer.isBuffer(value)) total.bytes += value.length;
  else if (typeof value === "string") total.bytes += Buffer.byteLength(value);
  else if (Array.isArray(value)) {
    total.items += value.length;
    for (const item of value) sizeOf(item, total);
  } else if (value !== null && typeof value === "object") {
    for (const field of Object.values(value)) sizeOf(field, total);
  }
  return total;
}

describe("request schemas under fast-check", () => {
  it("when any request of any version is encoded, then it decodes to the same value and re-encodes to the same bytes", () => {
    fc.assert(
      fc.property(requestCase, ({ api, version, value }) => {
        const bytes = encode(api.requestSchema, version, value).toBuffer();
        const reader = new Reader(bytes);
        const decoded = decode(api.requestSchema, version, reader);
        assert.equal(reader.remaining, 0);
        assert.deepEqual(decoded, value);
        assert.deepEqual(encode(api.requestSchema, version, decoded).toBuffer(), bytes);
      }),
      { seed: SEED, numRuns: 1500 },
    );
  });

  it("when a request frame is mutated, then it decodes within its own size or throws ProtocolDecodeError", () => {
    const outcomes = { decoded: 0, refused: 0, dropped: 0 };
    fc.assert(
      fc.property(requestCase, fc.integer(), ({ api, version, value }, mutationSeed) => {
        const frame = Buffer.concat(encodeRequest(api, version, 1, "mutated", value)).subarray(4);
        const mutated = mutateFrame(frame, integerFieldsOf(frame), seededRandom(mutationSeed)).body;
        const outcome = decodeAsTheBrokerWould(mutated);
        if (typeof outcome === "string") {
          outcomes[outcome]++;
          return;
        }
        outcomes.decoded++;
        const { items, bytes } = sizeOf(outcome.request);
        // Every array item takes at least one byte of the frame. Bytes may also come from the
        // defaults of fields a version lacks (a 16-byte uuid per item at most).
        assert.ok(items <= mutated.length, `${items} array items from a frame of ${mutated.length} bytes`);
        assert.ok(bytes <= 17 * mutated.length + 64, `${bytes} bytes from a frame of ${mutated.length} bytes`);
      }),
      { seed: SEED, numRuns: 3000 },
    );
    // The mutations must reach the decoder, not only the router's first checks.
    assert.ok(outcomes.decoded > 300 && outcomes.refused > 300, JSON.stringify(outcomes));
  });
});
