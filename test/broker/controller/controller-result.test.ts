import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ControllerError,
  controllerErrorCode,
  NotControllerError,
} from "../../../broker/controller/controller-result.ts";
import { ErrorCode } from "../../../broker/protocol/errors.ts";

describe("controller errors", () => {
  it("when a controller call fails, then its code is the error's own, or UNKNOWN_SERVER_ERROR for anything else", () => {
    assert.equal(controllerErrorCode(new NotControllerError()), ErrorCode.NOT_CONTROLLER);
    assert.equal(controllerErrorCode(new ControllerError(ErrorCode.REQUEST_TIMED_OUT)), ErrorCode.REQUEST_TIMED_OUT);
    assert.equal(new ControllerError(ErrorCode.REQUEST_TIMED_OUT).message, "REQUEST_TIMED_OUT");
    assert.equal(controllerErrorCode(new Error("bug")), ErrorCode.UNKNOWN_SERVER_ERROR);
  });
});
