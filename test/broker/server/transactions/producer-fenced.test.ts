import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { producerFencedFor } from "../../../../broker/server/transactions/producer-fenced.ts";

describe("PRODUCER_FENCED by request version", () => {
  it("when the version is older than the first that knows it, then INVALID_PRODUCER_EPOCH; otherwise as it is, and other codes untouched", () => {
    assert.equal(producerFencedFor(ErrorCode.PRODUCER_FENCED, 1, 2), ErrorCode.INVALID_PRODUCER_EPOCH);
    assert.equal(producerFencedFor(ErrorCode.PRODUCER_FENCED, 2, 2), ErrorCode.PRODUCER_FENCED);
    assert.equal(producerFencedFor(ErrorCode.NOT_COORDINATOR, 0, 2), ErrorCode.NOT_COORDINATOR);
  });
});
