import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { checkLastFetchedEpoch, type EpochLog } from "../../../../broker/server/fetch/last-fetched-epoch.ts";

/** A log whose epochs 1 and 3 start at offsets 0 and 10 and that ends at 20, from log start 5. */
const log: EpochLog = {
  logStartOffset: 5n,
  endOffsetForEpoch(epoch) {
    if (epoch < 1) return { epoch: -1, endOffset: -1n };
    if (epoch < 3) return { epoch: 1, endOffset: 10n };
    return { epoch: 3, endOffset: 20n };
  },
};

describe("Fetch v12's last fetched epoch check", () => {
  it("when the fetcher sends no epoch, then it reads without a check", () => {
    assert.deepEqual(checkLastFetchedEpoch(log, -1, 50n), { kind: "read" });
  });

  it("when the fetcher's epoch is the log's and reaches its fetch offset, then it reads", () => {
    assert.deepEqual(checkLastFetchedEpoch(log, 3, 20n), { kind: "read" });
    assert.deepEqual(checkLastFetchedEpoch(log, 1, 10n), { kind: "read" });
  });

  it("when the fetcher's epoch ends before its fetch offset here, then it diverges at that epoch's end", () => {
    assert.deepEqual(checkLastFetchedEpoch(log, 1, 12n), {
      kind: "diverging",
      divergingEpoch: { epoch: 1, endOffset: 10n },
    });
  });

  it("when the log never had the fetcher's epoch, then it diverges at the end of the largest epoch before it", () => {
    assert.deepEqual(checkLastFetchedEpoch(log, 2, 8n), {
      kind: "diverging",
      divergingEpoch: { epoch: 1, endOffset: 10n },
    });
  });

  it("when the log knows no epoch at or before the fetcher's, or the offset is before the log start, then OFFSET_OUT_OF_RANGE", () => {
    const outOfRange = { kind: "error", errorCode: ErrorCode.OFFSET_OUT_OF_RANGE };
    assert.deepEqual(checkLastFetchedEpoch(log, 0, 8n), outOfRange);
    assert.deepEqual(checkLastFetchedEpoch(log, 3, 2n), outOfRange);
  });
});
