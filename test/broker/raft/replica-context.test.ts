import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compareLogEnds } from "../../../broker/raft/replica-context.ts";

describe("comparing log ends", () => {
  it("when two logs end in different epochs, then the later epoch is ahead whatever the offsets", () => {
    assert.equal(compareLogEnds({ offset: 5n, epoch: 3 }, { offset: 90n, epoch: 2 }), 1);
    assert.equal(compareLogEnds({ offset: 90n, epoch: 2 }, { offset: 5n, epoch: 3 }), -1);
  });

  it("when two logs end in the same epoch, then the longer one is ahead", () => {
    assert.equal(compareLogEnds({ offset: 7n, epoch: 3 }, { offset: 5n, epoch: 3 }), 1);
    assert.equal(compareLogEnds({ offset: 5n, epoch: 3 }, { offset: 5n, epoch: 3 }), 0);
  });
});
