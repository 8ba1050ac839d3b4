import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { percentile, timing } from "../../../seed/lab/verify-run.ts";

describe("percentile", () => {
  it("when given 1..100, then it is the nearest rank: p50 50, p95 95, p99 99, p100 100", () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.deepEqual(
      [50, 95, 99, 100].map((p) => percentile(sorted, p)),
      [50, 95, 99, 100],
    );
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

describe("timing", () => {
  // Ten commands issued 100 ms apart; each applied 20 ms after it was issued, but the first one
  // (the warm-up) only after 500 ms.
  const issued = Array.from({ length: 10 }, (_, i) => ({
    commandId: `c${i}`,
    issuedAt: 1_000 + i * 100,
    acceptedAt: 1_000 + i * 100,
    status: 202,
  }));
  const applied = new Map(issued.map((r, i) => [r.commandId, r.issuedAt + (i === 0 ? 500 : 20)]));

  it("when the first tenth is the warm-up, then throughput and latency count only the rest", () => {
    // Nine commands from 1,100 (first issued after warm-up) to 1,920 (last applied): 820 ms.
    assert.deepEqual(timing(issued, applied, 0.1), {
      latencyMs: { p50: 20, p95: 20, p99: 20 },
      throughputPerSec: Math.round((9 * 1000) / 820),
    });
  });

  it("when there is no warm-up, then the slow first command counts", () => {
    const result = timing(issued, applied, 0);
    assert.equal(result.latencyMs.p99, 500);
    assert.equal(result.throughputPerSec, Math.round((10 * 1000) / 920));
  });

  it("when timed from acceptance, then each latency starts at its own acceptance and commands that never ended are left out", () => {
    // Accepted 5 ms after issue; c9 never ended.
    const accepted = issued.map((r) => ({ ...r, acceptedAt: r.issuedAt + 5 }));
    const ended = new Map([...applied].filter(([id]) => id !== "c9"));
    const result = timing(accepted, ended, 0.1, (r) => r.acceptedAt);
    // c1..c8: 15 ms each; from 1,105 (c1 accepted) to 1,820 (c8 ended).
    assert.deepEqual(result, {
      latencyMs: { p50: 15, p95: 15, p99: 15 },
      throughputPerSec: Math.round((8 * 1000) / 715),
    });
  });
});
