// AlterPartition (56): a partition leader asks the active controller to change the ISR; the answer
// per partition is the state committed (or why not). Elsewhere: NOT_CONTROLLER for the request.
import { controllerErrorCode } from "../../controller/controller-result.ts";
import type { QuorumController } from "../../controller/quorum-controller.ts";
import { Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { BrokerState } from "../broker-state.ts";
import { defineHandler } from "./handler.ts";

export function createAlterPartitionHandler(
  controllerOf: (broker: BrokerState) => Pick<QuorumController, "alterPartition"> | undefined,
) {
  return defineHandler(Apis.AlterPartition, async (request, { broker, apiVersion }) => {
    const failed = (errorCode: number) => ({ throttleTimeMs: 0, errorCode, topics: [] });
    const controller = controllerOf(broker);
    if (!controller) return failed(ErrorCode.NOT_CONTROLLER);
    try {
      const response = await controller.alterPartition(request, apiVersion);
      return {
        throttleTimeMs: 0,
        errorCode: response.errorCode,
        topics: response.topics.map(({ topicId, partitions }) => ({ topicId, partitions })),
      };
    } catch (error) {
      return failed(controllerErrorCode(error));
    }
  });
}
