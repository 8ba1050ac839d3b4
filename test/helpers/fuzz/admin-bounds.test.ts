import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Apis } from "../../../broker/protocol/apis.ts";
import { encodeRequest } from "../../../broker/protocol/headers.ts";
import { createTopicsRequest } from "../requests.ts";
import { createsTooManyPartitions, MAX_FUZZ_PARTITIONS_PER_REQUEST } from "./admin-bounds.ts";

/** A CreateTopics v4 frame (without size prefix) of one topic with `numPartitions`. */
function createTopicsFrame(numPartitions: number, validateOnly = false): Buffer {
  const request = { ...createTopicsRequest([{ name: "fuzzed", numPartitions }]), validateOnly };
  return Buffer.concat(encodeRequest(Apis.CreateTopics, 4, 1, "fuzz", request)).subarray(4);
}

function createPartitionsFrame(count: number): Buffer {
  const request = { topics: [{ name: "fuzzed", count, assignments: null }], timeoutMs: 1000, validateOnly: false };
  return Buffer.concat(encodeRequest(Apis.CreatePartitions, 1, 1, "fuzz", request)).subarray(4);
}

describe("createsTooManyPartitions", () => {
  it("when a CreateTopics or CreatePartitions would be carried out with thousands of partitions, then it is too many", () => {
    const topics = createTopicsFrame(4098);
    assert.equal(createsTooManyPartitions(topics, topics.length), true);
    const partitions = createPartitionsFrame(4098);
    assert.equal(createsTooManyPartitions(partitions, partitions.length), true);
  });

  it("when it creates a few, validates only, or asks more than the broker lets one request add, then it is sent", () => {
    for (const frame of [
      createTopicsFrame(MAX_FUZZ_PARTITIONS_PER_REQUEST),
      createTopicsFrame(4098, true),
      createTopicsFrame(0x7fffffff),
      createPartitionsFrame(3),
    ])
      assert.equal(createsTooManyPartitions(frame, frame.length), false);
  });

  it("when the frame does not decode or its prefix promises bytes it has not, then only the latter is left out", () => {
    const frame = createTopicsFrame(4098);
    assert.equal(createsTooManyPartitions(frame, 12), false, "cut short: the broker refuses it");
    assert.equal(createsTooManyPartitions(frame.subarray(0, 20), 40), true, "completed by the next frame's bytes");
    const produce = Buffer.from(frame);
    produce.writeInt16BE(Apis.Produce.apiKey, 0);
    assert.equal(createsTooManyPartitions(produce, produce.length + 10), false);
  });
});
