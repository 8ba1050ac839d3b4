// IncrementalAlterConfigs (44): SET, DELETE (back to the default), APPEND and SUBTRACT (list
// configs) on a topic's or broker's dynamic configs, leaving the others as they are. The active
// controller checks them and writes ConfigRecords; any other broker forwards the request.
import { controllerErrorCode } from "../../controller/controller-result.ts";
import { Apis } from "../../protocol/apis.ts";
import { effectiveValueIn } from "../dynamic-configs.ts";
import { defineHandler } from "./handler.ts";

export const incrementalAlterConfigsHandler = defineHandler(Apis.IncrementalAlterConfigs, (request, { broker }) => {
  const refused = (errorCode: number, errorMessage: string | null = null) => ({
    throttleTimeMs: 0,
    responses: request.resources.map(({ resourceType, resourceName }) => ({
      resourceType,
      resourceName,
      errorCode,
      errorMessage,
    })),
  });
  return broker.kraft.forwarding.route(
    Apis.IncrementalAlterConfigs,
    request,
    async (controller) => {
      try {
        const resources = request.resources.map(({ resourceType, resourceName, configs }) => ({
          resourceType,
          resourceName,
          configs: configs.map(({ name, configOperation, value }) => ({ name, op: configOperation, value })),
        }));
        const responses = await controller.alterConfigs(resources, {
          validateOnly: request.validateOnly,
          replaceAll: false,
          effectiveValue: effectiveValueIn(broker.config, controller.image),
        });
        return { throttleTimeMs: 0, responses };
      } catch (error) {
        return refused(controllerErrorCode(error));
      }
    },
    { timeoutMs: 0, answer: refused },
  );
});
