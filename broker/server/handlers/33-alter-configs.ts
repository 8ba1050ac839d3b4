// AlterConfigs (33): replaces a topic's or broker's dynamic configs with the ones named (what the
// request leaves out goes back to its default). The active controller checks them and writes
// ConfigRecords; any other broker forwards the request and relays the answer.
import { controllerErrorCode } from "../../controller/controller-result.ts";
import { Apis } from "../../protocol/apis.ts";
import { ConfigOp, effectiveValueIn } from "../dynamic-configs.ts";
import { defineHandler } from "./handler.ts";

export const alterConfigsHandler = defineHandler(Apis.AlterConfigs, (request, { broker }) => {
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
    Apis.AlterConfigs,
    request,
    async (controller) => {
      try {
        const resources = request.resources.map(({ resourceType, resourceName, configs }) => ({
          resourceType,
          resourceName,
          configs: configs.map(({ name, value }) => ({ name, op: ConfigOp.SET, value })),
        }));
        const responses = await controller.alterConfigs(resources, {
          validateOnly: request.validateOnly,
          replaceAll: true,
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
