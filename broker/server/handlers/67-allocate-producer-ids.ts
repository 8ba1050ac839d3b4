// AllocateProducerIds (67): a broker takes the next block of producer ids from the active
// controller, for the InitProducerId requests it answers. Elsewhere: NOT_CONTROLLER.
import { controllerErrorCode } from "../../controller/controller-result.ts";
import type { QuorumController } from "../../controller/quorum-controller.ts";
import { Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { BrokerState } from "../broker-state.ts";
import { defineHandler } from "./handler.ts";

export function createAllocateProducerIdsHandler(
  controllerOf: (broker: BrokerState) => Pick<QuorumController, "allocateProducerIds"> | undefined,
) {
  return defineHandler(Apis.AllocateProducerIds, async (request, { broker }) => {
    const failed = (errorCode: number) => ({ throttleTimeMs: 0, errorCode, producerIdStart: -1n, producerIdLen: 0 });
    const controller = controllerOf(broker);
    if (!controller) return failed(ErrorCode.NOT_CONTROLLER);
    try {
      return { throttleTimeMs: 0, ...(await controller.allocateProducerIds(request)) };
    } catch (error) {
      return failed(controllerErrorCode(error));
    }
  });
}
