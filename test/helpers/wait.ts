// Generic waiting and cleanup helpers shared by the acceptance, conformance and client suites.

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

export interface WaitOptions {
  /** Default 30 s. */
  timeoutMs?: number;
  /** Default 50 ms. */
  intervalMs?: number;
  /** Says what was awaited; may be a function so the failure shows the state at the deadline. */
  message?: string | (() => string);
  /** How the last error thrown by the condition is shown in the failure (default: name and message). */
  describeError?: (error: unknown) => string;
}

/** Polls `condition` until it holds; a condition that throws counts as not holding yet. */
export async function waitFor(condition: () => boolean | Promise<boolean>, options: WaitOptions = {}): Promise<void> {
  const { timeoutMs = 30_000, intervalMs = 50, describeError = errorText } = options;
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
      const text = typeof options.message === "function" ? options.message() : (options.message ?? "condition");
      const suffix = lastError === undefined ? "" : ` (last error: ${describeError(lastError)})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for: ${text}${suffix}`);
    }
    await sleep(intervalMs);
  }
}

export function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** Disconnects a client without waiting forever on a wedged broker (5 s at most); never throws. */
export async function disconnectQuietly(client: { disconnect(): Promise<void> } | undefined): Promise<void> {
  if (client === undefined) return;
  await Promise.race([client.disconnect().catch(() => undefined), sleep(5000)]);
}

/** Runs cleanup steps in order, each one even when an earlier one fails; never throws. */
export async function cleanupAll(...steps: Array<(() => unknown) | undefined>): Promise<void> {
  await cleanupAllWithin(undefined, ...steps);
}

/** As cleanupAll, each step given at most `stepTimeoutMs` (none when undefined). */
export async function cleanupAllWithin(
  stepTimeoutMs: number | undefined,
  ...steps: Array<(() => unknown) | undefined>
): Promise<void> {
  for (const step of steps) {
    if (!step) continue;
    let timer: NodeJS.Timeout | undefined;
    try {
      if (stepTimeoutMs === undefined) await step();
      else await Promise.race([step(), new Promise((resolve) => (timer = setTimeout(resolve, stepTimeoutMs)))]);
    } catch {
      // cleanup must go on; the test itself reports what failed
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Waits until a process's collected output matches `pattern` (a line may still be in the pipe). */
export function waitForOutput(process: { output(): string }, pattern: RegExp, timeoutMs = 30_000): Promise<void> {
  return waitFor(() => pattern.test(process.output()), {
    timeoutMs,
    message: () => `output matching ${pattern}; output so far:\n${process.output()}`,
  });
}
