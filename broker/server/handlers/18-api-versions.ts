import { API_LIST, Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { ApiVersionsResponse } from "../../protocol/messages/index.ts";
import { defineHandler } from "./handler.ts";

/** Exactly what is implemented, so clients never pick a version we cannot serve. */
export function supportedApiVersions(errorCode: number = ErrorCode.NONE): ApiVersionsResponse {
  return {
    errorCode,
    apiKeys: API_LIST.map((api) => ({ apiKey: api.apiKey, minVersion: api.minVersion, maxVersion: api.maxVersion })),
    throttleTimeMs: 0,
  };
}

export const apiVersionsHandler = defineHandler(Apis.ApiVersions, () => supportedApiVersions());
