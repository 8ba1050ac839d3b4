// ApiVersions: the APIs this broker serves and their version ranges. The served set comes from the
// handler table (handlers/index.ts): an API the protocol knows but no handler serves yet is not
// advertised, so clients never pick it.
import type { ApiDefinition } from "../../protocol/apis.ts";
import { Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { ApiVersionsResponse } from "../../protocol/messages/index.ts";
import { defineHandler, type Handler } from "./handler.ts";

/** The answer for `served` (ordered by key), with `errorCode` (35 when the client's version is too new). */
export function apiVersionsAnswer(
  served: readonly ApiDefinition[],
  errorCode: number = ErrorCode.NONE,
): ApiVersionsResponse {
  return {
    errorCode,
    apiKeys: served.map((api) => ({ apiKey: api.apiKey, minVersion: api.minVersion, maxVersion: api.maxVersion })),
    throttleTimeMs: 0,
  };
}

/** `served` is read at each request: the table that lists this handler is built after it. */
export function createApiVersionsHandler(served: () => readonly ApiDefinition[]): Handler {
  return defineHandler(Apis.ApiVersions, () => apiVersionsAnswer(served()));
}
