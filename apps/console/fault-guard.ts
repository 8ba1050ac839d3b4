// Who may break the cluster on purpose: only a request from this machine (a loopback remote
// address), carrying the token the start command printed, to a console whose faults are enabled
// (it binds a loopback address). Anything else is a 403, whatever the route.
import { timingSafeEqual } from "node:crypto";
import type { RequestHandler } from "express";
import { isLoopbackAddress, isLoopbackHost } from "../../broker/server/exposure.ts";
import { AppError } from "../shared/errors.ts";

export { isLoopbackAddress };

export const TOKEN_HEADER = "x-console-token";

/** Whether a console bound to `host` may offer fault controls: only on a loopback address. */
export function faultsAllowedOn(host: string): boolean {
  return isLoopbackHost(host);
}

function sameToken(given: string, token: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

export interface FaultGuardOptions {
  token: string;
  enabled: boolean;
}

/** The reason a request may not use the fault controls, or null when it may. */
export function faultRefusal(
  options: FaultGuardOptions,
  remoteAddress: string | undefined,
  givenToken: string | undefined,
): string | null {
  if (!options.enabled) return "fault controls are disabled: the console does not listen on a loopback address";
  if (!isLoopbackAddress(remoteAddress))
    return `fault controls answer only requests from this machine (not ${remoteAddress})`;
  if (givenToken === undefined || givenToken === "")
    return `fault controls need the token in the ${TOKEN_HEADER} header`;
  if (!sameToken(givenToken, options.token)) return `wrong ${TOKEN_HEADER}`;
  return null;
}

export function faultGuard(options: FaultGuardOptions): RequestHandler {
  return (req, _res, next) => {
    const refusal = faultRefusal(options, req.socket.remoteAddress, req.get(TOKEN_HEADER));
    if (refusal !== null) throw new AppError(403, "forbidden", refusal);
    next();
  };
}
