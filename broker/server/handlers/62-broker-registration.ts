// BrokerRegistration (62): a broker joins the cluster through the active controller, which answers
// with its broker epoch. On a node that is not the active controller: NOT_CONTROLLER.
import { controllerErrorCode } from "../../controller/controller-result.ts";
import type { QuorumController } from "../../controller/quorum-controller.ts";
import { Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { BrokerState } from "../broker-state.ts";
import { defineHandler } from "./handler.ts";

export function createBrokerRegistrationHandler(
  controllerOf: (broker: BrokerState) => Pick<QuorumController, "registerBroker"> | undefined,
) {
  return defineHandler(Apis.BrokerRegistration, async (request, { broker }) => {
    const failed = (errorCode: number) => ({ throttleTimeMs: 0, errorCode, brokerEpoch: -1n });
    const controller = controllerOf(broker);
    if (!controller) return failed(ErrorCode.NOT_CONTROLLER);
    try {
      return { throttleTimeMs: 0, ...(await controller.registerBroker(request)) };
    } catch (error) {
      return failed(controllerErrorCode(error));
    }
  });
}
