import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Backoff } from "../../../broker/client/backoff.ts";

/** The delays a Backoff gives, first and each next, `count` in all. */
function delays(backoff: Backoff, count: number): number[] {
  const list = [backoff.first()];
  while (list.length < count) list.push(backoff.next(list[list.length - 1]!));
  return list;
}

// factor 0.25 and these random values keep the arithmetic exact in binary floating point.
const options = { initialRetryTime: 400, maxRetryTime: 30_000, factor: 0.25, multiplier: 2 };

describe("Backoff", () => {
  it("when randomness is at its middle, then the first delay is initialRetryTime and each next one is multiplied", () => {
    assert.deepEqual(delays(new Backoff(options, () => 0.5), 4), [400, 800, 1600, 3200]);
  });

  it("when randomness is at its lowest, then each delay is randomised down by factor before it is multiplied", () => {
    // 400 × 0.75 = 300; 300 × 0.75 × 2 = 450; 450 × 0.75 = 337.5, rounded up to 338, × 2 = 676.
    assert.deepEqual(delays(new Backoff(options, () => 0), 3), [300, 450, 676]);
  });

  it("when randomness is high, then each delay is randomised up and rounded up to a whole millisecond", () => {
    // random 0.75 moves a delay by +0.125: 400 → 450; 450 → 506.25 → 507, × 2 = 1014.
    assert.deepEqual(delays(new Backoff(options, () => 0.75), 2), [450, 1014]);
  });

  it("when the delays grow past maxRetryTime, then they stay at maxRetryTime", () => {
    const capped = new Backoff({ ...options, maxRetryTime: 2000 }, () => 0.5);
    assert.deepEqual(delays(capped, 6), [400, 800, 1600, 2000, 2000, 2000]);
  });

  it("when factor is 0, then the delays do not depend on randomness", () => {
    const exact = { initialRetryTime: 100, maxRetryTime: 1000, factor: 0, multiplier: 3 };
    const expected = [100, 300, 900, 1000];
    assert.deepEqual(delays(new Backoff(exact, () => 0), 4), expected);
    assert.deepEqual(delays(new Backoff(exact, () => 0.99), 4), expected);
  });

  it("when no randomness is given, then every delay stays within factor of the formula's middle", () => {
    const backoff = new Backoff(options);
    for (let i = 0; i < 200; i++) {
      const first = backoff.first();
      assert.ok(first >= 300 && first <= 500, `first delay ${first}`);
      const next = backoff.next(1000);
      assert.ok(next >= 1500 && next <= 2500, `next delay ${next}`);
    }
  });
});
