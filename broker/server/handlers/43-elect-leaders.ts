// ElectLeaders (43): preferred (0) or unclean (1) leader elections for the partitions named, or all
// of them. Version 0 has no election type (preferred) and no top-level error code, so a failure of
// the whole request is given to every partition named.
import { controllerErrorCode } from "../../controller/controller-result.ts";
import type { QuorumController } from "../../controller/quorum-controller.ts";
import { Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { ElectLeadersRequest } from "../../protocol/messages/index.ts";
import type { BrokerState } from "../broker-state.ts";
import { defineHandler } from "./handler.ts";

function failedEverywhere(request: ElectLeadersRequest, errorCode: number) {
  return {
    throttleTimeMs: 0,
    errorCode,
    replicaElectionResults: (request.topicPartitions ?? []).map(({ topic, partitions }) => ({
      topic,
      partitionResult: partitions.map((partitionId) => ({ partitionId, errorCode, errorMessage: null })),
    })),
  };
}

export function createElectLeadersHandler(
  controllerOf: (broker: BrokerState) => Pick<QuorumController, "electLeaders"> | undefined,
) {
  return defineHandler(Apis.ElectLeaders, async (request, { broker, apiVersion }) => {
    const controller = controllerOf(broker);
    if (!controller) return failedEverywhere(request, ErrorCode.NOT_CONTROLLER);
    try {
      const response = await controller.electLeaders({
        electionType: apiVersion >= 1 ? request.electionType : 0,
        topicPartitions: request.topicPartitions,
      });
      if (response.errorCode !== ErrorCode.NONE && apiVersion === 0)
        return failedEverywhere(request, response.errorCode);
      return { throttleTimeMs: 0, ...response };
    } catch (error) {
      return failedEverywhere(request, controllerErrorCode(error));
    }
  });
}
