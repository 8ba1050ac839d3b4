// Running a service as its own process: start it, stop it cleanly on SIGINT/SIGTERM, and turn a
// startup failure into one line on stderr and exit code 1.
import type { AppLog } from "./log.ts";

/**
 * The line a service prints when it is ready (see consumer-service.ts and points-api's main); the
 * URL stops at a quote too, so a JSON line (LOG_FORMAT=json) gives the same match.
 */
export const serviceReadyLine = /points-api listening on (http:\/\/[^\s"]+)|consuming \S+ as group \S+/;

export async function runUntilSignalled(log: AppLog, start: () => Promise<{ stop(): Promise<void> }>): Promise<void> {
  // Listening before start(): a service prints its ready line inside start(), and a signal sent
  // right after that line must still stop it cleanly (once start() has resolved).
  let stopRequested: string | undefined;
  let stop = (signal: string): void => {
    stopRequested ??= signal;
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
  let service: { stop(): Promise<void> };
  try {
    service = await start();
  } catch (error) {
    log.error("failed to start", error);
    process.exit(1);
  }
  let stopping = false;
  stop = (signal) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: stopping`);
    service.stop().then(
      () => process.exit(0),
      (error) => {
        log.error("stop failed", error);
        process.exit(1);
      },
    );
  };
  if (stopRequested !== undefined) stop(stopRequested);
}
