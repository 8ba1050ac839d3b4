// The one path of AlterConfigs and IncrementalAlterConfigs: the changes go to the active controller
// (forwarded by any other broker, which relays the answer), which checks them and writes
// ConfigRecords. A controller error, or a controller out of reach, is answered on every resource.
// The two APIs differ only in how a request names its changes and whether they replace the rest.
import type { ConfigResourceChange } from "../controller/config-control.ts";
import { controllerErrorCode } from "../controller/controller-result.ts";
import type { ApiDefinition } from "../protocol/apis.ts";
import type { BrokerState } from "./broker-state.ts";
import { effectiveValueIn } from "./dynamic-configs.ts";

interface AlterRequest {
  resources: readonly { resourceType: number; resourceName: string }[];
  validateOnly: boolean;
}

interface AlterResponse {
  throttleTimeMs: number;
  responses: { errorCode: number; errorMessage: string | null; resourceType: number; resourceName: string }[];
}

export function alterConfigsThroughController<Req extends AlterRequest>(
  broker: BrokerState,
  api: ApiDefinition<Req, AlterResponse>,
  request: Req,
  changes: ConfigResourceChange[],
  { replaceAll }: { replaceAll: boolean },
): Promise<AlterResponse> {
  const refused = (errorCode: number, errorMessage: string | null = null): AlterResponse => ({
    throttleTimeMs: 0,
    responses: request.resources.map(({ resourceType, resourceName }) => ({
      resourceType,
      resourceName,
      errorCode,
      errorMessage,
    })),
  });
  return broker.kraft.forwarding.route(
    api,
    request,
    async (controller) => {
      try {
        const responses = await controller.alterConfigs(changes, {
          validateOnly: request.validateOnly,
          replaceAll,
          effectiveValue: effectiveValueIn(broker.config, controller.image),
        });
        return { throttleTimeMs: 0, responses };
      } catch (error) {
        return refused(controllerErrorCode(error));
      }
    },
    { timeoutMs: 0, answer: refused },
  );
}
