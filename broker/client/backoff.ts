// kafkajs's retry delays: randomised exponential backoff. The first delay is initialRetryTime give
// or take `factor` of it; each next one is the previous delay, randomised the same way, times
// `multiplier`, and at most maxRetryTime. The retrier (retry.ts), the consumer's runner and the
// producer's sender all wait by it, so the three back off alike.
//
// Ownership: a Backoff holds only its settings and its source of randomness. The current delay
// belongs to whoever is retrying (a retry loop, a produce batch), so one Backoff serves them all
// and a retry costs no allocation.

export interface BackoffOptions {
  initialRetryTime: number;
  maxRetryTime: number;
  /** How far either side of a delay its randomised value may fall, as a fraction of the delay. */
  factor: number;
  multiplier: number;
}

/** A number in [0, 1), as Math.random returns; tests pass their own to know the delays exactly. */
export type RandomSource = () => number;

export class Backoff {
  constructor(
    private readonly options: BackoffOptions,
    private readonly random: RandomSource = Math.random,
  ) {}

  /** The delay before the first retry. */
  first(): number {
    return this.randomised(this.options.initialRetryTime);
  }

  /** The delay before the retry after one that waited `previous`. */
  next(previous: number): number {
    return Math.min(this.randomised(previous) * this.options.multiplier, this.options.maxRetryTime);
  }

  /** `time` moved at random by up to `factor` of itself either way, rounded up to a whole millisecond. */
  private randomised(time: number): number {
    const { factor } = this.options;
    return Math.ceil(time * (1 - factor + this.random() * 2 * factor));
  }
}
