// BrokerHeartbeat (63): a registered broker keeps its session alive and asks to be unfenced, fenced
// or shut down; the active controller answers with its state. Elsewhere: NOT_CONTROLLER.
import { controllerErrorCode } from "../../controller/controller-result.ts";
import type { QuorumController } from "../../controller/quorum-controller.ts";
import { Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { BrokerState } from "../broker-state.ts";
import { defineHandler } from "./handler.ts";

export function createBrokerHeartbeatHandler(
  controllerOf: (broker: BrokerState) => Pick<QuorumController, "brokerHeartbeat"> | undefined,
) {
  return defineHandler(Apis.BrokerHeartbeat, async (request, { broker }) => {
    const failed = (errorCode: number) => ({
      throttleTimeMs: 0,
      errorCode,
      isCaughtUp: false,
      isFenced: true,
      shouldShutDown: false,
    });
    const controller = controllerOf(broker);
    if (!controller) return failed(ErrorCode.NOT_CONTROLLER);
    try {
      return { throttleTimeMs: 0, ...(await controller.brokerHeartbeat(request)) };
    } catch (error) {
      return failed(controllerErrorCode(error));
    }
  });
}
