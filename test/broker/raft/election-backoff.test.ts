import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { binaryExponentialBackoffMs, successorBackoffMs } from "../../../broker/raft/election-backoff.ts";

describe("election backoffs", () => {
  it("when elections keep failing, then the random backoff's range doubles each time up to the maximum", () => {
    const highest = (retries: number) => binaryExponentialBackoffMs(retries, 100_000, () => 0.9999);
    assert.equal(highest(1), 100, "two slots of 100 ms");
    assert.equal(highest(2), 300);
    assert.equal(highest(3), 700);
    assert.equal(
      binaryExponentialBackoffMs(30, 1000, () => 0.9999),
      1000,
    );
    assert.equal(
      binaryExponentialBackoffMs(5, 1000, () => 0),
      0,
    );
  });

  it("when a leader names its successors, then the first stands at once and each next one waits twice as long", () => {
    assert.deepEqual(
      [0, 1, 2].map((position) => successorBackoffMs(position, 3, 1000)),
      [0, 250, 500],
    );
    assert.equal(successorBackoffMs(-1, 3, 1000), 1000, "not named: the longest wait");
    assert.equal(successorBackoffMs(0, 0, 1000), 0);
  });
});
