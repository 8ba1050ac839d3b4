// The calculator's partitioner is the producer's: Java's murmur2 of the key's UTF-8 bytes, made
// positive, modulo the partition count.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { partitionOfKey } from "../../../apps/console/key-partition.ts";
import { murmur2 } from "../../../broker/client/producer/partitioners.ts";

describe("partitionOfKey", () => {
  it("when asked for a key, then it answers murmur2(key) & 0x7fffffff modulo the partitions", () => {
    for (const key of ["user-0001", "user-0042", "", "ключ", "a much longer key than most, with spaces"]) {
      for (const partitions of [1, 3, 6, 9, 100]) {
        assert.equal(
          partitionOfKey(key, partitions),
          (murmur2(Buffer.from(key, "utf8")) & 0x7fffffff) % partitions,
          `${key} over ${partitions}`,
        );
      }
    }
  });

  it("when Kafka's known keys are placed, then they land where Java's client puts them", () => {
    // Java's Utils.murmur2("21".getBytes()) is -973932308.
    assert.equal(murmur2(Buffer.from("21")), -973932308);
    assert.equal(partitionOfKey("21", 100), (-973932308 & 0x7fffffff) % 100);
  });

  it("when the partition count is not a positive integer, then it throws", () => {
    assert.throws(() => partitionOfKey("k", 0), RangeError);
    assert.throws(() => partitionOfKey("k", 1.5), RangeError);
  });
});
