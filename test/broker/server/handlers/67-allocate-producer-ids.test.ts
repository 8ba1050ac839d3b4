import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { NotControllerError } from "../../../../broker/controller/controller-result.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { createAllocateProducerIdsHandler } from "../../../../broker/server/handlers/67-allocate-producer-ids.ts";
import { contextAt } from "./controller-handler-context.ts";

const request = { brokerId: 1, brokerEpoch: 12n };

describe("AllocateProducerIds handler", () => {
  it("when the controller hands out a block, then the block is the answer", async () => {
    const handler = createAllocateProducerIdsHandler(() => ({
      allocateProducerIds: async () => ({ errorCode: ErrorCode.NONE, producerIdStart: 3000n, producerIdLen: 1000 }),
    }));
    assert.deepEqual(await handler.handle(request, contextAt(0)), {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      producerIdStart: 3000n,
      producerIdLen: 1000,
    });
  });

  it("when there is no active controller here, then NOT_CONTROLLER and no block", async () => {
    const expected = { throttleTimeMs: 0, errorCode: ErrorCode.NOT_CONTROLLER, producerIdStart: -1n, producerIdLen: 0 };
    assert.deepEqual(await createAllocateProducerIdsHandler(() => undefined).handle(request, contextAt(0)), expected);
    const lost = createAllocateProducerIdsHandler(() => ({
      allocateProducerIds: () => Promise.reject(new NotControllerError()),
    }));
    assert.deepEqual(await lost.handle(request, contextAt(0)), expected);
  });
});
