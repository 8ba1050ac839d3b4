import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { answered, failedJoin, failedSync } from "../../../../broker/server/groups/group-answers.ts";

describe("group answers", () => {
  it("when a join fails, then the answer keeps the member id and names no generation, protocol or leader", () => {
    assert.deepEqual(failedJoin("till-1-abc", ErrorCode.UNKNOWN_MEMBER_ID), {
      errorCode: ErrorCode.UNKNOWN_MEMBER_ID,
      generationId: -1,
      protocolType: null,
      protocolName: null,
      leaderId: "",
      memberId: "till-1-abc",
      members: [],
    });
  });

  it("when a sync fails, then the answer carries no assignment", () => {
    const failed = failedSync(ErrorCode.REBALANCE_IN_PROGRESS);
    assert.deepEqual([failed.errorCode, failed.assignment.length], [ErrorCode.REBALANCE_IN_PROGRESS, 0]);
  });

  it("when an answer is given at once, then its response resolves to it", async () => {
    assert.equal(await answered(7).response, 7);
  });
});
