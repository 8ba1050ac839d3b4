import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { percentile } from "../../../seed/lab/verify-run.ts";

describe("percentile", () => {
  it("when given 1..100, then it is the nearest rank: p50 50, p95 95, p99 99, p100 100", () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.deepEqual([50, 95, 99, 100].map((p) => percentile(sorted, p)), [50, 95, 99, 100]);
  });

  it("when there are few samples, then a high percentile is the largest and p0 the smallest", () => {
    assert.equal(percentile([3, 7, 9], 99), 9);
    assert.equal(percentile([3, 7, 9], 0), 3);
    assert.equal(percentile([4], 50), 4);
  });

  it("when there are none, then it is 0 (a report stays valid JSON)", () => {
    assert.equal(percentile([], 99), 0);
  });
});
