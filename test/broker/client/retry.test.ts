import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
} from "../../../broker/client/errors.ts";
import { createRetrier } from "../../../broker/client/retry.ts";
import { ErrorCode } from "../../../broker/protocol/errors.ts";

const quick = { initialRetryTime: 1, maxRetryTime: 5, retries: 3 };

describe("createRetrier", () => {
  it("when a retriable error passes, then the attempt is repeated until it succeeds", async () => {
    const retrier = createRetrier(quick);
    let attempts = 0;
    const result = await retrier(async () => {
      attempts++;
      if (attempts < 3) throw new KafkaJSProtocolError(ErrorCode.LEADER_NOT_AVAILABLE);
      return "done";
    });
    assert.equal(result, "done");
    assert.equal(attempts, 3);
  });

  it("when retries run out, then KafkaJSNumberOfRetriesExceeded carries the last error as cause", async () => {
    const retrier = createRetrier(quick);
    let attempts = 0;
    await assert.rejects(
      retrier(async () => {
        attempts++;
        throw new KafkaJSProtocolError(ErrorCode.NOT_LEADER_OR_FOLLOWER);
      }),
      (err: unknown) => {
        assert.ok(err instanceof KafkaJSNumberOfRetriesExceeded);
        assert.equal(err.retriable, false);
        assert.equal(err.retryCount, 3);
        assert.ok(err.cause instanceof KafkaJSProtocolError);
        assert.equal(err.cause.type, "NOT_LEADER_OR_FOLLOWER");
        return true;
      },
    );
    assert.equal(attempts, 4);
  });

  it("when the error is not retriable, then it fails at once", async () => {
    const retrier = createRetrier(quick);
    let attempts = 0;
    await assert.rejects(
      retrier(async () => {
        attempts++;
        throw new KafkaJSProtocolError(ErrorCode.INVALID_PARTITIONS, "partitions can only be added");
      }),
      (err: unknown) =>
        err instanceof KafkaJSNonRetriableError && (err.cause as KafkaJSProtocolError).type === "INVALID_PARTITIONS",
    );
    assert.equal(attempts, 1);
  });

  it("when a TypeError is thrown, then it is passed through untouched", async () => {
    const retrier = createRetrier(quick);
    await assert.rejects(
      retrier(async () => {
        throw new TypeError("bug");
      }),
      TypeError,
    );
  });

  it("when the attempt bails, then that error is thrown without retrying", async () => {
    const retrier = createRetrier(quick);
    let attempts = 0;
    const reason = new KafkaJSError("give up");
    await assert.rejects(
      retrier(async (bail) => {
        attempts++;
        bail(reason);
      }),
      (err: unknown) => err === reason,
    );
    assert.equal(attempts, 1);
  });
});
