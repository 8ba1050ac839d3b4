import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AppError } from "../../../apps/shared/errors.ts";

describe("AppError", () => {
  it("when made for each kind of failure, then the HTTP status and stable code that go with it", () => {
    const issues = [{ path: ["amount"], message: "Too small" }];
    assert.deepEqual(
      [
        AppError.badRequest("invalid body", issues),
        AppError.unauthorized("wrong key for terminal t1"),
        AppError.notFound("unknown user u9"),
        AppError.conflict("Idempotency-Key reused"),
        AppError.unavailable("broker unavailable"),
      ].map((e) => [e.status, e.code, e.message, e.details]),
      [
        [400, "bad_request", "invalid body", issues],
        [401, "unauthorized", "wrong key for terminal t1", undefined],
        [404, "not_found", "unknown user u9", undefined],
        [409, "conflict", "Idempotency-Key reused", undefined],
        [503, "unavailable", "broker unavailable", undefined],
      ],
    );
  });

  it("when the broker was the reason, then the cause is kept for the log", () => {
    const cause = new Error("connect ECONNREFUSED");
    const error = AppError.unavailable("broker unavailable", cause);
    assert.equal(error.cause, cause);
  });

  it("when thrown, then it is an Error named AppError, with a stack", () => {
    const error = new AppError(418, "teapot", "short and stout");
    assert.ok(error instanceof Error);
    assert.equal(error.name, "AppError");
    assert.match(error.stack ?? "", /AppError: short and stout/);
  });
});
