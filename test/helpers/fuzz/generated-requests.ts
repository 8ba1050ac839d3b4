// Valid request frames of every API and every version the broker knows, generated from the
// schemas with fast-check (the same arbitraries the codec's property tests use), repeatable from a
// seed. Produce requests carry real record batches (plain and gzip, with keys, values and
// headers) aimed partly at the fuzz topics, so that their appends and record checks are reached;
// a few carry a gzip bomb. Header-level oddities (an unknown API key, an unsupported version, a
// frame shorter than a header) complete the set.

import fc from "fast-check";
import { API_LIST, type ApiDefinition, Apis } from "../../../broker/protocol/apis.ts";
import { encodeRequest } from "../../../broker/protocol/headers.ts";
import type { ProduceRequest } from "../../../broker/protocol/messages/index.ts";
import { encodeRecordBatch, type RecordInput } from "../../../broker/protocol/record-batch/encoder.ts";
import { versionInRange } from "../../../broker/protocol/schema.ts";
import { seededRandom } from "../../../seed/load/workload.ts";
import { messageArbitrary } from "../../broker/protocol/schema-arbitraries.ts";
import type { RequestFrame } from "./frame-fields.ts";
import { pickWith, type Random } from "./frame-mutations.ts";

export interface GeneratedRequests {
  /** Valid frames (without size prefix), by API and version. */
  frames: RequestFrame[];
  /** How many (API, version) pairs they cover. */
  versions: number;
}

/** Every (API, version) pair the broker's API table has, within the version range it serves. */
export function requestVersions(): Array<{ api: ApiDefinition; version: number }> {
  return API_LIST.flatMap((api) =>
    Array.from({ length: api.maxVersion - api.minVersion + 1 }, (_, i) => api.minVersion + i)
      .filter((version) => versionInRange(api.requestSchema.validVersions, version))
      .map((version) => ({ api, version })),
  );
}

/**
 * `perVersion` valid frames of each (API, version) pair; Produce requests get real batches, half
 * of their topics renamed to one of `topics`.
 */
export function generateRequests(seed: number, perVersion: number, topics: readonly string[]): GeneratedRequests {
  const random = seededRandom(seed);
  const pairs = requestVersions();
  const frames: RequestFrame[] = [];
  pairs.forEach(({ api, version }, i) => {
    const values = fc.sample(messageArbitrary(api.requestSchema, version), { seed: seed + i, numRuns: perVersion });
    for (const value of values) {
      const body =
        api.apiKey === Apis.Produce.apiKey ? withRealBatches(value as ProduceRequest, topics, random) : value;
      frames.push(frameOf(api, version, body));
    }
  });
  return { frames, versions: pairs.length };
}

function frameOf(api: ApiDefinition, version: number, body: unknown): RequestFrame {
  return Buffer.concat(encodeRequest(api, version, 0, "fuzz", body)).subarray(4);
}

function withRealBatches(request: ProduceRequest, topics: readonly string[], random: Random): ProduceRequest {
  const pick = pickWith(random);
  return {
    ...request,
    acks: pick([-1, 1, 1, 0, request.acks]),
    timeoutMs: pick([1000, 5000, request.timeoutMs]),
    topicData: request.topicData.map((topic) => ({
      name: random() < 0.5 ? pick(topics) : topic.name,
      partitionData: topic.partitionData.map((partition) => ({
        index: random() < 0.7 ? Math.floor(random() * 2) : partition.index,
        records: randomBatches(random),
      })),
    })),
  };
}

function randomBatches(random: Random): Buffer {
  const batches = 1 + Math.floor(random() * 2);
  return Buffer.concat(Array.from({ length: batches }, () => randomBatch(random)));
}

function randomBatch(random: Random): Buffer {
  const count = 1 + Math.floor(random() * 4);
  const bytes = (max: number): Buffer => Buffer.from(Array.from({ length: Math.floor(random() * max) }, () => 97));
  const records: RecordInput[] = Array.from({ length: count }, (_, i) => ({
    key: random() < 0.3 ? null : bytes(12),
    value: random() < 0.1 ? null : bytes(60),
    headers: random() < 0.5 ? [] : [{ key: `h${i}`, value: random() < 0.2 ? null : bytes(8) }],
    timestamp: 1_700_000_000_000n + BigInt(i),
  }));
  return encodeRecordBatch({ records, compression: random() < 0.3 ? "gzip" : "none" });
}

/** Produce frames whose one batch inflates 1,000-fold (gzip of zeros): the broker must refuse it, not inflate it. */
export function gzipBombFrames(topics: readonly string[]): RequestFrame[] {
  const zeros = Buffer.alloc(64 * 1024 * 1024);
  const bomb = encodeRecordBatch({ records: [{ key: null, value: zeros }], compression: "gzip" });
  return topics.map((topic) =>
    frameOf(Apis.Produce, 7, {
      transactionalId: null,
      acks: 1,
      timeoutMs: 1000,
      topicData: [{ name: topic, partitionData: [{ index: 0, records: bomb }] }],
    } satisfies ProduceRequest),
  );
}

/** Frames no API table has: unknown keys, versions outside the served range, too short for a header. */
export function headerOddities(random: Random, valid: readonly RequestFrame[]): RequestFrame {
  const pick = pickWith(random);
  const frame = Buffer.from(pick(valid));
  const roll = random();
  if (roll < 0.35 && frame.length >= 4) {
    frame.writeInt16BE(pick([-1, 21, 57, 99, 1000, 0x7fff]), 0); // an API key never served here
  } else if (roll < 0.7 && frame.length >= 4) {
    frame.writeInt16BE(pick([-1, 99, 0x7fff, frame.readInt16BE(2) + 20]), 2); // a version beyond any range
  } else {
    return frame.subarray(0, Math.floor(random() * 8));
  }
  return frame;
}
