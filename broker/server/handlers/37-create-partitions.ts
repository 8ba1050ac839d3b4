// CreatePartitions (37): the active controller adds the partitions (never removes any); any other
// broker forwards the request and relays the answer.
import { controllerErrorCode } from "../../controller/controller-result.ts";
import { Apis } from "../../protocol/apis.ts";
import { defineHandler } from "./handler.ts";

export const createPartitionsHandler = defineHandler(Apis.CreatePartitions, (request, { broker }) => {
  const refused = (errorCode: number, errorMessage: string | null = null) => ({
    throttleTimeMs: 0,
    results: request.topics.map(({ name }) => ({ name, errorCode, errorMessage })),
  });
  return broker.kraft.forwarding.route(
    Apis.CreatePartitions,
    request,
    async (controller) => {
      try {
        return { throttleTimeMs: 0, results: await controller.createPartitions(request.topics, request.validateOnly) };
      } catch (error) {
        return refused(controllerErrorCode(error));
      }
    },
    { timeoutMs: request.timeoutMs, answer: refused },
  );
});
