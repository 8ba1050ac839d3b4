import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ControllerError, NotControllerError } from "../../../../broker/controller/controller-result.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import type { BrokerRegistrationRequest } from "../../../../broker/protocol/messages/index.ts";
import { createBrokerRegistrationHandler } from "../../../../broker/server/handlers/62-broker-registration.ts";
import { contextAt } from "./controller-handler-context.ts";

const request: BrokerRegistrationRequest = {
  brokerId: 1,
  clusterId: "cluster-a",
  incarnationId: Buffer.alloc(16, 7),
  listeners: [{ name: "PLAINTEXT", host: "127.0.0.1", port: 9093, securityProtocol: 0 }],
  features: [],
  rack: null,
};

describe("BrokerRegistration handler", () => {
  it("when the active controller registers the broker, then its epoch is the answer", async () => {
    const seen: unknown[] = [];
    const handler = createBrokerRegistrationHandler(() => ({
      registerBroker: async (r) => {
        seen.push(r);
        return { errorCode: ErrorCode.NONE, brokerEpoch: 12n };
      },
    }));
    assert.deepEqual(await handler.handle(request, contextAt(0)), {
      throttleTimeMs: 0,
      errorCode: 0,
      brokerEpoch: 12n,
    });
    assert.deepEqual(seen, [request]);
  });

  it("when this node is not the active controller or the controller fails, then the error code and no epoch", async () => {
    assert.deepEqual(await createBrokerRegistrationHandler(() => undefined).handle(request, contextAt(0)), {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NOT_CONTROLLER,
      brokerEpoch: -1n,
    });
    const lost = createBrokerRegistrationHandler(() => ({
      registerBroker: () => Promise.reject(new NotControllerError()),
    }));
    assert.equal((await lost.handle(request, contextAt(0)))!.errorCode, ErrorCode.NOT_CONTROLLER);
    const timedOut = createBrokerRegistrationHandler(() => ({
      registerBroker: () => Promise.reject(new ControllerError(ErrorCode.REQUEST_TIMED_OUT)),
    }));
    assert.equal((await timedOut.handle(request, contextAt(0)))!.errorCode, ErrorCode.REQUEST_TIMED_OUT);
  });
});
