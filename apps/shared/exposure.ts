// The apps' listeners (points-api, the console, the services' metrics) bind HOST, 127.0.0.1 unless
// set (config.ts); one bound beyond loopback says so in its log.
import { beyondLoopbackWarning } from "../../broker/server/exposure.ts";
import type { AppLog } from "./log.ts";

export function warnIfBeyondLoopback(log: AppLog, what: string, host: string, port: number): void {
  const warning = beyondLoopbackWarning(what, host, port);
  if (warning !== null) log.warn(`${warning} (HOST=${host})`);
}
