// Waiting for a condition, never for a time: the fault test's steps (a broker gone, an ISR shrunk, a
// leader moved) are each awaited by polling what the cluster says, up to a deadline that only
// bounds a failure.
//
// Ownership: none.

export interface WaitUntilOptions {
  /** Default 60 s. */
  timeoutMs?: number;
  /** Default 100 ms. */
  intervalMs?: number;
  /** What was awaited, for the error at the deadline; a function shows the state at that moment. */
  message?: string | (() => string | Promise<string>);
}

export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `condition` until it holds; a condition that throws counts as not holding yet. */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  { timeoutMs = 60_000, intervalMs = 100, message = "condition" }: WaitUntilOptions = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await condition()) return;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const text = typeof message === "function" ? await Promise.resolve(message()).catch(() => "(unknown)") : message;
      const cause =
        lastError === undefined ? "" : ` (last error: ${String((lastError as Error)?.message ?? lastError)})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for: ${text}${cause}`);
    }
    await delay(intervalMs);
  }
}
