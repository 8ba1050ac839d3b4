// Whether a series sampled over a soak is flat: after a warm-up (the first tenth of the run, at
// most 3 minutes: JIT, caches filling to their bound, connections), the level of its first fifth
// is compared with the level of its last fifth; it is flat when the rise between them stays within
// what the series may wander by (`allowedRise`). The level is the median, so that a garbage
// collection caught mid-sample or a transient lag spike moves nothing; or the floor (the least
// sample) for a count with a part that comes and goes, such as descriptors of keep-alive
// connections a client opens and the server closes when idle: a leak raises the floor too. The
// least-squares slope is reported per hour, to say how fast a series that is not flat grows.
//
// Ownership: none (pure functions).

export interface Sample {
  /** Seconds since the run started. */
  t: number;
  value: number;
}

export type Level = "median" | "floor";

export interface Trend {
  samples: number;
  level: Level;
  /** The level of the first and of the last fifth after the warm-up. */
  first: number;
  last: number;
  rise: number;
  /** What the rise may be and the series still count as flat. */
  allowedRise: number;
  /** Least-squares slope over the samples after the warm-up, per hour. */
  slopePerHour: number;
  flat: boolean;
}

/** The warm-up left out of a run of `seconds`: its first tenth, at most 3 minutes. */
export const warmupSeconds = (seconds: number): number => Math.min(180, seconds / 10);

export function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function slopePerHour(samples: Sample[]): number {
  if (samples.length < 2) return 0;
  const meanT = samples.reduce((sum, s) => sum + s.t, 0) / samples.length;
  const meanV = samples.reduce((sum, s) => sum + s.value, 0) / samples.length;
  let covariance = 0;
  let variance = 0;
  for (const s of samples) {
    covariance += (s.t - meanT) * (s.value - meanV);
    variance += (s.t - meanT) ** 2;
  }
  return variance === 0 ? 0 : (covariance / variance) * 3600;
}

/**
 * The trend of `samples` from a run of `runSeconds`; `allowedRise` is given the first fifth's
 * level. Fewer than 10 samples after the warm-up cannot say flat: the trend is judged not flat.
 */
export function judgeTrend(
  samples: Sample[],
  runSeconds: number,
  allowedRise: (first: number) => number,
  level: Level = "median",
): Trend {
  const steady = samples.filter((s) => s.t >= warmupSeconds(runSeconds)).sort((a, b) => a.t - b.t);
  const fifth = Math.max(1, Math.floor(steady.length / 5));
  const levelOf = (part: Sample[]) =>
    level === "median" ? median(part.map((s) => s.value)) : Math.min(...part.map((s) => s.value));
  const first = levelOf(steady.slice(0, fifth));
  const last = levelOf(steady.slice(-fifth));
  const allowed = allowedRise(first);
  return {
    samples: steady.length,
    level,
    first,
    last,
    rise: last - first,
    allowedRise: allowed,
    slopePerHour: slopePerHour(steady),
    flat: steady.length >= 10 && last - first <= allowed,
  };
}
