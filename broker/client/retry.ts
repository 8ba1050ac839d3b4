// Retries with randomized exponential backoff, for retriable errors only (kafkajs semantics): a
// retriable error past the last retry becomes KafkaJSNumberOfRetriesExceeded with the last error
// as cause; a non-retriable one is wrapped at once in KafkaJSNonRetriableError. The delays are
// Backoff's (backoff.ts).
//
// Ownership: each call of a retrier keeps its own retry count and delay; nothing is shared.
import { Backoff } from "./backoff.ts";
import { isRetriable, KafkaJSError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded } from "./errors.ts";

export interface RetryOptions {
  maxRetryTime?: number;
  initialRetryTime?: number;
  factor?: number;
  multiplier?: number;
  retries?: number;
  restartOnFailure?: (e: Error) => Promise<boolean>;
}

export const defaultRetry: Required<Omit<RetryOptions, "restartOnFailure">> = {
  maxRetryTime: 30_000,
  initialRetryTime: 300,
  factor: 0.2,
  multiplier: 2,
  retries: 5,
};

export type Retrier = <T>(
  attempt: (bail: (error: Error) => never, retryCount: number, retryTime: number) => Promise<T>,
) => Promise<T>;

class Bail extends Error {
  constructor(readonly error: Error) {
    super(error.message);
  }
}

export function createRetrier(options: RetryOptions = {}): Retrier {
  const config = { ...defaultRetry, ...options };
  const backoff = new Backoff(config);
  return async (attempt) => {
    let retryTime = backoff.first();
    for (let retryCount = 0; ; retryCount++) {
      try {
        return await attempt(
          (error) => {
            throw new Bail(error);
          },
          retryCount,
          retryTime,
        );
      } catch (err) {
        if (err instanceof Bail) throw err.error;
        const error = err instanceof Error ? err : new Error(String(err));
        if (!isRetriable(error))
          throw error instanceof KafkaJSNonRetriableError || !(error instanceof KafkaJSError)
            ? error
            : new KafkaJSNonRetriableError(error, { cause: error });
        if (retryCount >= config.retries) throw new KafkaJSNumberOfRetriesExceeded(error, { retryCount, retryTime });
        await new Promise((resolve) => setTimeout(resolve, retryTime));
        retryTime = backoff.next(retryTime);
      }
    }
  };
}
