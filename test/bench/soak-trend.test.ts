import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { judgeTrend, median, type Sample, slopePerHour, warmupSeconds } from "../../bench/soak-trend.ts";

/** One sample every 10 s over `seconds`, valued by `value(t)`. */
const series = (seconds: number, value: (t: number) => number): Sample[] =>
  Array.from({ length: seconds / 10 + 1 }, (_, i) => ({ t: i * 10, value: value(i * 10) }));

const withinTen = () => 10;

describe("soak trends", () => {
  it("when a series only wanders, then it is flat with a slope near zero", () => {
    const trend = judgeTrend(
      series(1800, (t) => 100 + ((t / 10) % 3)),
      1800,
      withinTen,
    );
    assert.equal(trend.flat, true);
    assert.ok(Math.abs(trend.slopePerHour) < 1, `slope ${trend.slopePerHour}`);
  });

  it("when a series grows steadily, then it is not flat and its slope says by how much per hour", () => {
    const trend = judgeTrend(
      series(1800, (t) => 100 + t / 60),
      1800,
      withinTen,
    );
    assert.equal(trend.flat, false);
    assert.ok(Math.abs(trend.slopePerHour - 60) < 1e-6, `slope ${trend.slopePerHour}`);
    assert.ok(trend.rise > 10);
  });

  it("when a series climbs only during the warm-up, then the climb is left out and it is flat", () => {
    const trend = judgeTrend(
      series(1800, (t) => Math.min(t, 120)),
      1800,
      withinTen,
    );
    assert.equal(warmupSeconds(1800), 180);
    assert.deepEqual([trend.first, trend.last, trend.flat], [120, 120, true]);
  });

  it("when a lone spike falls in the last fifth, then the median ignores it", () => {
    const trend = judgeTrend(
      series(1800, (t) => (t === 1750 ? 10_000 : 50)),
      1800,
      withinTen,
    );
    assert.deepEqual([trend.last, trend.flat], [50, true]);
  });

  it("when a count has a part that comes and goes, then its floor is flat while a leak raises the floor", () => {
    const comesAndGoes = series(1800, (t) => 30 + ((t / 10) % 4 === 0 ? 0 : 12));
    assert.equal(judgeTrend(comesAndGoes, 1800, () => 2, "floor").flat, true);
    const leaking = series(1800, (t) => 30 + Math.floor(t / 300) + ((t / 10) % 4 === 0 ? 0 : 12));
    const trend = judgeTrend(leaking, 1800, () => 2, "floor");
    assert.deepEqual([trend.level, trend.first, trend.last, trend.flat], ["floor", 30, 35, false]);
  });

  it("when the allowance depends on the first fifth, then it is given that fifth's median", () => {
    const seen: number[] = [];
    judgeTrend(
      series(600, () => 42),
      600,
      (first) => {
        seen.push(first);
        return 0;
      },
    );
    assert.deepEqual(seen, [42]);
  });

  it("when too few samples are left after the warm-up, then it cannot be called flat", () => {
    assert.equal(
      judgeTrend(
        series(60, () => 1),
        60,
        withinTen,
      ).flat,
      false,
    );
  });

  it("when medians and slopes are computed, then they are the textbook ones", () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(median([]), 0);
    assert.equal(
      slopePerHour([
        { t: 0, value: 0 },
        { t: 3600, value: 5 },
      ]),
      5,
    );
  });
});
