import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { NotControllerError } from "../../../../broker/controller/controller-result.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import type { BrokerHeartbeatRequest } from "../../../../broker/protocol/messages/index.ts";
import { createBrokerHeartbeatHandler } from "../../../../broker/server/handlers/63-broker-heartbeat.ts";
import { contextAt } from "./controller-handler-context.ts";

const request: BrokerHeartbeatRequest = {
  brokerId: 1,
  brokerEpoch: 12n,
  currentMetadataOffset: 40n,
  wantFence: false,
  wantShutDown: false,
};

describe("BrokerHeartbeat handler", () => {
  it("when the active controller answers, then its state of the broker is the response", async () => {
    const handler = createBrokerHeartbeatHandler(() => ({
      brokerHeartbeat: async (r) => {
        assert.deepEqual(r, request);
        return { errorCode: ErrorCode.NONE, isCaughtUp: true, isFenced: false, shouldShutDown: false };
      },
    }));
    assert.deepEqual(await handler.handle(request, contextAt(0)), {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      isCaughtUp: true,
      isFenced: false,
      shouldShutDown: false,
    });
  });

  it("when there is no active controller here, then NOT_CONTROLLER and the broker counts as fenced", async () => {
    const expected = {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NOT_CONTROLLER,
      isCaughtUp: false,
      isFenced: true,
      shouldShutDown: false,
    };
    assert.deepEqual(await createBrokerHeartbeatHandler(() => undefined).handle(request, contextAt(0)), expected);
    const lost = createBrokerHeartbeatHandler(() => ({
      brokerHeartbeat: () => Promise.reject(new NotControllerError()),
    }));
    assert.deepEqual(await lost.handle(request, contextAt(0)), expected);
  });
});
