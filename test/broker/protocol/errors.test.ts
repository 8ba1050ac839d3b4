import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { describe, it } from "node:test";
import { ErrorCode, errorCodeName, isRetriableError } from "../../../broker/protocol/errors.ts";

// kafkajs's own table of error codes (type, code, retriable), the behaviour the client copies.
const kafkajsErrorCodes: Array<{ type: string; code: number; retriable: boolean }> = createRequire(import.meta.url)(
  "kafkajs/src/protocol/error.js",
).errorCodes;

describe("Kafka error codes", () => {
  it("when every constant is listed, then no two share a code and each code names its constant", () => {
    const entries = Object.entries(ErrorCode);
    assert.equal(new Set(entries.map(([, code]) => code)).size, entries.length);
    for (const [name, code] of entries) assert.equal(errorCodeName(code), name);
  });

  it("when a code is unknown, then its name shows the number", () => {
    assert.equal(errorCodeName(12345), "UNKNOWN_ERROR_CODE_12345");
    assert.equal(isRetriableError(12345), false);
  });

  it("when a code is one kafkajs knows, then it is retriable exactly when kafkajs retries it", () => {
    const disagreements = kafkajsErrorCodes
      .filter(({ code }) => errorCodeName(code) !== `UNKNOWN_ERROR_CODE_${code}`)
      .filter(({ code, retriable }) => isRetriableError(code) !== retriable)
      .map(({ type, code, retriable }) => `${code} ${type}: kafkajs ${retriable}`);
    assert.deepEqual(disagreements, []);
  });

  it("when the request succeeded or the request itself is wrong, then the code is not retriable; when leadership or coordination moved, then it is", () => {
    for (const code of [ErrorCode.NONE, ErrorCode.INVALID_TOPIC_EXCEPTION, ErrorCode.OFFSET_OUT_OF_RANGE]) {
      assert.equal(isRetriableError(code), false, errorCodeName(code));
    }
    for (const code of [ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.NOT_COORDINATOR, ErrorCode.UNKNOWN_TOPIC_ID]) {
      assert.equal(isRetriableError(code), true, errorCodeName(code));
    }
  });
});
